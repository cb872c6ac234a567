-- make bench: events for the million customers of customers.sql (the dashboard's line), made
-- inside MariaDB. Run with @tenant, @first_id and @last_id (a range of customer ids) and
-- @per_customer (events per customer, 10 for 10 million) set; bench.sh runs it in chunks,
-- each its own transaction.
--
-- Each customer's events fall between their creation and now, spread by a hash of the
-- customer and the event's number: about one in five a purchase (an amount, as a purchase
-- that counts has), the rest page views and a few named events. The triggers of
-- schema/033_dashboard.sql keep the dashboard's rollups as they do for any insert, so the
-- seed pays what tracking pays.
INSERT INTO events (tenant_id, public_id, customer_id, type, name, properties, amount, currency, url, occurred_at, received_at)
SELECT x.tenant_id,
       CONCAT('evt_b', LPAD(HEX(x.id * 64 + x.seq), 15, '0')),
       x.id,
       IF(x.h % 5 <= 1, 'event', 'pageview'),
       IF(x.h % 5 = 0, 'purchase', IF(x.h % 5 = 1, ELT(1 + x.h DIV 5 % 3, 'signup', 'add_to_cart', 'newsletter_opened'), 'pageview')),
       IF(x.h % 5 = 0, JSON_OBJECT('amount', ROUND(15 + (x.h DIV 7 % 30000) / 100, 2), 'currency', 'EUR'), '{}'),
       IF(x.h % 5 = 0, ROUND(15 + (x.h DIV 7 % 30000) / 100, 2), NULL),
       IF(x.h % 5 = 0, 'EUR', NULL),
       IF(x.h % 5 >= 2, ELT(1 + x.h DIV 11 % 4, 'https://shop.example/', 'https://shop.example/pricing',
                             'https://shop.example/blog', 'https://shop.example/checkout'), NULL),
       x.created_at + INTERVAL FLOOR(TIMESTAMPDIFF(SECOND, x.created_at, UTC_TIMESTAMP()) * (x.h % 1000003) / 1000003) SECOND,
       UTC_TIMESTAMP(6)
FROM (
    SELECT c.id, c.tenant_id, c.created_at, s.seq, CRC32(CONCAT(c.id, ':', s.seq)) AS h
    FROM customers c JOIN seq_1_to_64 s ON s.seq <= @per_customer
    WHERE c.tenant_id = @tenant AND c.id BETWEEN @first_id AND @last_id
) x
ORDER BY x.id, x.seq;
