-- customers_add_by_email (029) lost customers under concurrent imports (issue 22, part 1: the
-- bench import stored one batch's 59 events without their customer, 299,941 of 300,000).
--
-- 1. Its INSERT ... SELECT of the new addresses ended in ON DUPLICATE KEY UPDATE, so a row
--    whose address another import had created meanwhile became an UPDATE of that customer.
--    With innodb_autoinc_lock_mode=2 (the stack's since 722829e, and Galera's), MariaDB then
--    hands this statement's next rows ids that are not its own: a multi-row INSERT reserves
--    ids in runs (1, 2, 4, 8 ... at a time) and other connections take the ids between its
--    runs, but after a duplicate the server sets the next id back to the value it had before
--    that row (handler::restore_auto_increment) -- when that row had opened a new run, that
--    is the end of the previous run, an id another import's customer may already have. The
--    next row then meets that customer on PRIMARY, "updates" it (a no-op), inserts nothing,
--    and the next id is set back to the same value: every further new address of the
--    statement is lost the same way. ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id) adds a
--    second path (the server moves the next id to the existing row's id + 1, and InnoDB hands
--    it out unchecked within the run). INSERT IGNORE loses rows the same way. Those
--    addresses were neither created nor found by the SELECT after it, and the caller got no
--    id for them. Reproduced with three sessions, deterministically (BatchImportRaceTests).
--
--    The INSERT now never meets a duplicate: it takes only the addresses that are not
--    customers yet (NOT EXISTS, one row per address as the unique index compares them:
--    GROUP BY), with no ON DUPLICATE KEY. If another import commits one of them between
--    that read and the insert, the statement fails with 1062 and is undone (InnoDB undoes the
--    statement, not the transaction) and runs again without it: each rerun is caused by an
--    address that exists now, so there are at most as many reruns as addresses.
--
-- 2. The answer named each customer by its stored email, and the caller looks its ids up by
--    the address it asked for. The unique email index compares with the column's collation
--    (utf8mb4_unicode_ci: accents folded, so "jose@x.example" and "josé@x.example" are one
--    customer): an address asked under another spelling than the stored one got no id. The
--    answer is now one row per address asked (the address as given, and its customer's id;
--    BatchImportRaceTests.anAddressGivenWithOtherAccentsThanStoredKeepsItsCustomer).

DROP PROCEDURE IF EXISTS customers_add_by_email;

-- The batch import's new customers (EventRecorder.createCustomers, resolveByEmail): p_emails
-- is a JSON array of addresses not found; each that is still not a customer becomes one
-- without aggregates (see 1 above for how), their words go in with one customer_words_add,
-- they are marked for the segments (p_dirty_all: a new customer is looked at by every
-- segment, as one created through the API), and the answer is one row (email as given, id)
-- per address, in the caller's transaction.
CREATE PROCEDURE customers_add_by_email(IN p_tenant BIGINT UNSIGNED, IN p_emails LONGTEXT,
                                        IN p_dirty_all TINYINT UNSIGNED)
MODIFIES SQL DATA
BEGIN
    DECLARE v_ids LONGTEXT DEFAULT NULL;
    DECLARE v_marks LONGTEXT DEFAULT NULL;
    DECLARE v_answer LONGTEXT DEFAULT NULL;
    DECLARE v_raced TINYINT DEFAULT 1;
    DECLARE v_runs INT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN SET @entercrm_words_by_batch = NULL; RESIGNAL; END;
    SET @entercrm_words_by_batch = 1;
    WHILE v_raced DO
        IF v_runs > JSON_LENGTH(p_emails) THEN
            SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 1062, MESSAGE_TEXT = 'customers_add_by_email: addresses kept being created meanwhile';
        END IF;
        SET v_raced = 0, v_runs = v_runs + 1;
        BEGIN
            DECLARE CONTINUE HANDLER FOR 1062 SET v_raced = 1;
            INSERT INTO customers (tenant_id, email, created_at, updated_at)
            SELECT p_tenant, j.address, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
            FROM JSON_TABLE(p_emails, '$[*]' COLUMNS (
                     address VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$')) j
            WHERE NOT EXISTS (SELECT 1 FROM customers c FORCE INDEX (uq_email)
                              WHERE c.tenant_id = p_tenant AND c.email = j.address)
            GROUP BY j.address;
        END;
    END WHILE;
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
