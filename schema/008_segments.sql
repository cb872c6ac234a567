-- Segments whose membership is always current: stored membership, a queue of customers to
-- re-evaluate, every entry and exit, and the built-in RFM segments.
ALTER TABLE segments
    -- The RFM segment a built-in segment mirrors ("Champions"); NULL for a user's segment.
    ADD COLUMN system_key VARCHAR(40) NULL AFTER filters,
    -- 'building' while a background rebuild of the whole segment is under way.
    ADD COLUMN status ENUM('ready', 'building') NOT NULL DEFAULT 'ready' AFTER system_key,
    -- Bumped by every change of the filters; a rebuild finishes only the version it built.
    ADD COLUMN version INT UNSIGNED NOT NULL DEFAULT 1 AFTER status,
    -- The segments this one's filters name with in_segment (JSON array of ids).
    ADD COLUMN depends_on LONGTEXT NOT NULL DEFAULT '[]' CHECK (JSON_VALID(depends_on)) AFTER version,
    ADD COLUMN built_at DATETIME(6) NULL AFTER depends_on,
    ADD UNIQUE KEY uq_segments_system (tenant_id, system_key);

ALTER TABLE segment_members ADD KEY idx_segment_members_added (segment_id, added_at);

-- Customers whose memberships must be re-evaluated: marked in the same transaction as the
-- write that changed them, cleared by the evaluator of `entercrm jobs` within a second.
CREATE TABLE segment_dirty (
    tenant_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    -- What changed, as bits: 1 the profile (every segment is re-evaluated), 2 activity
    -- (events: only the segments whose conditions tracking can change).
    reasons TINYINT UNSIGNED NOT NULL DEFAULT 3,
    marked_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every entry into and exit from a segment (segment_entered / segment_exited).
CREATE TABLE segment_changes (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    segment_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    event ENUM('segment_entered', 'segment_exited') NOT NULL,
    occurred_at DATETIME(6) NOT NULL,
    KEY idx_segment_changes_segment (segment_id, occurred_at),
    KEY idx_segment_changes_customer (tenant_id, customer_id, occurred_at),
    CONSTRAINT fk_segment_changes_segment FOREIGN KEY (segment_id) REFERENCES segments (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Where the time-boundary job got to: the customers whose "within N days" conditions flip
-- between two runs are those whose times crossed now - N days in between.
CREATE TABLE segment_clock (
    name VARCHAR(40) NOT NULL PRIMARY KEY,
    checked_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Events of one name in a time window: event conditions of whole-segment rebuilds, and the
-- customers whose "event within N days" crossed a boundary.
ALTER TABLE events ADD KEY idx_events_name_time (tenant_id, name, occurred_at, customer_id);
