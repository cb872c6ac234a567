-- The background job queue and recurring schedules (entercrm jobs).
CREATE TABLE jobs (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NULL,
    kind VARCHAR(100) NOT NULL,
    payload LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(payload)),
    status ENUM('queued', 'running', 'succeeded', 'failed') NOT NULL DEFAULT 'queued',
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    max_attempts INT UNSIGNED NOT NULL DEFAULT 5,
    run_at DATETIME(6) NOT NULL,
    locked_by VARCHAR(120) NULL,
    locked_until DATETIME(6) NULL,
    last_error TEXT NULL,
    unique_key VARCHAR(191) NULL,
    schedule_name VARCHAR(100) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    finished_at DATETIME(6) NULL,
    KEY idx_jobs_due (status, run_at),
    KEY idx_jobs_lease (status, locked_until),
    KEY idx_jobs_tenant (tenant_id, kind, status),
    UNIQUE KEY uq_unique_key (unique_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE job_schedules (
    name VARCHAR(100) NOT NULL PRIMARY KEY,
    kind VARCHAR(100) NOT NULL,
    payload LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(payload)),
    interval_seconds INT UNSIGNED NOT NULL,
    next_run_at DATETIME(6) NOT NULL,
    last_enqueued_at DATETIME(6) NULL,
    enabled TINYINT(1) NOT NULL DEFAULT 1
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
