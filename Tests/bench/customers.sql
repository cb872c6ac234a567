-- make bench: customers for one workspace, made inside MariaDB from its sequence engine.
-- Run with @tenant (the workspace), @first and @last (the range of sequence numbers to make,
-- say 1 and 1000000) set; bench.sh runs it in chunks, each its own transaction.
--
-- The rows look like a shop's: names from Croatian, German, Italian and English lists (the
-- surnames skewed, a few common and a long tail of rare ones), cities weighted by country,
-- about two thirds buyers with orders, totals, averages, predicted values, order dates and
-- an RFM score and segment that follow from them, the rest never bought (NULL RFM).
-- Customer n is created about n x 95 s after the oldest, 1,100 days ago, so ids follow
-- creation as they do in a live table. Every value is a function of the sequence number:
-- the same @first..@last always makes the same rows. The customer_counts trigger keeps the
-- workspace's total as it does for any insert.

CREATE TEMPORARY TABLE IF NOT EXISTS bench_first (i INT PRIMARY KEY, name VARCHAR(40), ascii VARCHAR(40));
CREATE TEMPORARY TABLE IF NOT EXISTS bench_last (i INT PRIMARY KEY, name VARCHAR(40), ascii VARCHAR(40));
CREATE TEMPORARY TABLE IF NOT EXISTS bench_place (i INT PRIMARY KEY, city VARCHAR(40), country CHAR(2));

INSERT IGNORE INTO bench_first (i, name, ascii) VALUES
 (0,'Ana','ana'),(1,'Ivan','ivan'),(2,'Marko','marko'),(3,'Petra','petra'),(4,'Luka','luka'),(5,'Maja','maja'),
 (6,'Josip','josip'),(7,'Iva','iva'),(8,'Tomislav','tomislav'),(9,'Lucija','lucija'),(10,'Filip','filip'),(11,'Nina','nina'),
 (12,'Matej','matej'),(13,'Sara','sara'),(14,'Karlo','karlo'),(15,'Ema','ema'),(16,'Dino','dino'),(17,'Lea','lea'),
 (18,'Hrvoje','hrvoje'),(19,'Tea','tea'),(20,'Anna','anna'),(21,'Jonas','jonas'),(22,'Sophie','sophie'),(23,'Lukas','lukas'),
 (24,'Marie','marie'),(25,'Felix','felix'),(26,'Elena','elena'),(27,'Paul','paul'),(28,'Laura','laura'),(29,'David','david'),
 (30,'Marta','marta'),(31,'Nikola','nikola'),(32,'Ante','ante'),(33,'Katarina','katarina'),(34,'Stjepan','stjepan'),
 (35,'Mia','mia'),(36,'Leon','leon'),(37,'Jana','jana'),(38,'Borna','borna'),(39,'Dora','dora'),(40,'Giulia','giulia'),
 (41,'Marco','marco'),(42,'Francesca','francesca'),(43,'Luca','luca'),(44,'Emma','emma'),(45,'James','james'),
 (46,'Olivia','olivia'),(47,'Thomas','thomas'),(48,'Hannah','hannah'),(49,'Maximilian','maximilian'),(50,'Željko','zeljko'),
 (51,'Đurđa','durda'),(52,'Zoran','zoran'),(53,'Mirela','mirela'),(54,'Goran','goran'),(55,'Vesna','vesna'),
 (56,'Dario','dario'),(57,'Sanja','sanja'),(58,'Igor','igor'),(59,'Lana','lana');

