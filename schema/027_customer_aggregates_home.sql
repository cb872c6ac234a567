-- One home per rule (issue 21): a customer's aggregates and the segment_dirty mark.
--
-- Until now the aggregates (events_count, last_seen_at, clv_total, clv_order_count,
-- clv_average_order, first_order_at, last_order_at, currency) were written by four copies
-- of the same arithmetic: track_one_event (015, copied into 020), EventRecorder's upsert of
-- new customers and its UPDATE of known ones, and EventRecorder.recompute after identify.
-- And a segment_dirty mark was written by track_one_event, SegmentStore.markTracked and
-- SegmentStore.markDirty. Each rule now has one procedure, and every path calls it:
--
-- segment_mark_dirty          the mark (SegmentStore.markDirty, customer_add_events)
-- customer_add_events         the aggregates of events added to their customers, and their
--                             mark (track_one_event, EventRecorder.record: the single event,
--                             a batch, the group commit, engagement events, the demo seed)
-- customer_recompute_events   the aggregates rebuilt from a customer's events, through
--                             customer_add_events (identify, when anonymous history joins)
-- track_one_event             replaced: the same one round trip, calling the two above.
--
-- They run inside MariaDB for speed (the hot path's one round trip, the batch's one
-- statement); the Swift side passes the events and never repeats the arithmetic.

-- Marks customers for re-evaluation by the segment evaluator, in the caller's transaction:
-- p_marks is a JSON array of [customer_id, reasons] (reasons: SegmentStore.DirtyReason's
-- bits, or-ed into any mark already there). Nothing when the workspace has no segment.
CREATE PROCEDURE segment_mark_dirty(IN p_tenant BIGINT UNSIGNED, IN p_marks LONGTEXT)
MODIFIES SQL DATA
BEGIN
    IF EXISTS (SELECT 1 FROM segments WHERE tenant_id = p_tenant) THEN
        INSERT INTO segment_dirty (tenant_id, customer_id, reasons, marked_at)
        SELECT p_tenant, m.c, m.r, UTC_TIMESTAMP(6)
        FROM JSON_TABLE(p_marks, '$[*]' COLUMNS (c BIGINT UNSIGNED PATH '$[0]', r TINYINT UNSIGNED PATH '$[1]')) m
        ORDER BY m.c
        ON DUPLICATE KEY UPDATE reasons = reasons | VALUES(reasons), marked_at = VALUES(marked_at);
    END IF;
END;

-- Adds events to their customers' aggregates, in the caller's transaction, and marks those
-- customers for the segments: activity only, unless these are the customer's only events
-- (then p_dirty_all: every segment looks at them).
--
-- p_events is a JSON array of [customer_id, amount, currency, occurred_at], one per event,
-- in the order they were tracked; the caller sorts it by customer_id (a stable sort), so
-- that customers are locked in id order and concurrent batches do not deadlock. An amount
-- (the revenue TrackedEvent.applyRevenueRule let count, or null) is an order: it adds to the
-- total, the order count, the first and last order; a customer without a currency takes
-- that of their first order that has one. The average is the new total over the new count,
-- rounded to the cent.
--
-- p_matched answers how many of the customers were found (in p_tenant): fewer than the
-- distinct ids given means one was erased meanwhile.
CREATE PROCEDURE customer_add_events(IN p_tenant BIGINT UNSIGNED, IN p_events LONGTEXT,
                                     IN p_dirty_all TINYINT UNSIGNED, IN p_dirty_activity TINYINT UNSIGNED,
                                     OUT p_matched INT)
