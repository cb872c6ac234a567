-- customers_add_by_email (029) lost customers under concurrent imports (issue 22, part 1: the
-- bench import stored one batch's 59 events without their customer).
--
-- 1. Its INSERT ... SELECT ended in ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id). Setting
--    the AUTO_INCREMENT column in the UPDATE branch makes the server move the statement's
--    next id to the existing row's id + 1 (handler::adjust_next_insert_id_after_explicit_value).
--    With innodb_autoinc_lock_mode=2 (the stack's, and Galera's), the existing row may be one
--    another connection inserted after this statement reserved its ids: its id is above the
--    statement's, and so are the ids that connection's statement went on to use. When this
--    statement still held reserved ids (it reserves 1, 2, 4, 8 ... at a time), InnoDB hands
--    out the moved value without looking at the table's counter, so the next rows get the
--    other connection's ids: a duplicate on PRIMARY, whose UPDATE branch "updates" that other
--    customer (with its own id: no change) and inserts nothing; and each of those moves the
--    next id on again. Those addresses were neither created nor found by the SELECT after
--    it: the caller got no id for them. Reproduced with three sessions (one holding an
--    address the batch waits on at the first row of a reservation, one inserting the next
--    address and more meanwhile): 2 addresses of 20 lost at the 4th row, 6 at the 8th
--    (BatchImportRaceTests). The UPDATE branch now leaves the id alone; the ids are read
--    back by address, as they were. (Single-row INSERT ... VALUES with LAST_INSERT_ID(id),
--    as in track_one_event, has no next row to move and stays.)
--
-- 2. The answer named each customer by its stored email, and the caller looks its ids up by
--    the address it asked for. The unique email index compares with the column's collation
--    (utf8mb4_unicode_ci: accents folded, so "jose@x.example" and "josé@x.example" are one
--    customer): an address asked under another spelling than the stored one got no id. The
--    answer is now one row per address asked (the address as given, and its customer's id;
--    BatchImportRaceTests.anAddressGivenWithOtherAccentsThanStoredKeepsItsCustomer).

DROP PROCEDURE IF EXISTS customers_add_by_email;

-- The batch import's new customers (EventRecorder.createCustomers, resolveByEmail): p_emails
-- is a JSON array of addresses not found; each becomes a customer without aggregates (ON
-- DUPLICATE KEY covers one created meanwhile, and changes nothing), their words go in with
-- one customer_words_add, they are marked for the segments (p_dirty_all: a new customer is
-- looked at by every segment, as one created through the API), and the answer is one row
-- (email as given, id) per address, in the caller's transaction.
CREATE PROCEDURE customers_add_by_email(IN p_tenant BIGINT UNSIGNED, IN p_emails LONGTEXT,
                                        IN p_dirty_all TINYINT UNSIGNED)
MODIFIES SQL DATA
BEGIN
    DECLARE v_ids LONGTEXT DEFAULT NULL;
    DECLARE v_marks LONGTEXT DEFAULT NULL;
    DECLARE v_answer LONGTEXT DEFAULT NULL;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN SET @entercrm_words_by_batch = NULL; RESIGNAL; END;
    SET @entercrm_words_by_batch = 1;
    -- Never assign id here (see 1 above): tenant_id = its own value is the UPDATE that
    -- changes nothing.
    INSERT INTO customers (tenant_id, email, created_at, updated_at)
    SELECT p_tenant, j.address, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
    FROM JSON_TABLE(p_emails, '$[*]' COLUMNS (
             address VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
    ON DUPLICATE KEY UPDATE tenant_id = customers.tenant_id;
    SET @entercrm_words_by_batch = NULL;
    SELECT JSON_ARRAYAGG(c.id), JSON_ARRAYAGG(JSON_ARRAY(c.id, p_dirty_all)), JSON_ARRAYAGG(JSON_ARRAY(j.address, c.id))
    INTO v_ids, v_marks, v_answer
    FROM JSON_TABLE(p_emails, '$[*]' COLUMNS (
             address VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
    JOIN customers c FORCE INDEX (uq_email) ON c.tenant_id = p_tenant AND c.email = j.address;
    IF v_ids IS NOT NULL THEN
        CALL customer_words_add(p_tenant, v_ids);
        CALL segment_mark_dirty(p_tenant, v_marks);
    END IF;
    SELECT a.email, a.id
    FROM JSON_TABLE(v_answer, '$[*]' COLUMNS (
             email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[0]',
             id BIGINT UNSIGNED PATH '$[1]')) a;
END;
