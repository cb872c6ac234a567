-- The audit log: an append-only record of who did what, from where (issue 20).
-- Rows are written by AuditLog.record in the same transaction as the action they record,
-- read by GET /v1/audit-log, and never updated or deleted through the API; the job runner
-- prunes rows older than the workspace's retention (tenants.audit_retention_days).
CREATE TABLE audit_log (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- NULL for what belongs to no workspace (a failed sign-in for an unknown address).
    tenant_id BIGINT UNSIGNED NULL,
    actor_user_id BIGINT UNSIGNED NULL,
    actor_api_key_id BIGINT UNSIGNED NULL,
    -- Who acted, as shown (a user's email, a key's name): kept after the account is gone.
    actor_label VARCHAR(255) NULL,
    action VARCHAR(64) NOT NULL,
    target_type VARCHAR(40) NULL,
    target_id BIGINT UNSIGNED NULL,
    ip VARCHAR(45) NULL,
    user_agent VARCHAR(255) NULL,
    details JSON NULL,
    created_at DATETIME(6) NOT NULL,
    KEY idx_audit_tenant_created (tenant_id, created_at, id),
    KEY idx_audit_tenant_action (tenant_id, action, created_at),
    KEY idx_audit_tenant_actor (tenant_id, actor_user_id, created_at),
    KEY idx_audit_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE tenants ADD COLUMN audit_retention_days INT UNSIGNED NOT NULL DEFAULT 365;