MODIFIES SQL DATA
BEGIN
    DECLARE v_marks LONGTEXT DEFAULT NULL;
    -- The average comes first: it reads the old total and count plus these events'.
    UPDATE (SELECT e.id, COUNT(*) AS n, COUNT(e.amount) AS orders, COALESCE(SUM(e.amount), 0) AS total,
                   MAX(e.at) AS seen, MIN(IF(e.amount IS NULL, NULL, e.at)) AS first_order,
                   MAX(IF(e.amount IS NULL, NULL, e.at)) AS last_order,
                   SUBSTRING_INDEX(GROUP_CONCAT(IF(e.amount IS NULL, NULL, e.currency) ORDER BY e.i SEPARATOR ','), ',', 1) AS currency
            FROM JSON_TABLE(p_events, '$[*]' COLUMNS (
                     i FOR ORDINALITY, id BIGINT UNSIGNED PATH '$[0]', amount DECIMAL(14,2) PATH '$[1]',
                     currency CHAR(3) PATH '$[2]', at DATETIME(6) PATH '$[3]')) e
            GROUP BY e.id) d
           STRAIGHT_JOIN customers c FORCE INDEX (PRIMARY) ON c.id = d.id
    SET c.clv_average_order = IF(c.clv_order_count + d.orders > 0,
            ROUND((c.clv_total + d.total) / (c.clv_order_count + d.orders), 2), c.clv_average_order),
        c.events_count = c.events_count + d.n,
        c.last_seen_at = GREATEST(COALESCE(c.last_seen_at, d.seen), d.seen),
        c.clv_total = c.clv_total + d.total,
        c.clv_order_count = c.clv_order_count + d.orders,
        c.first_order_at = LEAST(COALESCE(c.first_order_at, d.first_order), COALESCE(d.first_order, c.first_order_at)),
        c.last_order_at = GREATEST(COALESCE(c.last_order_at, d.last_order), COALESCE(d.last_order, c.last_order_at)),
        c.currency = COALESCE(c.currency, d.currency),
        c.updated_at = UTC_TIMESTAMP(6)
    WHERE c.tenant_id = p_tenant;
    SET p_matched = ROW_COUNT();
    -- The segments' marks. Nothing (not even the JSON) without segments.
    IF EXISTS (SELECT 1 FROM segments WHERE tenant_id = p_tenant) THEN
        SELECT JSON_ARRAYAGG(JSON_ARRAY(c.id, IF(c.events_count <= d.n, p_dirty_all, p_dirty_activity))) INTO v_marks
        FROM (SELECT e.id, COUNT(*) AS n
              FROM JSON_TABLE(p_events, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$[0]')) e GROUP BY e.id) d
             STRAIGHT_JOIN customers c FORCE INDEX (PRIMARY) ON c.id = d.id AND c.tenant_id = p_tenant;
        IF v_marks IS NOT NULL THEN CALL segment_mark_dirty(p_tenant, v_marks); END IF;
    END IF;
END;

-- Rebuilds a customer's aggregates from their stored events (when anonymous history joins
-- them): the aggregates back to none, then every event added by customer_add_events. The
-- currency stays (COALESCE keeps it), as it did.
CREATE PROCEDURE customer_recompute_events(IN p_tenant BIGINT UNSIGNED, IN p_customer BIGINT UNSIGNED,
                                           IN p_dirty_all TINYINT UNSIGNED, IN p_dirty_activity TINYINT UNSIGNED)
MODIFIES SQL DATA
BEGIN
    DECLARE v_events LONGTEXT DEFAULT NULL;
    DECLARE v_matched INT DEFAULT 0;
    UPDATE customers SET events_count = 0, last_seen_at = NULL, clv_total = 0, clv_order_count = 0,
                         clv_average_order = NULL, first_order_at = NULL, last_order_at = NULL,
                         updated_at = UTC_TIMESTAMP(6)
    WHERE tenant_id = p_tenant AND id = p_customer;
    SELECT JSON_ARRAYAGG(JSON_ARRAY(customer_id, amount, currency, occurred_at) ORDER BY id) INTO v_events
    FROM events WHERE tenant_id = p_tenant AND customer_id = p_customer;
    IF v_events IS NOT NULL THEN
        CALL customer_add_events(p_tenant, v_events, p_dirty_all, p_dirty_activity, v_matched);
    END IF;
END;

-- track_one_event (020), the same one round trip and the same answer, with the customer's
-- aggregates and mark by the procedures above. The customer is found by the unique email
-- (FORCE INDEX (uq_email): see 020) or created without aggregates; its ON DUPLICATE KEY
-- covers a concurrent request that created it meanwhile.
DROP PROCEDURE IF EXISTS track_one_event;

CREATE PROCEDURE track_one_event(
    IN p_tenant BIGINT UNSIGNED, IN p_email VARCHAR(190), IN p_public_id CHAR(20), IN p_anonymous_id VARCHAR(100),
    IN p_type VARCHAR(10), IN p_name VARCHAR(100), IN p_properties LONGTEXT, IN p_amount DECIMAL(14,2),
    IN p_currency CHAR(3), IN p_url VARCHAR(2048), IN p_referrer VARCHAR(2048), IN p_user_agent VARCHAR(512),
    IN p_ip VARCHAR(64), IN p_message_id VARCHAR(190), IN p_occurred_at DATETIME(6),
    IN p_dirty_all TINYINT UNSIGNED, IN p_dirty_activity TINYINT UNSIGNED)
MODIFIES SQL DATA
BEGIN
    DECLARE v_public_id CHAR(20) DEFAULT NULL;
    DECLARE v_customer BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_matched INT DEFAULT 0;
    DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
    START TRANSACTION;
    IF p_message_id IS NOT NULL THEN
        SELECT public_id, customer_id INTO v_public_id, v_customer FROM events
        WHERE tenant_id = p_tenant AND message_id = p_message_id;
    END IF;
    IF v_public_id IS NOT NULL THEN
        COMMIT;
        SELECT v_public_id AS public_id, v_customer AS customer_id, 1 AS duplicate;
    ELSE
        SELECT id INTO v_customer FROM customers FORCE INDEX (uq_email) WHERE tenant_id = p_tenant AND email = p_email;
        IF v_customer IS NULL THEN
            INSERT INTO customers (tenant_id, email, created_at, updated_at)
            VALUES (p_tenant, p_email, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id);
            SET v_customer = LAST_INSERT_ID();
        END IF;
        INSERT INTO events (tenant_id, public_id, customer_id, anonymous_id, type, name, properties, amount, currency,
                            url, referrer, user_agent, ip, message_id, occurred_at, received_at)
        VALUES (p_tenant, p_public_id, v_customer, p_anonymous_id, p_type, p_name, p_properties, p_amount, p_currency,
                p_url, p_referrer, p_user_agent, p_ip, p_message_id, p_occurred_at, UTC_TIMESTAMP(6));
        CALL customer_add_events(p_tenant, JSON_ARRAY(JSON_ARRAY(v_customer, p_amount, p_currency, p_occurred_at)),
                                 p_dirty_all, p_dirty_activity, v_matched);
        IF v_matched = 0 THEN
            -- Erased between the read and the update: 1213 makes the caller run it again
            -- (the email then makes a new customer).
            SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'track_one_event: the customer was erased meanwhile';
        END IF;
        COMMIT;
        SELECT p_public_id AS public_id, v_customer AS customer_id, 0 AS duplicate;
    END IF;
END;
