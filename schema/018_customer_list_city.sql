-- The customer list filters by city alone (the console's city filter, without a country):
-- idx_customers_country (tenant_id, country, city) cannot serve that, so such a page and
-- its total read the whole workspace. Customers are written by tracking only through the
-- aggregates, which this index does not hold, so it costs tracking nothing but on a new
-- customer's insert.
ALTER TABLE customers ADD KEY idx_customers_city (tenant_id, city), ALGORITHM=INPLACE, LOCK=NONE;
