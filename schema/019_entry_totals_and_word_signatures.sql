-- 1. Exact totals of large filtered lists, shared by every worker process (ListTotals).
--
-- A list of entries whose total passes EntryQuery.countLimit (10,000) is counted in full,
-- which takes half a second for a few hundred thousand entries. The count is kept here,
-- one row per list (tenant and a SHA-256 of the list's SQL and parameters), with the time
-- its count began: a total read from here reflects every write committed before
-- computed_at. It is served while younger than ListTotals.lifetime (30 s); past
-- ListTotals.refreshAfter (10 s) one background thread recounts it while requests keep
-- reading the previous count, so a request waits for a full count only when the list has
-- not been asked for in 30 s.
--
-- counting_until is a lease taken by a conditional UPDATE (a replicated row, not GET_LOCK,
-- which is local to one server): one counter at a time per list, across processes and
-- nodes. A counter that dies gives it up when it runs out.

CREATE TABLE crm_list_totals (
    tenant_id BIGINT UNSIGNED NOT NULL,
    list_key BINARY(32) NOT NULL,
    total BIGINT UNSIGNED NULL,
    computed_at DATETIME(6) NULL,
    counting_until DATETIME(6) NULL,
    PRIMARY KEY (tenant_id, list_key),
    CONSTRAINT fk_crm_list_totals_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- 2. Word signatures: every row of crm_entry_words carries its entry's signature, a 128-bit
-- set (sig_lo, sig_hi) with one bit per distinct 3-letter prefix of the entry's words
-- (search_prefix_bit: a hash of the first three collation weights, so case and accents
-- fold as the word column's utf8mb4_unicode_ci folds them). A search of several words reads
-- the rarest word's range of the primary key and keeps only the rows whose signature has
-- the bits of the other words' prefixes, before probing those words per entry: for "jan kov"
-- the 10,000 entries with a word beginning "jan" shrink to the ~500 that also have one
-- beginning "kov" and the few hundred whose signature has its bit by chance, instead of
-- 10,000 probes or reading and joining the 50,000 "kov" rows. A word of fewer than three
-- weights has no bit (it is probed, or joined, as before). The bits only ever narrow what
-- the LIKE of the probe then decides, so a collision costs a probe, never a match.

CREATE FUNCTION search_prefix_bit(p_word VARCHAR(32) CHARACTER SET utf8mb4)
RETURNS TINYINT UNSIGNED
DETERMINISTIC NO SQL
RETURN IF(LENGTH(WEIGHT_STRING(p_word COLLATE utf8mb4_unicode_ci)) >= 6,
          CRC32(LEFT(WEIGHT_STRING(p_word COLLATE utf8mb4_unicode_ci), 6)) % 128, NULL);

ALTER TABLE crm_entry_words
    ADD COLUMN sig_lo BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN sig_hi BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ALGORITHM=INSTANT;

DROP TRIGGER crm_entries_words_insert;
DROP TRIGGER crm_entries_words_update;

CREATE TRIGGER crm_entries_words_insert AFTER INSERT ON crm_entries FOR EACH ROW
BEGIN
    DECLARE v_lo, v_hi BIGINT UNSIGNED DEFAULT 0;
    SELECT COALESCE(BIT_OR((b < 64) << (b MOD 64)), 0), COALESCE(BIT_OR((b >= 64) << (b MOD 64)), 0) INTO v_lo, v_hi
    FROM (SELECT search_prefix_bit(LEFT(w.word, 32)) AS b
          FROM JSON_TABLE(search_words_json(NEW.search_text), '$[*]' COLUMNS (word TEXT PATH '$')) w WHERE w.word <> '') x;
    INSERT INTO crm_entry_words (tenant_id, entity_id, word, entry_id, sig_lo, sig_hi)
    SELECT NEW.tenant_id, NEW.entity_id, LEFT(w.word, 32), NEW.id, v_lo, v_hi
    FROM JSON_TABLE(search_words_json(NEW.search_text), '$[*]' COLUMNS (word TEXT PATH '$')) w
    WHERE w.word <> ''
    ON DUPLICATE KEY UPDATE entry_id = VALUES(entry_id);
END;

CREATE TRIGGER crm_entries_words_update AFTER UPDATE ON crm_entries FOR EACH ROW
BEGIN
    DECLARE v_lo, v_hi BIGINT UNSIGNED DEFAULT 0;
    IF NEW.search_text <> OLD.search_text OR NEW.entity_id <> OLD.entity_id OR NEW.tenant_id <> OLD.tenant_id THEN
        SELECT COALESCE(BIT_OR((b < 64) << (b MOD 64)), 0), COALESCE(BIT_OR((b >= 64) << (b MOD 64)), 0) INTO v_lo, v_hi
        FROM (SELECT search_prefix_bit(LEFT(w.word, 32)) AS b
              FROM JSON_TABLE(search_words_json(NEW.search_text), '$[*]' COLUMNS (word TEXT PATH '$')) w WHERE w.word <> '') x;
        DELETE FROM crm_entry_words WHERE entry_id = OLD.id;
        INSERT INTO crm_entry_words (tenant_id, entity_id, word, entry_id, sig_lo, sig_hi)
        SELECT NEW.tenant_id, NEW.entity_id, LEFT(w.word, 32), NEW.id, v_lo, v_hi
        FROM JSON_TABLE(search_words_json(NEW.search_text), '$[*]' COLUMNS (word TEXT PATH '$')) w
        WHERE w.word <> ''
        ON DUPLICATE KEY UPDATE entry_id = VALUES(entry_id);
    END IF;
END;

-- The backfill, after the triggers: each entry's signature from the words it has.
UPDATE crm_entry_words w
JOIN (SELECT entry_id,
             COALESCE(BIT_OR((b < 64) << (b MOD 64)), 0) AS lo, COALESCE(BIT_OR((b >= 64) << (b MOD 64)), 0) AS hi
      FROM (SELECT entry_id, search_prefix_bit(word) AS b FROM crm_entry_words) x GROUP BY entry_id) s ON s.entry_id = w.entry_id
SET w.sig_lo = s.lo, w.sig_hi = s.hi;
