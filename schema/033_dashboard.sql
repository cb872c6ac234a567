-- The home dashboard (issue 23): per workspace and day (UTC; workspaces have no time zone of
-- their own), what it charts and compares, kept by triggers in the same transaction as the
-- write that changes it, as customer_counts (005) is. A dashboard of a million customers and
-- ten million events then reads a few hundred rows, never the events.
--
-- dashboard_days    events, orders and revenue by the day they occurred, new customers by the
--                   day they were created. Revenue is the one rule of revenue: events.amount,
--                   set only on a purchase that counts (TrackedEvent.applyRevenueRule), as
--                   clv_total and AnalyticsStore.purchases count it.
-- customer_active_days
--                   one row per customer and day with an event of theirs: the customers
--                   active in a range are the distinct ones of its days (dashboard_days'
--                   active_days counts them per day, which tells what counting would cost).
-- dashboard_active  the active customers of a range and the range before it, where they are
--                   too many to count on each request: at most a minute old, refreshed by
--                   the job runner (DashboardStore.activeCustomers).
-- analytics_models.predicted_total
--                   the sum of the predicted lifetime values the last recompute stored on the
--                   customers (and how many have one): written with the model by
--                   AnalyticsStore.recompute, less an erased customer's by the trigger below.
--
-- The rows of one day are spread over 32 shards, chosen by the connection: every row a
-- transaction adds to goes to its own shard, so concurrent writers (the pool's threads, the
-- tracking group commit, batches) neither queue on one counter nor lock shards in two orders.
-- Readers sum the shards.
CREATE TABLE dashboard_days (
    tenant_id BIGINT UNSIGNED NOT NULL,
    day DATE NOT NULL,
    shard TINYINT UNSIGNED NOT NULL,
    events BIGINT NOT NULL DEFAULT 0,
    orders BIGINT NOT NULL DEFAULT 0,
    revenue DECIMAL(20,2) NOT NULL DEFAULT 0,
    new_customers BIGINT NOT NULL DEFAULT 0,
    active_days BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE customer_active_days (
    tenant_id BIGINT UNSIGNED NOT NULL,
    day DATE NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id, day, customer_id),
    KEY idx_active_days_customer (tenant_id, customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE analytics_models
    ADD COLUMN predicted_total DECIMAL(20,2) NULL AFTER calibration,
    ADD COLUMN predicted_customers INT UNSIGNED NULL AFTER predicted_total;

UPDATE analytics_models m SET
    predicted_total = (SELECT COALESCE(SUM(c.clv_predicted), 0) FROM customers c WHERE c.tenant_id = m.tenant_id AND c.clv_predicted IS NOT NULL),
    predicted_customers = (SELECT COUNT(c.clv_predicted) FROM customers c WHERE c.tenant_id = m.tenant_id AND c.clv_predicted IS NOT NULL);

CREATE TABLE dashboard_active (
    tenant_id BIGINT UNSIGNED NOT NULL,
    from_day DATE NOT NULL,
    to_day DATE NOT NULL,
    current BIGINT NOT NULL,
    previous BIGINT NOT NULL,
    computed_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, from_day, to_day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Campaign messages by the time they went out (the dashboard's messages and rates of a period).
ALTER TABLE campaign_messages ADD KEY idx_messages_sent (tenant_id, sent_at);

-- What is there already (before the triggers, as 005 does).
INSERT INTO dashboard_days (tenant_id, day, shard, events, orders, revenue)
SELECT tenant_id, DATE(occurred_at), 0, COUNT(*), COUNT(amount), COALESCE(SUM(amount), 0)
FROM events GROUP BY tenant_id, DATE(occurred_at);

INSERT INTO dashboard_days (tenant_id, day, shard, new_customers)
SELECT tenant_id, DATE(created_at), 0, COUNT(*) FROM customers GROUP BY tenant_id, DATE(created_at)
ON DUPLICATE KEY UPDATE new_customers = VALUES(new_customers);

INSERT IGNORE INTO customer_active_days (tenant_id, day, customer_id)
SELECT DISTINCT tenant_id, DATE(occurred_at), customer_id FROM events WHERE customer_id IS NOT NULL;

INSERT INTO dashboard_days (tenant_id, day, shard, active_days)
SELECT tenant_id, day, 0, COUNT(*) FROM customer_active_days GROUP BY tenant_id, day
ON DUPLICATE KEY UPDATE active_days = VALUES(active_days);

-- A customer's day already there is only read. active_days counts the days added (two
-- writers adding the same new day at once may both count it: it only tells the dashboard
-- what counting would cost, never a figure it shows).
CREATE TRIGGER events_dashboard_insert AFTER INSERT ON events FOR EACH ROW
BEGIN
    DECLARE v_new_day INT DEFAULT 0;
    IF NEW.customer_id IS NOT NULL THEN
        SELECT 1 - COUNT(*) INTO v_new_day FROM customer_active_days
        WHERE tenant_id = NEW.tenant_id AND day = DATE(NEW.occurred_at) AND customer_id = NEW.customer_id;
        IF v_new_day = 1 THEN
            INSERT IGNORE INTO customer_active_days (tenant_id, day, customer_id)
            VALUES (NEW.tenant_id, DATE(NEW.occurred_at), NEW.customer_id);
        END IF;
    END IF;
    INSERT INTO dashboard_days (tenant_id, day, shard, events, orders, revenue, active_days)
    VALUES (NEW.tenant_id, DATE(NEW.occurred_at), CONNECTION_ID() % 32, 1, NEW.amount IS NOT NULL, COALESCE(NEW.amount, 0), v_new_day)
    ON DUPLICATE KEY UPDATE events = events + 1, orders = orders + VALUES(orders), revenue = revenue + VALUES(revenue),
                            active_days = active_days + VALUES(active_days);
END;

-- Identify joins a browser's anonymous history to its customer (EventRecorder).
CREATE TRIGGER events_dashboard_update AFTER UPDATE ON events FOR EACH ROW
BEGIN
    IF NEW.customer_id IS NOT NULL AND NOT (NEW.customer_id <=> OLD.customer_id)
       AND NOT EXISTS (SELECT 1 FROM customer_active_days
                       WHERE tenant_id = NEW.tenant_id AND day = DATE(NEW.occurred_at) AND customer_id = NEW.customer_id) THEN
        INSERT IGNORE INTO customer_active_days (tenant_id, day, customer_id)
        VALUES (NEW.tenant_id, DATE(NEW.occurred_at), NEW.customer_id);
        INSERT INTO dashboard_days (tenant_id, day, shard, active_days)
        VALUES (NEW.tenant_id, DATE(NEW.occurred_at), CONNECTION_ID() % 32, 1)
        ON DUPLICATE KEY UPDATE active_days = active_days + 1;
    END IF;
END;

-- Erasure deletes a customer's events, then the customer (CustomerRoutes.erase).
CREATE TRIGGER events_dashboard_delete AFTER DELETE ON events FOR EACH ROW
    INSERT INTO dashboard_days (tenant_id, day, shard, events, orders, revenue)
    VALUES (OLD.tenant_id, DATE(OLD.occurred_at), CONNECTION_ID() % 32, -1, -(OLD.amount IS NOT NULL), -COALESCE(OLD.amount, 0))
    ON DUPLICATE KEY UPDATE events = events - 1, orders = orders + VALUES(orders), revenue = revenue + VALUES(revenue);

CREATE TRIGGER customers_dashboard_insert AFTER INSERT ON customers FOR EACH ROW
    INSERT INTO dashboard_days (tenant_id, day, shard, new_customers)
    VALUES (NEW.tenant_id, DATE(NEW.created_at), CONNECTION_ID() % 32, 1)
    ON DUPLICATE KEY UPDATE new_customers = new_customers + 1;

CREATE TRIGGER customers_dashboard_delete AFTER DELETE ON customers FOR EACH ROW
BEGIN
    INSERT INTO dashboard_days (tenant_id, day, shard, new_customers)
    VALUES (OLD.tenant_id, DATE(OLD.created_at), CONNECTION_ID() % 32, -1)
    ON DUPLICATE KEY UPDATE new_customers = new_customers - 1;
    INSERT INTO dashboard_days (tenant_id, day, shard, active_days)
    SELECT OLD.tenant_id, day, CONNECTION_ID() % 32, -COUNT(*) FROM customer_active_days
    WHERE tenant_id = OLD.tenant_id AND customer_id = OLD.id GROUP BY day ORDER BY day
    ON DUPLICATE KEY UPDATE active_days = active_days + VALUES(active_days);
    DELETE FROM customer_active_days WHERE tenant_id = OLD.tenant_id AND customer_id = OLD.id;
    IF OLD.clv_predicted IS NOT NULL THEN
        UPDATE analytics_models SET predicted_total = predicted_total - OLD.clv_predicted,
                                    predicted_customers = predicted_customers - 1
        WHERE tenant_id = OLD.tenant_id AND predicted_total IS NOT NULL;
    END IF;
END;