-- Index 0 is the most common surname; the tail (Zimmermann last) the rarest, about 0.8 %.
INSERT IGNORE INTO bench_last (i, name, ascii) VALUES
 (0,'Horvat','horvat'),(1,'Kovačević','kovacevic'),(2,'Babić','babic'),(3,'Marić','maric'),(4,'Jurić','juric'),
 (5,'Novak','novak'),(6,'Kovačić','kovacic'),(7,'Knežević','knezevic'),(8,'Vuković','vukovic'),(9,'Marković','markovic'),
 (10,'Petrović','petrovic'),(11,'Matić','matic'),(12,'Tomić','tomic'),(13,'Pavlović','pavlovic'),(14,'Kovač','kovac'),
 (15,'Božić','bozic'),(16,'Blažević','blazevic'),(17,'Grgić','grgic'),(18,'Pavić','pavic'),(19,'Radić','radic'),
 (20,'Perić','peric'),(21,'Filipović','filipovic'),(22,'Šarić','saric'),(23,'Lovrić','lovric'),(24,'Vidović','vidovic'),
 (25,'Perković','perkovic'),(26,'Popović','popovic'),(27,'Bošnjak','bosnjak'),(28,'Jukić','jukic'),(29,'Barišić','barisic'),
 (30,'Müller','muller'),(31,'Schmidt','schmidt'),(32,'Schneider','schneider'),(33,'Fischer','fischer'),(34,'Weber','weber'),
 (35,'Meyer','meyer'),(36,'Wagner','wagner'),(37,'Becker','becker'),(38,'Schulz','schulz'),(39,'Hoffmann','hoffmann'),
 (40,'Rossi','rossi'),(41,'Russo','russo'),(42,'Ferrari','ferrari'),(43,'Esposito','esposito'),(44,'Bianchi','bianchi'),
 (45,'Romano','romano'),(46,'Colombo','colombo'),(47,'Ricci','ricci'),(48,'Marino','marino'),(49,'Greco','greco'),
 (50,'Smith','smith'),(51,'Jones','jones'),(52,'Taylor','taylor'),(53,'Brown','brown'),(54,'Williams','williams'),
 (55,'Wilson','wilson'),(56,'Johnson','johnson'),(57,'Davies','davies'),(58,'Robinson','robinson'),(59,'Wright','wright'),
 (60,'Mlinarić','mlinaric'),(61,'Kolar','kolar'),(62,'Zorić','zoric'),(63,'Rukavina','rukavina'),(64,'Tadić','tadic'),
 (65,'Krznarić','krznaric'),(66,'Crnković','crnkovic'),(67,'Šimić','simic'),(68,'Jelić','jelic'),(69,'Begović','begovic'),
 (70,'Horvatić','horvatic'),(71,'Klarić','klaric'),(72,'Bilić','bilic'),(73,'Ćosić','cosic'),(74,'Levanić','levanic'),
 (75,'Galić','galic'),(76,'Ostojić','ostojic'),(77,'Lindqvist','lindqvist'),(78,'Okonkwo','okonkwo'),(79,'Zimmermann','zimmermann');

-- 100 slots: HR 46, DE 17, SI 7, AT 7, IT 7, RS 4, GB 4, BA 3, FR 3, HU 2.
INSERT IGNORE INTO bench_place (i, city, country)
SELECT seq, ELT(seq + 1,
  'Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb',
  'Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb','Zagreb',
  'Split','Split','Split','Split','Split','Split','Split','Split','Rijeka','Rijeka',
  'Rijeka','Rijeka','Rijeka','Osijek','Osijek','Osijek','Osijek','Zadar','Zadar','Zadar',
  'Pula','Pula','Varaždin','Varaždin','Dubrovnik','Dubrovnik','Berlin','Berlin','Berlin','Berlin',
  'Berlin','Berlin','München','München','München','München','Hamburg','Hamburg','Hamburg','Köln',
  'Köln','Frankfurt','Frankfurt','Ljubljana','Ljubljana','Ljubljana','Ljubljana','Ljubljana','Maribor','Maribor',
  'Wien','Wien','Wien','Wien','Wien','Graz','Graz','Milano','Milano','Milano',
  'Roma','Roma','Roma','Trieste','Beograd','Beograd','Beograd','Novi Sad','London','London',
  'London','Manchester','Sarajevo','Sarajevo','Sarajevo','Paris','Paris','Lyon','Budapest','Budapest'),
  CASE WHEN seq < 46 THEN 'HR' WHEN seq < 63 THEN 'DE' WHEN seq < 70 THEN 'SI' WHEN seq < 77 THEN 'AT'
       WHEN seq < 84 THEN 'IT' WHEN seq < 88 THEN 'RS' WHEN seq < 92 THEN 'GB' WHEN seq < 95 THEN 'BA'
       WHEN seq < 98 THEN 'FR' ELSE 'HU' END
FROM seq_0_to_99;

INSERT INTO customers (tenant_id, name, email, phone, city, country, properties,
                       rfm_recency, rfm_frequency, rfm_monetary, rfm_score, rfm_segment,
                       clv_total, clv_predicted, clv_order_count, clv_average_order, currency,
                       first_order_at, last_order_at, events_count, last_seen_at, created_at, updated_at)
