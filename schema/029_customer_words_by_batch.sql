-- Imports that create customers at the database's speed (issue 22, part 1).
--
-- 1. The customer word index gets one home for its INSERT ... SELECT: customer_words_add,
--    set-based over a JSON array of customer ids, with the tokenizer still the one SQL
--    function search_words_json (017) plus LEFT(word, 32). The triggers of 017 call it for one
--    row; the batch import (customers_add_by_email, below) calls it once for its new
--    customers, after their INSERT, instead of once per row inside it.
--
--    The switch: the session variable @entercrm_words_by_batch. While it is 1, the insert
--    trigger leaves the words to the caller. Only customers_add_by_email sets it, and it
--    resets it before it returns, on success and on error (its handler), so no pooled
--    connection keeps it: every other write path (the API, track_one_event, identify,
--    automations, seeds) keeps the trigger and the index stays right in the statement of the
--    write.
--
-- 2. New customers are committed before their batch's events (EventRecorder.createCustomers):
--    two concurrent batches naming the same new address no longer wait on each other's
--    whole transaction (the unique email index's lock on the uncommitted row) but on one
--    short INSERT; see docs/benchmarks.md.
--
-- 3. customer_counts (005): the insert trigger picked the shard by the new id (id % 16), so a
--    batch creating 500 customers wrote all 16 rows of its workspace and held their locks to
--    its COMMIT: concurrent imports creating customers ran one after the other (measured:
--    docs/benchmarks.md, "Imports that create customers"). The shard is now the session's
--    (CONNECTION_ID() % 16): concurrent connections write different rows. A delete takes one
--    off its own session's shard, creating the row if needed (n may go below 0 in one shard;
--    the total, SUM(n), is what is read: CustomerTotals, formerly CountCache). Cascaded deletes (a workspace's
--    removal) fire no trigger, as before.

-- The words of the given customers (in p_tenant) into customer_words: the one home of that
-- INSERT ... SELECT. p_ids is a JSON array of customer ids. Idempotent (ON DUPLICATE KEY).
CREATE PROCEDURE customer_words_add(IN p_tenant BIGINT UNSIGNED, IN p_ids LONGTEXT)
MODIFIES SQL DATA
    INSERT INTO customer_words (tenant_id, word, customer_id)
    SELECT c.tenant_id, LEFT(w.word, 32), c.id
    FROM JSON_TABLE(p_ids, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j
    STRAIGHT_JOIN customers c FORCE INDEX (PRIMARY) ON c.id = j.id AND c.tenant_id = p_tenant
    JOIN JSON_TABLE(search_words_json(CONCAT_WS(' ', c.name, c.email)), '$[*]' COLUMNS (word TEXT PATH '$')) w
    WHERE w.word <> ''
    ORDER BY c.id
    ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id);

DROP TRIGGER IF EXISTS customers_words_insert;

CREATE TRIGGER customers_words_insert AFTER INSERT ON customers FOR EACH ROW
BEGIN
    IF @entercrm_words_by_batch IS NULL THEN
        CALL customer_words_add(NEW.tenant_id, JSON_ARRAY(NEW.id));
    END IF;
END;

DROP TRIGGER IF EXISTS customers_words_update;

-- Every tracked event updates its customer's aggregates: that UPDATE pays two comparisons.
CREATE TRIGGER customers_words_update AFTER UPDATE ON customers FOR EACH ROW
BEGIN
    IF NOT (NEW.name <=> OLD.name) OR NOT (NEW.email <=> OLD.email) OR NEW.tenant_id <> OLD.tenant_id THEN
        DELETE FROM customer_words WHERE customer_id = OLD.id;
        CALL customer_words_add(NEW.tenant_id, JSON_ARRAY(NEW.id));
    END IF;
END;

-- The batch import's new customers (EventRecorder.createCustomers, resolveByEmail): p_emails
-- is a JSON array of addresses not found; each becomes a customer without aggregates (ON
-- DUPLICATE KEY covers one created meanwhile), their words go in with one
-- customer_words_add, they are marked for the segments (p_dirty_all: a new customer is
-- looked at by every segment, as one created through the API), and the answer is one row
-- (id, email) per address, in the caller's transaction.
CREATE PROCEDURE customers_add_by_email(IN p_tenant BIGINT UNSIGNED, IN p_emails LONGTEXT,
                                        IN p_dirty_all TINYINT UNSIGNED)
MODIFIES SQL DATA
BEGIN
    DECLARE v_ids LONGTEXT DEFAULT NULL;
    DECLARE v_marks LONGTEXT DEFAULT NULL;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN SET @entercrm_words_by_batch = NULL; RESIGNAL; END;
    SET @entercrm_words_by_batch = 1;
    INSERT INTO customers (tenant_id, email, created_at, updated_at)
    SELECT p_tenant, j.address, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
    FROM JSON_TABLE(p_emails, '$[*]' COLUMNS (
             address VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
    ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id);
    SET @entercrm_words_by_batch = NULL;
    SELECT JSON_ARRAYAGG(c.id), JSON_ARRAYAGG(JSON_ARRAY(c.id, p_dirty_all)) INTO v_ids, v_marks
    FROM JSON_TABLE(p_emails, '$[*]' COLUMNS (
             address VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
    JOIN customers c FORCE INDEX (uq_email) ON c.tenant_id = p_tenant AND c.email = j.address;
    IF v_ids IS NOT NULL THEN
        CALL customer_words_add(p_tenant, v_ids);
        CALL segment_mark_dirty(p_tenant, v_marks);
    END IF;
    SELECT c.id, c.email
    FROM JSON_TABLE(v_ids, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j
    JOIN customers c FORCE INDEX (PRIMARY) ON c.id = j.id;
END;

DROP TRIGGER IF EXISTS customers_count_insert;

CREATE TRIGGER customers_count_insert AFTER INSERT ON customers FOR EACH ROW
    INSERT INTO customer_counts (tenant_id, shard, n) VALUES (NEW.tenant_id, CONNECTION_ID() % 16, 1)
    ON DUPLICATE KEY UPDATE n = n + 1;

DROP TRIGGER IF EXISTS customers_count_delete;

CREATE TRIGGER customers_count_delete AFTER DELETE ON customers FOR EACH ROW
    INSERT INTO customer_counts (tenant_id, shard, n) VALUES (OLD.tenant_id, CONNECTION_ID() % 16, -1)
    ON DUPLICATE KEY UPDATE n = n - 1;
