-- Campaigns (email, SMS, ad audiences), their frozen per-recipient messages, engagement
-- (opens, clicks, unsubscribes with the user agent's classification), unsubscribes, and
-- each workspace's delivery settings.
CREATE TABLE campaigns (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(190) NOT NULL,
    type ENUM('email', 'sms', 'ad') NOT NULL,
    status ENUM('draft', 'scheduled', 'sending', 'sent', 'cancelled', 'failed') NOT NULL,
    segment_id BIGINT UNSIGNED NULL,
    subject VARCHAR(255) NULL,
    body MEDIUMTEXT NULL,
    scheduled_at DATETIME(6) NULL,
    -- When sending started (the audience was frozen) and when the last message was done.
    sent_at DATETIME(6) NULL,
    finished_at DATETIME(6) NULL,
    total_recipients INT UNSIGNED NOT NULL DEFAULT 0,
    -- Messages found "sending" after a runner crash: not resent (at most once), reported.
    interrupted INT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    KEY idx_campaigns_tenant (tenant_id, created_at),
    CONSTRAINT fk_campaigns_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per recipient, written when the campaign is sent. `status` is the furthest state
-- reached (queued → sending → sent → opened → clicked → unsubscribed, or bounced / failed);
-- each state keeps its own time.
CREATE TABLE campaign_messages (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    campaign_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    address VARCHAR(190) NOT NULL,
    -- The public token of the pixel, click and unsubscribe links.
    token CHAR(24) NOT NULL,
    status ENUM('queued', 'sending', 'sent', 'opened', 'clicked', 'bounced', 'unsubscribed', 'failed') NOT NULL DEFAULT 'queued',
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6) NOT NULL,
    error VARCHAR(500) NULL,
    provider_id VARCHAR(190) NULL,
    sending_at DATETIME(6) NULL,
    sent_at DATETIME(6) NULL,
    opened_at DATETIME(6) NULL,
    clicked_at DATETIME(6) NULL,
    human_opened_at DATETIME(6) NULL,
    human_clicked_at DATETIME(6) NULL,
    bounced_at DATETIME(6) NULL,
    unsubscribed_at DATETIME(6) NULL,
    failed_at DATETIME(6) NULL,
    opens INT UNSIGNED NOT NULL DEFAULT 0,
    clicks INT UNSIGNED NOT NULL DEFAULT 0,
    UNIQUE KEY uq_token (token),
    UNIQUE KEY uq_recipient (campaign_id, customer_id),
    KEY idx_messages_due (campaign_id, status, next_attempt_at, id),
    KEY idx_messages_customer (tenant_id, customer_id),
    CONSTRAINT fk_messages_campaign FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE,
    -- Erasing a customer erases their messages (address, engagement) too.
    CONSTRAINT fk_messages_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE campaign_engagements (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    campaign_id BIGINT UNSIGNED NOT NULL,
    message_id BIGINT UNSIGNED NOT NULL,
    kind ENUM('open', 'click', 'unsubscribe') NOT NULL,
    classification ENUM('human', 'proxy', 'scanner') NOT NULL,
    url VARCHAR(2048) NULL,
    user_agent VARCHAR(512) NULL,
    ip VARCHAR(64) NULL,
    created_at DATETIME(6) NOT NULL,
    KEY idx_engagements_message (message_id, created_at),
    KEY idx_engagements_campaign (campaign_id, kind),
    CONSTRAINT fk_engagements_campaign FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE,
    CONSTRAINT fk_engagements_message FOREIGN KEY (message_id) REFERENCES campaign_messages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Customers who asked to receive no more campaigns on a channel.
CREATE TABLE campaign_unsubscribes (
    tenant_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    channel ENUM('email', 'sms') NOT NULL,
    campaign_id BIGINT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, channel),
    CONSTRAINT fk_unsubscribes_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A workspace's delivery settings; absent columns fall back to the instance default
-- (ENTERCRM_SMTP_*), and with no relay at all, mail goes to the development mailbox.
CREATE TABLE campaign_settings (
    tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    smtp_host VARCHAR(190) NULL,
    smtp_port INT UNSIGNED NULL,
    smtp_starttls TINYINT(1) NOT NULL DEFAULT 1,
    smtp_username VARCHAR(190) NULL,
    smtp_password VARCHAR(190) NULL,
    from_email VARCHAR(190) NULL,
    from_name VARCHAR(190) NULL,
    -- Messages a second for this workspace.
    send_rate INT UNSIGNED NULL,
    sms_webhook_url VARCHAR(1024) NULL,
    sms_webhook_secret VARCHAR(190) NULL,
    updated_at DATETIME(6) NOT NULL,
    CONSTRAINT fk_campaign_settings_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
