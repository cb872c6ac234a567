-- Automations: a flow design (nodes and edges) per automation, the customers enrolled in
-- it with the node each is at, a log of every step, and the messages its actions sent.
CREATE TABLE automations (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(190) NOT NULL,
    trigger_type VARCHAR(40) NOT NULL,
    trigger_config LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(trigger_config)),
    -- 'once': a customer is enrolled at most once; 'after_completion': again once the last
    -- enrolment has ended.
    reentry ENUM('once', 'after_completion') NOT NULL DEFAULT 'once',
    is_active TINYINT(1) NOT NULL DEFAULT 0,
    design LONGTEXT NOT NULL DEFAULT '{"nodes":[],"edges":[]}' CHECK (JSON_VALID(design)),
    steps_count INT UNSIGNED NOT NULL DEFAULT 0,
    -- The last row (customer, event, stage history) the trigger intake has looked at.
    trigger_cursor BIGINT UNSIGNED NOT NULL DEFAULT 0,
    webhook_secret VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    KEY idx_automations_tenant (tenant_id, id),
    KEY idx_automations_active (is_active, trigger_type),
    CONSTRAINT fk_automations_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE automation_enrolments (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    automation_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    -- 0 for the first enrolment of the customer, 1 for the next (re-entry) …
    cycle INT UNSIGNED NOT NULL DEFAULT 0,
    current_node VARCHAR(64) NULL,
    state ENUM('active', 'waiting', 'paused', 'completed', 'exited', 'failed') NOT NULL DEFAULT 'active',
    -- The state a paused enrolment goes back to when its automation is activated again.
    resume_state ENUM('active', 'waiting') NULL,
    -- Counts the steps taken; a step is recorded only against the sequence it read, so a
    -- step run twice (after a crash) is recorded once.
    step_seq INT UNSIGNED NOT NULL DEFAULT 0,
    next_run_at DATETIME(6) NULL,
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    -- What started it: the event, the CRM entry, the segment.
    context LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(context)),
    locked_by VARCHAR(120) NULL,
    locked_until DATETIME(6) NULL,
    entered_at DATETIME(6) NOT NULL,
    finished_at DATETIME(6) NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_enrolment (automation_id, customer_id, cycle),
    KEY idx_enrolments_due (state, next_run_at),
    KEY idx_enrolments_tenant_due (tenant_id, state, next_run_at),
    KEY idx_enrolments_automation (tenant_id, automation_id, state, current_node),
    KEY idx_enrolments_customer (tenant_id, customer_id),
    CONSTRAINT fk_enrolments_automation FOREIGN KEY (automation_id) REFERENCES automations (id) ON DELETE CASCADE,
    CONSTRAINT fk_enrolments_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One line per step of an enrolment: the node, when, and what came of it.
CREATE TABLE automation_steps (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    automation_id BIGINT UNSIGNED NOT NULL,
    enrolment_id BIGINT UNSIGNED NOT NULL,
    seq INT UNSIGNED NOT NULL,
    node_id VARCHAR(64) NOT NULL,
    node_type VARCHAR(40) NOT NULL,
    outcome ENUM('completed', 'waiting', 'failed', 'retrying', 'moved', 'ended') NOT NULL,
    detail VARCHAR(1000) NULL,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_step (enrolment_id, seq, outcome),
    KEY idx_steps_node (tenant_id, automation_id, node_id, outcome),
    CONSTRAINT fk_steps_enrolment FOREIGN KEY (enrolment_id) REFERENCES automation_enrolments (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Outbound messages of automation actions (email, SMS, member notices, webhooks), at most
-- once: the row is 'sending' (committed) before the send and 'sent' after it.
CREATE TABLE automation_messages (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    automation_id BIGINT UNSIGNED NOT NULL,
    enrolment_id BIGINT UNSIGNED NOT NULL,
    step_seq INT UNSIGNED NOT NULL,
    channel ENUM('email', 'sms', 'notify', 'webhook') NOT NULL,
    recipient VARCHAR(2048) NULL,
    subject VARCHAR(300) NULL,
    state ENUM('sending', 'sent', 'failed', 'interrupted') NOT NULL,
    error TEXT NULL,
    created_at DATETIME(6) NOT NULL,
    sent_at DATETIME(6) NULL,
    UNIQUE KEY uq_message (enrolment_id, step_seq),
    KEY idx_messages_automation (tenant_id, automation_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
