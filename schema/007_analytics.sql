-- RFM and predicted lifetime value: the per-customer outputs of the last recompute, and the
-- fitted model of each workspace. rfm_recency/frequency/monetary hold the 1–5 scores.
ALTER TABLE customers
    ADD COLUMN p_alive DOUBLE NULL AFTER clv_predicted,
    ADD COLUMN expected_purchases DOUBLE NULL AFTER p_alive,
    -- The spend RFM's M was scored from, as of the recompute's as_of.
    ADD COLUMN rfm_revenue DECIMAL(14,2) NULL AFTER rfm_segment,
    ADD KEY idx_customers_alive (tenant_id, p_alive),
    ADD KEY idx_customers_expected (tenant_id, expected_purchases);

CREATE TABLE analytics_models (
    tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    as_of DATETIME(6) NOT NULL,
    -- bgnbd_gamma_gamma, bgnbd_mean_spend or heuristic_historical_rate.
    model VARCHAR(40) NOT NULL,
    horizon_months INT UNSIGNED NOT NULL,
    monthly_discount DOUBLE NOT NULL,
    customers INT UNSIGNED NOT NULL,
    repeat_customers INT UNSIGNED NOT NULL,
    bgnbd_r DOUBLE NULL,
    bgnbd_alpha DOUBLE NULL,
    bgnbd_a DOUBLE NULL,
    bgnbd_b DOUBLE NULL,
    bgnbd_log_likelihood DOUBLE NULL,
    gg_p DOUBLE NULL,
    gg_q DOUBLE NULL,
    gg_v DOUBLE NULL,
    gg_log_likelihood DOUBLE NULL,
    -- In-sample fit: actual and expected number of customers by repeat purchases (0…7+).
    calibration LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(calibration)),
    duration_ms INT UNSIGNED NOT NULL DEFAULT 0,
    computed_at DATETIME(6) NOT NULL,
    CONSTRAINT fk_analytics_models_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
