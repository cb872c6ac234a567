-- Indexes for the customer list's filters (CustomerStore.listPage):
-- - idx_customers_city (tenant_id, city): the city filter alone (the console's city filter,
--   without a country); idx_customers_country (tenant_id, country, city) cannot serve it, so
--   such a page and its total read the whole workspace.
-- - idx_customers_segment_rfm (tenant_id, rfm_segment, rfm_score): an RFM segment's page by
--   score. The segment follows from the score, so walking the score's index for one segment
--   (Champions ascending: past every unscored customer and every lower score) reads most of
--   the workspace; this reads the segment in score order.
-- Tracking writes customers only through the aggregates, which neither index holds: they
-- cost tracking nothing but on a new customer's insert.
ALTER TABLE customers
    ADD KEY idx_customers_city (tenant_id, city),
    ADD KEY idx_customers_segment_rfm (tenant_id, rfm_segment, rfm_score),
    ALGORITHM=INPLACE, LOCK=NONE;
