-- An RFM segment's customers by name (the console's segment view, sorted alphabetically):
-- idx_customers_segment_name (tenant_id, rfm_segment, name) reads the page in order.
-- Without it, a segment of a few percent of a million customers was either sorted whole
-- (tens of thousands of rows) or found by walking every name (Hibernating, 2 %, page 10:
-- 40-130 ms). Tracking writes neither column, so the index costs tracking nothing but on a
-- new customer's insert.
ALTER TABLE customers
    ADD KEY idx_customers_segment_name (tenant_id, rfm_segment, name),
    ALGORITHM=INPLACE, LOCK=NONE;
