-- Text search of our own, replacing the FULLTEXT indexes of crm_entries and customers.
--
-- A word table per surface: one row per distinct word of a document, in the document's
-- workspace (and entity, for entries). The words are what search_words_json() splits out:
-- runs of letters (with their combining marks) or of digits; "jana.kovac123@gmail.com"
-- gives jana, kovac, 123, gmail and com. (Splitting letters from digits keeps one row for
-- "Kovac" in a name and "kovac123" in an email, and a search for "kovac123" still finds
-- it: both of its words must match.) Words are kept to their first 32 characters. The column's
-- collation (utf8mb4_unicode_ci) makes every comparison case- and accent-insensitive, so
-- "Kovačević" and "kovacevic" are one word, and `word LIKE 'zim%'` (a range of the primary
-- key) finds "Zimmermann": a word prefix.
--
-- Queries (EntryQuery, CustomerQuery) AND the words of q: from the index's estimate of each
-- word's range, either the words' matches are read (the rarest drives; the others joined
-- as read, or probed per document through (document id, word)), or, for common words, the
-- documents are read in the order asked for and each probed.
--
-- The tables are kept by triggers, in the statement (so the transaction) of every write that
-- changes the searchable text, whoever writes it: the API, track_one_event, the batch import,
-- identify, automations, seeds and bench loaders. An UPDATE that leaves the text alone (the
-- tracking path's aggregates, a stage move) only compares the columns. Deletes, erasures and
-- a workspace's removal cascade through the foreign keys.

CREATE TABLE crm_entry_words (
    tenant_id BIGINT UNSIGNED NOT NULL,
    entity_id BIGINT UNSIGNED NOT NULL,
    word VARCHAR(32) NOT NULL,
    entry_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id, entity_id, word, entry_id),
    KEY idx_crm_entry_words_entry (entry_id, word),
    CONSTRAINT fk_crm_entry_words_entry FOREIGN KEY (entry_id) REFERENCES crm_entries (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE customer_words (
    tenant_id BIGINT UNSIGNED NOT NULL,
    word VARCHAR(32) NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id, word, customer_id),
    KEY idx_customer_words_customer (customer_id, word),
    CONSTRAINT fk_customer_words_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The words of a text as a JSON array of strings (what JSON_TABLE reads): every run of
-- characters other than letters, digits and marks becomes one separator, and so does the
-- boundary between a letter and a digit. No quote or
-- backslash survives, so the array needs no escaping. EntryQuery.words / SearchWords.split
-- split q the same way.
CREATE FUNCTION search_words_json(p_text TEXT CHARACTER SET utf8mb4)
RETURNS LONGTEXT CHARACTER SET utf8mb4
DETERMINISTIC NO SQL
RETURN CONCAT('["', REPLACE(TRIM(
    REGEXP_REPLACE(REGEXP_REPLACE(REGEXP_REPLACE(COALESCE(p_text, ''),
        '[^\\p{L}\\p{N}\\p{M}]+', ' '),
        '([\\p{L}\\p{M}])(\\p{N})', '\\1 \\2'),
        '(\\p{N})(\\p{L})', '\\1 \\2')), ' ', '","'), '"]');

CREATE TRIGGER crm_entries_words_insert AFTER INSERT ON crm_entries FOR EACH ROW
    INSERT INTO crm_entry_words (tenant_id, entity_id, word, entry_id)
    SELECT NEW.tenant_id, NEW.entity_id, LEFT(w.word, 32), NEW.id
    FROM JSON_TABLE(search_words_json(NEW.search_text), '$[*]' COLUMNS (word TEXT PATH '$')) w
    WHERE w.word <> ''
    ON DUPLICATE KEY UPDATE entry_id = VALUES(entry_id);

CREATE TRIGGER crm_entries_words_update AFTER UPDATE ON crm_entries FOR EACH ROW
BEGIN
    IF NEW.search_text <> OLD.search_text OR NEW.entity_id <> OLD.entity_id OR NEW.tenant_id <> OLD.tenant_id THEN
        DELETE FROM crm_entry_words WHERE entry_id = OLD.id;
        INSERT INTO crm_entry_words (tenant_id, entity_id, word, entry_id)
        SELECT NEW.tenant_id, NEW.entity_id, LEFT(w.word, 32), NEW.id
        FROM JSON_TABLE(search_words_json(NEW.search_text), '$[*]' COLUMNS (word TEXT PATH '$')) w
        WHERE w.word <> ''
        ON DUPLICATE KEY UPDATE entry_id = VALUES(entry_id);
    END IF;
END;

CREATE TRIGGER customers_words_insert AFTER INSERT ON customers FOR EACH ROW
    INSERT INTO customer_words (tenant_id, word, customer_id)
    SELECT NEW.tenant_id, LEFT(w.word, 32), NEW.id
    FROM JSON_TABLE(search_words_json(CONCAT_WS(' ', NEW.name, NEW.email)), '$[*]' COLUMNS (word TEXT PATH '$')) w
    WHERE w.word <> ''
    ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id);

-- Every tracked event updates its customer's aggregates: that UPDATE pays two comparisons.
CREATE TRIGGER customers_words_update AFTER UPDATE ON customers FOR EACH ROW
BEGIN
    IF NOT (NEW.name <=> OLD.name) OR NOT (NEW.email <=> OLD.email) OR NEW.tenant_id <> OLD.tenant_id THEN
        DELETE FROM customer_words WHERE customer_id = OLD.id;
        INSERT INTO customer_words (tenant_id, word, customer_id)
        SELECT NEW.tenant_id, LEFT(w.word, 32), NEW.id
        FROM JSON_TABLE(search_words_json(CONCAT_WS(' ', NEW.name, NEW.email)), '$[*]' COLUMNS (word TEXT PATH '$')) w
        WHERE w.word <> ''
        ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id);
    END IF;
END;

-- The backfill, after the triggers (so that nothing written meanwhile is missed; a row both
-- write is the same row).
INSERT INTO crm_entry_words (tenant_id, entity_id, word, entry_id)
SELECT e.tenant_id, e.entity_id, LEFT(w.word, 32), e.id
FROM crm_entries e, JSON_TABLE(search_words_json(e.search_text), '$[*]' COLUMNS (word TEXT PATH '$')) w
WHERE w.word <> ''
ON DUPLICATE KEY UPDATE entry_id = VALUES(entry_id);

INSERT INTO customer_words (tenant_id, word, customer_id)
SELECT c.tenant_id, LEFT(w.word, 32), c.id
FROM customers c, JSON_TABLE(search_words_json(CONCAT_WS(' ', c.name, c.email)), '$[*]' COLUMNS (word TEXT PATH '$')) w
WHERE w.word <> ''
ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id);

-- The FULLTEXT indexes are no longer read; every write paid for them.
ALTER TABLE crm_entries DROP INDEX ft_crm_entries;
ALTER TABLE customers DROP INDEX ft_customers;
