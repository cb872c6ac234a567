-- CSV imports (issue 25 part 1): one row per uploaded file, with its detected format, the
-- mapping and mode the user chose, and the progress the job keeps. `rows_done` and the
-- counts are written in the same transaction as each chunk of rows, so that a job runner
-- that dies resumes after the last committed chunk and writes no row twice. The file
-- itself lives on disk (`file_path`, under ENTERCRM_IMPORT_DIR/<workspace>/) and is removed
-- with the import.
CREATE TABLE imports (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    -- customers, companies, or entity:<id>
    target VARCHAR(40) CHARACTER SET ascii NOT NULL,
    status ENUM('uploaded', 'queued', 'running', 'done', 'failed', 'cancelled') NOT NULL DEFAULT 'uploaded',
    file_name VARCHAR(255) NULL,
    file_path VARCHAR(1024) NOT NULL,
    file_bytes BIGINT UNSIGNED NOT NULL DEFAULT 0,
    encoding VARCHAR(16) CHARACTER SET ascii NOT NULL,
    bom TINYINT(1) NOT NULL DEFAULT 0,
    delimiter VARCHAR(10) CHARACTER SET ascii NOT NULL,
    header LONGTEXT NOT NULL CHECK (JSON_VALID(header)),
    mapping LONGTEXT NOT NULL CHECK (JSON_VALID(mapping)),
    mode ENUM('create', 'update', 'upsert') NOT NULL DEFAULT 'upsert',
    key_field VARCHAR(200) NULL,
    pipeline_id BIGINT UNSIGNED NULL,
    dry_run TINYINT(1) NOT NULL DEFAULT 0,
    -- Tags to add to every imported record (applied once tags exist, issue 25 part 4).
    tags LONGTEXT NOT NULL DEFAULT '[]' CHECK (JSON_VALID(tags)),
    rows_total INT UNSIGNED NULL,
    rows_done INT UNSIGNED NOT NULL DEFAULT 0,
    created INT UNSIGNED NOT NULL DEFAULT 0,
    updated INT UNSIGNED NOT NULL DEFAULT 0,
    unchanged INT UNSIGNED NOT NULL DEFAULT 0,
    skipped INT UNSIGNED NOT NULL DEFAULT 0,
    failed INT UNSIGNED NOT NULL DEFAULT 0,
    cancel_requested TINYINT(1) NOT NULL DEFAULT 0,
    error VARCHAR(1000) NULL,
    created_by_user_id BIGINT UNSIGNED NULL,
    created_by_api_key_id BIGINT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    started_at DATETIME(6) NULL,
    finished_at DATETIME(6) NULL,
    KEY idx_imports_tenant (tenant_id, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The rows an import could not take: the row as read (its text, unchanged), its first line
-- in the file, and why (the field and the message). Written with the chunk they belong to.
CREATE TABLE import_errors (
    import_id BIGINT UNSIGNED NOT NULL,
    line INT UNSIGNED NOT NULL,
    field VARCHAR(200) NULL,
    message VARCHAR(1000) NOT NULL,
    raw MEDIUMBLOB NOT NULL,
    PRIMARY KEY (import_id, line),
    CONSTRAINT fk_import_errors_import FOREIGN KEY (import_id) REFERENCES imports (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
