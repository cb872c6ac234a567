-- Notes and tasks about a record (issue 24, parts 4 and 5). The subject is polymorphic: a
-- type (`customer`, `entry`; `company` once companies exist) and the id the API shows for
-- it (a customer's number, an entry's uid), kept as text. `Subject` (Sources/Activities)
-- is the one place that says which types exist and how each is found in a workspace.
CREATE TABLE notes (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    subject_type ENUM('customer', 'company', 'entry') NOT NULL,
    subject_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    body MEDIUMTEXT NOT NULL,
    pinned TINYINT(1) NOT NULL DEFAULT 0,
    -- NULL when written with an API key (no member), or once the author's account is gone.
    author_id BIGINT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    -- The list per subject: pinned first, then newest first.
    KEY idx_notes_subject (tenant_id, subject_type, subject_id, pinned, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE tasks (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT NULL,
    due_at DATETIME(6) NULL,
    assignee_id BIGINT UNSIGNED NULL,
    status ENUM('open', 'done') NOT NULL DEFAULT 'open',
    priority ENUM('low', 'normal', 'high') NOT NULL DEFAULT 'normal',
    completed_at DATETIME(6) NULL,
    subject_type ENUM('customer', 'company', 'entry') NULL,
    subject_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL,
    created_by BIGINT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    -- "My tasks", the overdue badge and the digest: an assignee's open tasks by due date.
    KEY idx_tasks_assignee (tenant_id, assignee_id, status, due_at, id),
    -- The workspace's tasks by status and due date (overdue, due_before/after without assignee).
    KEY idx_tasks_status_due (tenant_id, status, due_at, id),
    KEY idx_tasks_subject (tenant_id, subject_type, subject_id, status, due_at),
    -- The digest's sweep over every workspace: open tasks due by today's end.
    KEY idx_tasks_due_open (status, due_at, assignee_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The morning digest: one row per person and UTC day, claimed (inserted, committed) before
-- the mail is handed to the transport and marked `sent_at` after. The unique key is what makes
-- the digest at most once a day: a runner killed between claim and send leaves a row with
-- `sent_at` NULL, and that person gets no digest that day rather than two.
CREATE TABLE task_digests (
    user_id BIGINT UNSIGNED NOT NULL,
    day DATE NOT NULL,
    tasks_count INT UNSIGNED NOT NULL DEFAULT 0,
    claimed_at DATETIME(6) NOT NULL,
    sent_at DATETIME(6) NULL,
    PRIMARY KEY (user_id, day),
    KEY idx_task_digests_day (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
