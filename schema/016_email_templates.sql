-- Saved email templates of a workspace: a subject and an HTML body (and an optional
-- plain-text part) with the campaigns' merge tags. Automations' send_email nodes name one
-- by its `key` (a slug such as "win-back-1", unique per workspace) or by its id.
CREATE TABLE email_templates (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    `key` VARCHAR(100) NOT NULL,
    name VARCHAR(190) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    body_html MEDIUMTEXT NOT NULL,
    body_text MEDIUMTEXT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_email_templates_key (tenant_id, `key`),
    KEY idx_email_templates_tenant (tenant_id, created_at),
    CONSTRAINT fk_email_templates_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
