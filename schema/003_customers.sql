-- Customers, their events, anonymous identities, and segment membership.
CREATE TABLE customers (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(190) NULL,
    -- Trimmed and lowercased; unique per workspace.
    email VARCHAR(190) NULL,
    phone VARCHAR(40) NULL,
    city VARCHAR(120) NULL,
    country VARCHAR(64) NULL,
    properties LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(properties)),
    rfm_recency TINYINT UNSIGNED NULL,
    rfm_frequency TINYINT UNSIGNED NULL,
    rfm_monetary TINYINT UNSIGNED NULL,
    rfm_score TINYINT UNSIGNED NULL,
    rfm_segment VARCHAR(40) NULL,
    clv_total DECIMAL(14,2) NOT NULL DEFAULT 0.00,
    clv_predicted DECIMAL(14,2) NULL,
    clv_order_count INT UNSIGNED NOT NULL DEFAULT 0,
    clv_average_order DECIMAL(14,2) NULL,
    currency CHAR(3) NULL,
    first_order_at DATETIME(6) NULL,
    last_order_at DATETIME(6) NULL,
    events_count INT UNSIGNED NOT NULL DEFAULT 0,
    last_seen_at DATETIME(6) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_email (tenant_id, email),
    KEY idx_customers_created (tenant_id, created_at),
    KEY idx_customers_seen (tenant_id, last_seen_at),
    KEY idx_customers_name (tenant_id, name),
    KEY idx_customers_clv (tenant_id, clv_total),
    KEY idx_customers_predicted (tenant_id, clv_predicted),
    KEY idx_customers_rfm (tenant_id, rfm_score),
    KEY idx_customers_events (tenant_id, events_count),
    KEY idx_customers_segment (tenant_id, rfm_segment, created_at),
    KEY idx_customers_country (tenant_id, country, city),
    FULLTEXT KEY ft_customers (name, email),
    CONSTRAINT fk_customers_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE events (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    -- The id clients see: evt_ and 16 hex digits.
    public_id CHAR(20) NOT NULL,
    customer_id BIGINT UNSIGNED NULL,
    anonymous_id VARCHAR(100) NULL,
    type ENUM('event', 'pageview', 'identify') NOT NULL,
    name VARCHAR(100) NOT NULL,
    properties LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(properties)),
    amount DECIMAL(14,2) NULL,
    currency CHAR(3) NULL,
    url VARCHAR(2048) NULL,
    referrer VARCHAR(2048) NULL,
    user_agent VARCHAR(512) NULL,
    ip VARCHAR(64) NULL,
    message_id VARCHAR(190) NULL,
    occurred_at DATETIME(6) NOT NULL,
    received_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_public_id (public_id),
    UNIQUE KEY uq_message_id (tenant_id, message_id),
    KEY idx_events_customer (tenant_id, customer_id, occurred_at),
    KEY idx_events_anonymous (tenant_id, anonymous_id),
    KEY idx_events_recent (tenant_id, id),
    CONSTRAINT fk_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A browser's anonymous id, linked to the customer it identified as.
CREATE TABLE identities (
    tenant_id BIGINT UNSIGNED NOT NULL,
    anonymous_id VARCHAR(100) NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, anonymous_id),
    KEY idx_identities_customer (tenant_id, customer_id),
    CONSTRAINT fk_identities_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE segments (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(120) NOT NULL,
    description VARCHAR(500) NULL,
    color VARCHAR(16) NULL,
    filters LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(filters)),
    customers_count INT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_name (tenant_id, name),
    CONSTRAINT fk_segments_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE segment_members (
    segment_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    tenant_id BIGINT UNSIGNED NOT NULL,
    added_at DATETIME(6) NOT NULL,
    PRIMARY KEY (segment_id, customer_id),
    KEY idx_segment_members_customer (tenant_id, customer_id),
    CONSTRAINT fk_segment_members_segment FOREIGN KEY (segment_id) REFERENCES segments (id) ON DELETE CASCADE,
    CONSTRAINT fk_segment_members_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Publishable keys are public by design (they sit in every page of a website), so the
-- console can show them in full for the tracking snippet. Secret keys stay hash-only.
ALTER TABLE api_keys ADD COLUMN public_key VARCHAR(64) NULL AFTER key_hash;
