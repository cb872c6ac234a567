-- Changes to a customer's profile (issue 24: the timeline shows field, old, new and who):
-- written by CustomerChanges.record, from the one comparison of a customer before and after
-- a write (the API's update, tracking's identify, an automation's update step). Values are
-- JSON (a property keeps its type). Erasing the customer erases them (the foreign key).
CREATE TABLE customer_changes (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    field VARCHAR(200) NOT NULL,
    old_value LONGTEXT NULL CHECK (old_value IS NULL OR JSON_VALID(old_value)),
    new_value LONGTEXT NULL CHECK (new_value IS NULL OR JSON_VALID(new_value)),
    actor_type ENUM('member', 'api_key', 'system') NOT NULL,
    actor_id BIGINT UNSIGNED NULL,
    occurred_at DATETIME(6) NOT NULL,
    KEY idx_customer_changes_customer (tenant_id, customer_id, occurred_at),
    CONSTRAINT fk_customer_changes_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
