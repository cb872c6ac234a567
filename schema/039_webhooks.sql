-- Webhook subscriptions (issue 26 part 2): a workspace's URLs, the event types each wants,
-- its signing secret (Standard Webhooks, "whsec_" + base64), active or paused.
-- The secret is kept as is: it signs every call (HMAC), so it cannot be stored as a hash.
-- During a rotation the previous secret signs too, until previous_secret_until.
CREATE TABLE webhook_subscriptions (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    url VARCHAR(2000) NOT NULL,
    description VARCHAR(255) NULL,
    types LONGTEXT NOT NULL CHECK (JSON_VALID(types)),
    -- For event.tracked: only the events of these names (NULL: every event).
    event_names LONGTEXT NULL CHECK (event_names IS NULL OR JSON_VALID(event_names)),
    secret VARCHAR(100) NOT NULL,
    previous_secret VARCHAR(100) NULL,
    previous_secret_until DATETIME(6) NULL,
    status ENUM('active', 'paused') NOT NULL DEFAULT 'active',
    paused_reason VARCHAR(255) NULL,
    -- The first failed call since the last successful one (NULL: not failing).
    failing_since DATETIME(6) NULL,
    created_by BIGINT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    KEY idx_webhook_subscriptions_tenant (tenant_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The outbox: one row per (change, subscription), written by webhook_enqueue in the
-- transaction of the change, so a rolled-back change leaves none. The job runner delivers the
-- pending ones (WebhookDelivery), oldest first per subject (customer:12, entry:7 …).
-- msg_id is the webhook-id a replay keeps (NULL: "msg_" + id).
CREATE TABLE webhook_deliveries (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    subscription_id BIGINT UNSIGNED NOT NULL,
    msg_id VARCHAR(40) NULL,
    type VARCHAR(64) NOT NULL,
    subject VARCHAR(120) NOT NULL,
    data LONGTEXT NOT NULL CHECK (JSON_VALID(data)),
    status ENUM('pending', 'delivered', 'failed') NOT NULL DEFAULT 'pending',
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6) NOT NULL,
    last_status SMALLINT UNSIGNED NULL,
    last_error VARCHAR(100) NULL,
    -- When the change happened (the body's timestamp); created_at is when this row was
    -- written (a replay's row is new), and the retries give up 3 days after it.
    occurred_at DATETIME(6) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    delivered_at DATETIME(6) NULL,
    KEY idx_webhook_deliveries_due (status, next_attempt_at),
    KEY idx_webhook_deliveries_subject (subscription_id, subject, status, id),
    KEY idx_webhook_deliveries_list (tenant_id, subscription_id, id),
    KEY idx_webhook_deliveries_created (created_at),
    CONSTRAINT fk_webhook_deliveries_subscription FOREIGN KEY (subscription_id) REFERENCES webhook_subscriptions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The delivery log: every call made, its answer's status (NULL: no answer), the error's
-- category, how long it took and the first 1 KB of the answer's body.
CREATE TABLE webhook_attempts (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    subscription_id BIGINT UNSIGNED NOT NULL,
    delivery_id BIGINT UNSIGNED NOT NULL,
    attempted_at DATETIME(6) NOT NULL,
    status_code SMALLINT UNSIGNED NULL,
    error VARCHAR(100) NULL,
    duration_ms INT UNSIGNED NOT NULL,
    response VARCHAR(1024) NULL,
    KEY idx_webhook_attempts_list (tenant_id, subscription_id, id),
    KEY idx_webhook_attempts_delivery (delivery_id),
    KEY idx_webhook_attempts_time (attempted_at),
    CONSTRAINT fk_webhook_attempts_delivery FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The one writer of outbox rows: p_items is a JSON array of {type, subject, name, data}
-- (data a string of JSON; name only for event.tracked, matched against event_names). One
-- set-based INSERT for the whole list, in the caller's transaction, in the list's order;
-- nothing but one index probe when the workspace has no active subscription.
CREATE PROCEDURE webhook_enqueue(IN p_tenant BIGINT UNSIGNED, IN p_items LONGTEXT)
BEGIN
    IF EXISTS (SELECT 1 FROM webhook_subscriptions WHERE tenant_id = p_tenant AND status = 'active') THEN
        INSERT INTO webhook_deliveries (tenant_id, subscription_id, type, subject, data, next_attempt_at, occurred_at, created_at)
        SELECT s.tenant_id, s.id, j.type, j.subject, j.data, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
        FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
                seq FOR ORDINALITY,
                type VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$.type',
                subject VARCHAR(120) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$.subject',
                name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$.name',
                data LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$.data')) j
        JOIN webhook_subscriptions s ON s.tenant_id = p_tenant AND s.status = 'active'
            AND JSON_CONTAINS(s.types, JSON_QUOTE(j.type))
            AND (j.name IS NULL OR s.event_names IS NULL OR JSON_CONTAINS(s.event_names, JSON_QUOTE(j.name)))
        ORDER BY j.seq, s.id;
    END IF;
END;

-- customer.deleted: every erasure is a DELETE on customers (a workspace's deletion cascades,
-- which fires no trigger, and announces nothing). customer.created is written by the creating
-- paths in Swift (CustomerChanges.created), not by an AFTER INSERT trigger: a trigger call per
-- inserted row slowed the bulk inserts of the batch import measurably.
CREATE TRIGGER customers_webhook_delete AFTER DELETE ON customers FOR EACH ROW
BEGIN
    IF EXISTS (SELECT 1 FROM webhook_subscriptions WHERE tenant_id = OLD.tenant_id AND status = 'active') THEN
        CALL webhook_enqueue(OLD.tenant_id, JSON_ARRAY(JSON_OBJECT(
            'type', 'customer.deleted', 'subject', CONCAT('customer:', OLD.id),
            'data', CONCAT('', JSON_OBJECT('id', OLD.id)))));
    END IF;
END;

-- segment.entered and segment.exited: every membership change is a row of segment_changes
-- (the rebuild's set-based INSERTs and the incremental updates of SegmentStore), so this
-- trigger is their one home. Subject: the customer, so a customer's events keep their order.
CREATE TRIGGER segment_changes_webhook AFTER INSERT ON segment_changes FOR EACH ROW
BEGIN
    IF EXISTS (SELECT 1 FROM webhook_subscriptions WHERE tenant_id = NEW.tenant_id AND status = 'active') THEN
        CALL webhook_enqueue(NEW.tenant_id, JSON_ARRAY(JSON_OBJECT(
            'type', IF(NEW.event = 'segment_entered', 'segment.entered', 'segment.exited'),
            'subject', CONCAT('customer:', NEW.customer_id),
            'data', CONCAT('', JSON_OBJECT('segment_id', NEW.segment_id, 'customer_id', NEW.customer_id,
                                           'occurred_at', DATE_FORMAT(NEW.occurred_at, '%Y-%m-%dT%H:%i:%sZ'))))));
    END IF;
END;
