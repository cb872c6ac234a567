-- Customers written a chunk at a time (issue 25: the CSV import at a fraction of LOAD DATA's
-- speed). CustomerWrites (Sources/Customers/CustomerWrites.swift) is the one write path of
-- customers' profiles, for the API (a batch of one) and for imports (a chunk of rows): it
-- reads and locks the customers, applies the fields in Swift, and hands the results to the
-- two procedures below, one statement each however many rows.
--
-- customers_insert_rows: the new customers, from a JSON array of
-- [name, email, phone, city, country, properties (JSON text), company_id, owner_id].
-- - A plain INSERT ... SELECT: no IGNORE and no ON DUPLICATE KEY, so a duplicate (an address
--   another connection created meanwhile) fails the whole statement, which InnoDB undoes,
--   and no row of it gets an id that is not its own (schema/037, issue 22). The caller looked
--   the addresses up just before, so that happens when another connection created one of
--   them meanwhile (READ COMMITTED holds no gap) or when the caller's own rows repeat an
--   address under the index's collation (accents folded); the import then writes that
--   chunk one row at a time (ImportJob.takeChunk), where each such row finds its customer.
-- - The triggers run per row as for any insert: the company by email domain
--   (customers_link_company), the company's totals, customer_counts, the dashboard. The
--   search words go in with one customer_words_add for all of them (@entercrm_words_by_batch,
--   schema/029, reset on success and on error as customers_add_by_email does). (Counting a
--   chunk's rows at once as well, rather than through customers_count_insert and
--   customers_dashboard_insert, saved about 20 ms of a 1,000-row chunk's 125, but the trigger
--   then had to call a procedure, the rule's one home, and every other insert, tracking's
--   included, paid about 20 microseconds a row more: not done.)
-- - The answer: one row (n, id) per new customer, n its position in p_rows from 1. With one
--   row that is LAST_INSERT_ID() (a customer without an email has only that); with more,
--   every row must have an email, and the ids are read back by it (the ids of one
--   multi-row INSERT need not be consecutive with innodb_autoinc_lock_mode=2).
CREATE PROCEDURE customers_insert_rows(IN p_tenant BIGINT UNSIGNED, IN p_rows LONGTEXT)
MODIFIES SQL DATA
BEGIN
    DECLARE v_now DATETIME(6) DEFAULT UTC_TIMESTAMP(6);
    DECLARE v_first BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_n INT DEFAULT 0;
    DECLARE v_ids LONGTEXT DEFAULT NULL;
    DECLARE v_answer LONGTEXT DEFAULT NULL;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN SET @entercrm_words_by_batch = NULL; RESIGNAL; END;
    SET @entercrm_words_by_batch = 1;
    INSERT INTO customers (tenant_id, name, email, phone, city, country, properties, company_id, owner_id, created_at, updated_at)
    SELECT p_tenant, j.name, j.email, j.phone, j.city, j.country, COALESCE(j.properties, '{}'), j.company_id, j.owner_id, v_now, v_now
    FROM JSON_TABLE(p_rows, '$[*]' COLUMNS (
             n FOR ORDINALITY,
             name VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[0]',
             email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[1]',
             phone VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[2]',
             city VARCHAR(120) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[3]',
             country VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[4]',
             properties LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[5]',
             company_id BIGINT UNSIGNED PATH '$[6]',
             owner_id BIGINT UNSIGNED PATH '$[7]')) j
    ORDER BY j.n;
    SET v_n = ROW_COUNT(), v_first = LAST_INSERT_ID();
    SET @entercrm_words_by_batch = NULL;
    IF v_n = 1 THEN
        SET v_ids = JSON_ARRAY(v_first), v_answer = JSON_ARRAY(JSON_ARRAY(1, v_first));
    ELSE
        SELECT JSON_ARRAYAGG(c.id), JSON_ARRAYAGG(JSON_ARRAY(j.n, c.id)) INTO v_ids, v_answer
        FROM JSON_TABLE(p_rows, '$[*]' COLUMNS (
                 n FOR ORDINALITY,
                 email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[1]')) j
        JOIN customers c FORCE INDEX (uq_email) ON c.tenant_id = p_tenant AND c.email = j.email;
    END IF;
    CALL customer_words_add(p_tenant, v_ids);
    SELECT a.n, a.id FROM JSON_TABLE(v_answer, '$[*]' COLUMNS (n INT PATH '$[0]', id BIGINT UNSIGNED PATH '$[1]')) a;
END;

-- customers_update_rows: the changed customers, from a JSON array of
-- [id, name, email, phone, city, country, properties (JSON text), company_id, owner_id], each
-- the customer's whole profile as the caller computed it from the row it locked. One UPDATE
-- (each id once); customers_after_update (schema/030) keeps the words and the companies'
-- totals per row, as for any update.
CREATE PROCEDURE customers_update_rows(IN p_tenant BIGINT UNSIGNED, IN p_rows LONGTEXT)
MODIFIES SQL DATA
    UPDATE customers c
    JOIN JSON_TABLE(p_rows, '$[*]' COLUMNS (
             id BIGINT UNSIGNED PATH '$[0]',
             name VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[1]',
             email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[2]',
             phone VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[3]',
             city VARCHAR(120) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[4]',
             country VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[5]',
             properties LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[6]',
             company_id BIGINT UNSIGNED PATH '$[7]',
             owner_id BIGINT UNSIGNED PATH '$[8]')) j ON c.id = j.id
    SET c.name = j.name, c.email = j.email, c.phone = j.phone, c.city = j.city, c.country = j.country,
        c.properties = COALESCE(j.properties, '{}'), c.company_id = j.company_id, c.owner_id = j.owner_id,
        c.updated_at = UTC_TIMESTAMP(6)
    WHERE c.tenant_id = p_tenant;
