-- The number of customers per workspace, kept by triggers in the same transaction as the
-- insert or delete, so a list's total needs no scan of a million rows. Spread over 16 rows
-- per workspace so that concurrent inserts do not queue on one counter.
CREATE TABLE customer_counts (
    tenant_id BIGINT UNSIGNED NOT NULL,
    shard TINYINT UNSIGNED NOT NULL,
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO customer_counts (tenant_id, shard, n)
SELECT tenant_id, id % 16, COUNT(*) FROM customers GROUP BY tenant_id, id % 16;

CREATE TRIGGER customers_count_insert AFTER INSERT ON customers FOR EACH ROW
    INSERT INTO customer_counts (tenant_id, shard, n) VALUES (NEW.tenant_id, NEW.id % 16, 1)
    ON DUPLICATE KEY UPDATE n = n + 1;

CREATE TRIGGER customers_count_delete AFTER DELETE ON customers FOR EACH ROW
    UPDATE customer_counts SET n = n - 1 WHERE tenant_id = OLD.tenant_id AND shard = OLD.id % 16;