SELECT @tenant, CONCAT(f.name, ' ', l.name),
       CONCAT(f.ascii, '.', l.ascii, '.', x.seq, '@',
              ELT(1 + x.h4 % 8, 'gmail.com', 'yahoo.com', 'outlook.com', 't-com.hr', 'gmx.de', 'icloud.com', 'hotmail.com', 'example.com')),
       IF(x.h4 % 10 < 7, CONCAT('+3859', LPAD(x.h5 % 10000000, 7, '0')), NULL),
       p.city, p.country,
       IF(x.h5 % 5 = 0, '{"newsletter":true}', '{}'),
       x.r, x.f, x.m, x.r + x.f + x.m,
       CASE WHEN x.orders = 0 THEN NULL
            WHEN x.r >= 4 AND x.f >= 4 THEN 'Champions'
            WHEN x.r >= 3 AND x.f >= 3 THEN 'Loyal Customers'
            WHEN x.r >= 4 AND x.f = 1 THEN 'New Customers'
            WHEN x.r >= 4 THEN 'Potential Loyalists'
            WHEN x.r = 3 THEN 'Promising'
            WHEN x.r = 2 AND x.f >= 3 THEN 'At Risk'
            WHEN x.r = 1 AND x.f >= 4 THEN 'Can''t Lose Them'
            WHEN x.r = 2 THEN 'About to Sleep'
            WHEN x.f = 1 THEN 'Lost'
            ELSE 'Hibernating' END,
       x.orders * x.aov, IF(x.orders > 0, ROUND(x.orders * x.aov * (1.1 + (x.h6 % 100) / 100), 2), NULL),
       x.orders, IF(x.orders > 0, x.aov, NULL), IF(x.orders > 0, IF(x.h6 % 10 = 0, 'USD', 'EUR'), NULL),
       IF(x.orders > 0, LEAST(x.created + INTERVAL x.h6 % 86400 SECOND, x.last_order), NULL),
       x.last_order,
       x.orders + x.h3 % 120,
       IF(x.orders > 0, GREATEST(x.last_order, x.seen), IF(x.h3 % 5 = 0, NULL, x.seen)),
       x.created, GREATEST(x.created, COALESCE(x.last_order, x.seen))
FROM (
    SELECT y.*,
           IF(y.orders = 0, NULL, 1 + y.h2 % 5) AS r,
           CASE WHEN y.orders = 0 THEN NULL WHEN y.orders = 1 THEN 1 WHEN y.orders = 2 THEN 2
                WHEN y.orders <= 4 THEN 3 WHEN y.orders <= 9 THEN 4 ELSE 5 END AS f,
           CASE WHEN y.orders = 0 THEN NULL WHEN y.orders * y.aov < 100 THEN 1 WHEN y.orders * y.aov < 300 THEN 2
                WHEN y.orders * y.aov < 800 THEN 3 WHEN y.orders * y.aov < 2000 THEN 4 ELSE 5 END AS m,
           -- Recency follows r: within a month (5) down to over a year ago (1), never before the customer.
           IF(y.orders = 0, NULL, LEAST(UTC_TIMESTAMP(6), GREATEST(y.created + INTERVAL 1 HOUR,
               UTC_TIMESTAMP(6) - INTERVAL ELT(1 + y.h2 % 5, 400 + y.h3 % 300, 180 + y.h3 % 180, 90 + y.h3 % 90,
                                               30 + y.h3 % 60, y.h3 % 30) DAY
               - INTERVAL y.h5 % 86400 SECOND))) AS last_order,
           LEAST(UTC_TIMESTAMP(6), y.created + INTERVAL y.h6 % 200 DAY + INTERVAL y.h4 % 86400 SECOND) AS seen
    FROM (
        SELECT z.*,
               IF(z.h1 % 100 < 65, 1 + CAST(FLOOR(30 * POW((z.h2 DIV 7 % 1000) / 1000, 4)) AS UNSIGNED), 0) AS orders,
               ROUND(15 + (z.h3 % 30000) / 100, 2) AS aov,
               LEAST(UTC_TIMESTAMP(6) - INTERVAL 2 HOUR, UTC_TIMESTAMP(6) - INTERVAL 1100 DAY + INTERVAL (z.seq * 95 + z.h1 % 95) SECOND) AS created
        FROM (
            SELECT s.seq, CRC32(CONCAT('a', s.seq)) AS h1, CRC32(CONCAT('b', s.seq)) AS h2, CRC32(CONCAT('c', s.seq)) AS h3,
                   CRC32(CONCAT('d', s.seq)) AS h4, CRC32(CONCAT('e', s.seq)) AS h5, CRC32(CONCAT('f', s.seq)) AS h6,
                   CRC32(CONCAT('g', s.seq)) AS h7
            FROM seq_1_to_100000000 s WHERE s.seq BETWEEN @first AND @last
        ) z
    ) y
) x
JOIN bench_first f ON f.i = x.h7 % 60
JOIN bench_last l ON l.i = LEAST(79, FLOOR(80 * POW((x.h7 DIV 60 % 10007) / 10007, 1.6)))
JOIN bench_place p ON p.i = x.h4 DIV 8 % 100
ORDER BY x.seq;
