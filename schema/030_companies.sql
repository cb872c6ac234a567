-- Issue 24, parts 1 and 3: companies, customers' company, and owners.
--
-- companies                  a workspace's companies; `domain` normalised by the API
--                            (CompanyDomain.normalize: lower case, no scheme, path or www.),
--                            unique per workspace (uq_domain: a duplicate answers 422 on
--                            `domain`). customers_count and revenue_total (the sum of its
--                            customers' clv_total) are kept by the writes that change them,
--                            in their transaction; open_entries_value waits for the entry
--                            associations of issue 24 part 2 and stays 0 until then.
-- company_words              the companies' search words (name and domain), by the tokenizer's
--                            one home (search_words_json, 017), kept by triggers as
--                            customer_words is.
-- customers.company_id       settable through the API, or set when the customer is created
-- customers.owner_id         (customers_link_company below); owner_id is a member's user id.
-- free_mail_domains          the one list of free-mail domains, which never link a customer
--                            to a company: an exact domain, or `label.*` for every domain
--                            whose first label it is (gmx.* is gmx.de, gmx.net ...).
-- email_company_domain()     an email's domain, or NULL when it is free mail.
-- tenants.link_customers_by_email_domain
--                            the workspace setting (off by default): new customers whose
--                            email's domain is a company's domain get that company.
--
-- The company totals have one home, company_add_totals: a delta of customers and revenue
-- added to one company. Its callers lock companies after their customers, and several in
-- company id order, so that concurrent writers lock them in one order. It is called by
--   customers_company_insert   a customer created with a company (the API, or linked by domain)
--   customers_after_update     a customer's company_id changed (the API, a company deleted:
--                              the customer's count and whole clv_total move)
--   customers_company_delete   a customer erased
--   customer_add_events        (027, redefined in 031) the revenue of events added to
--                              customers that have a company, one call per company: a
--                              customer's clv_total is written only by it and by
--                              customer_recompute_events
--   customer_recompute_events  (027, redefined here) the old total taken out before the
--                              rebuild adds the new one.
-- Customers are created in many places (the API, track_one_event, the batch import,
-- identify, the seed), all by an INSERT INTO customers: customers_link_company, a BEFORE
-- INSERT trigger, is the one place the domain rule runs.

ALTER TABLE tenants ADD COLUMN link_customers_by_email_domain TINYINT(1) NOT NULL DEFAULT 0;

CREATE TABLE companies (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(190) NOT NULL,
    -- Normalised (CompanyDomain.normalize); unique per workspace.
    domain VARCHAR(190) NULL,
    industry VARCHAR(120) NULL,
    size VARCHAR(16) NULL,
    country VARCHAR(64) NULL,
    city VARCHAR(120) NULL,
    owner_id BIGINT UNSIGNED NULL,
    properties LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(properties)),
    customers_count INT NOT NULL DEFAULT 0,
    revenue_total DECIMAL(16,2) NOT NULL DEFAULT 0.00,
    open_entries_value DECIMAL(16,2) NOT NULL DEFAULT 0.00,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_domain (tenant_id, domain),
    KEY idx_companies_created (tenant_id, created_at),
    KEY idx_companies_updated (tenant_id, updated_at),
    KEY idx_companies_name (tenant_id, name),
    KEY idx_companies_customers (tenant_id, customers_count),
    KEY idx_companies_revenue (tenant_id, revenue_total),
    KEY idx_companies_country (tenant_id, country),
    KEY idx_companies_industry (tenant_id, industry),
    KEY idx_companies_owner (tenant_id, owner_id),
    CONSTRAINT fk_companies_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE company_words (
    tenant_id BIGINT UNSIGNED NOT NULL,
    word VARCHAR(32) NOT NULL,
    company_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id, word, company_id),
    KEY idx_company_words_company (company_id, word),
    CONSTRAINT fk_company_words_company FOREIGN KEY (company_id) REFERENCES companies (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TRIGGER companies_words_insert AFTER INSERT ON companies FOR EACH ROW
    INSERT INTO company_words (tenant_id, word, company_id)
    SELECT NEW.tenant_id, LEFT(w.word, 32), NEW.id
    FROM JSON_TABLE(search_words_json(CONCAT_WS(' ', NEW.name, NEW.domain)), '$[*]' COLUMNS (word TEXT PATH '$')) w
    WHERE w.word <> ''
    ON DUPLICATE KEY UPDATE company_id = VALUES(company_id);

-- Every purchase of a linked customer updates its company's revenue: that UPDATE pays two
-- comparisons.
CREATE TRIGGER companies_words_update AFTER UPDATE ON companies FOR EACH ROW
BEGIN
    IF NOT (NEW.name <=> OLD.name) OR NOT (NEW.domain <=> OLD.domain) THEN
        DELETE FROM company_words WHERE company_id = OLD.id;
        INSERT INTO company_words (tenant_id, word, company_id)
        SELECT NEW.tenant_id, LEFT(w.word, 32), NEW.id
        FROM JSON_TABLE(search_words_json(CONCAT_WS(' ', NEW.name, NEW.domain)), '$[*]' COLUMNS (word TEXT PATH '$')) w
        WHERE w.word <> ''
        ON DUPLICATE KEY UPDATE company_id = VALUES(company_id);
    END IF;
END;

-- Customers' company and owner. The indexes serve the list's company_id= and owner_id=
-- filters in its default order (created_at, then id, which InnoDB appends), and a company's
-- deletion. One ALTER, without locking writes: the table is rebuilt once (not instantly: it
-- keeps the hidden FTS_DOC_ID column of the FULLTEXT index that 017 dropped).
ALTER TABLE customers
    ADD COLUMN company_id BIGINT UNSIGNED NULL,
    ADD COLUMN owner_id BIGINT UNSIGNED NULL,
    ADD KEY idx_customers_company (tenant_id, company_id, created_at),
    ADD KEY idx_customers_owner (tenant_id, owner_id, created_at),
    LOCK=NONE;

CREATE TABLE free_mail_domains (
    domain VARCHAR(190) NOT NULL PRIMARY KEY
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO free_mail_domains (domain) VALUES
    ('gmail.com'), ('googlemail.com'),
    ('outlook.*'), ('hotmail.*'), ('live.*'), ('msn.com'), ('windowslive.com'), ('passport.com'),
    ('yahoo.*'), ('ymail.com'), ('rocketmail.com'),
    ('icloud.com'), ('me.com'), ('mac.com'),
    ('aol.*'), ('aim.com'),
    ('proton.me'), ('protonmail.com'), ('protonmail.ch'), ('pm.me'),
    ('gmx.*'), ('web.de'), ('t-online.de'), ('freenet.de'), ('posteo.de'), ('mailbox.org'),
    ('mail.ru'), ('inbox.ru'), ('list.ru'), ('bk.ru'), ('internet.ru'), ('yandex.*'), ('ya.ru'), ('rambler.ru'),
    ('mail.com'), ('email.com'), ('zoho.com'), ('zohomail.com'), ('tutanota.com'), ('tutanota.de'), ('tuta.io'),
    ('fastmail.com'), ('fastmail.fm'), ('hey.com'), ('hushmail.com'),
    ('qq.com'), ('163.com'), ('126.com'), ('sina.com'), ('naver.com'), ('daum.net'), ('rediffmail.com'),
    ('libero.it'), ('virgilio.it'), ('tiscali.it'), ('orange.fr'), ('wanadoo.fr'), ('laposte.net'), ('free.fr'), ('sfr.fr'),
    ('seznam.cz'), ('centrum.cz'), ('wp.pl'), ('o2.pl'), ('interia.pl'), ('onet.pl'), ('abv.bg'),
    ('net.hr'), ('inet.hr'), ('email.t-com.hr'), ('siol.net'), ('bluewin.ch'),
    ('comcast.net'), ('verizon.net'), ('att.net'), ('sbcglobal.net'), ('btinternet.com'), ('sky.com'),
    ('bigpond.com'), ('shaw.ca'), ('rogers.com');

-- An email's domain (lower case, without a trailing dot), or NULL when there is none or it
-- is free mail (free_mail_domains).
CREATE FUNCTION email_company_domain(p_email VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)
RETURNS VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
NOT DETERMINISTIC READS SQL DATA
BEGIN
    DECLARE v_domain VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    IF p_email IS NULL OR LOCATE('@', p_email) = 0 THEN
        RETURN NULL;
    END IF;
    SET v_domain = LOWER(TRIM(TRAILING '.' FROM TRIM(SUBSTRING_INDEX(p_email, '@', -1))));
    IF v_domain = '' OR LOCATE('.', v_domain) = 0 OR EXISTS (
        SELECT 1 FROM free_mail_domains f WHERE f.domain IN (v_domain, CONCAT(SUBSTRING_INDEX(v_domain, '.', 1), '.*'))) THEN
        RETURN NULL;
    END IF;
    RETURN v_domain;
END;

-- Adds p_customers and p_revenue to a company's totals, in the caller's transaction. A
-- company of another workspace, or gone (deleted meanwhile), is left alone. One row by its
-- primary key: a trigger calls it for each customer that changes company (measured: a
-- customer moved costs about 60 microseconds with it, against 170 with a JSON list of deltas
-- read by JSON_TABLE).
CREATE PROCEDURE company_add_totals(IN p_tenant BIGINT UNSIGNED, IN p_company BIGINT UNSIGNED,
                                    IN p_customers INT, IN p_revenue DECIMAL(16,2))
MODIFIES SQL DATA
BEGIN
    UPDATE companies SET customers_count = customers_count + p_customers, revenue_total = revenue_total + p_revenue
    WHERE id = p_company AND tenant_id = p_tenant;
END;

-- The one place the domain rule runs: a new customer without a company, in a workspace with
-- the setting on, gets the company whose domain is their email's (never free mail). The
-- company is locked (FOR UPDATE) from here to the commit, so it cannot be deleted between
-- this read and customers_company_insert's count (a company's deletion locks it first).
CREATE TRIGGER customers_link_company BEFORE INSERT ON customers FOR EACH ROW
BEGIN
    DECLARE v_company BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_domain VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_company = NULL;
    IF NEW.company_id IS NULL AND NEW.email IS NOT NULL
       AND (SELECT t.link_customers_by_email_domain FROM tenants t WHERE t.id = NEW.tenant_id) = 1 THEN
        -- A variable, not the call in the WHERE: the function reads a table, so the
        -- optimizer would call it for every company instead of looking the domain up.
        SET v_domain = email_company_domain(NEW.email);
        IF v_domain IS NOT NULL THEN
            SELECT co.id INTO v_company FROM companies co FORCE INDEX (uq_domain)
            WHERE co.tenant_id = NEW.tenant_id AND co.domain = v_domain
            FOR UPDATE;
            SET NEW.company_id = v_company;
        END IF;
    END IF;
END;

CREATE TRIGGER customers_company_insert AFTER INSERT ON customers FOR EACH ROW
BEGIN
    IF NEW.company_id IS NOT NULL THEN
        CALL company_add_totals(NEW.tenant_id, NEW.company_id, 1, NEW.clv_total);
    END IF;
END;

CREATE TRIGGER customers_company_delete AFTER DELETE ON customers FOR EACH ROW
BEGIN
    IF OLD.company_id IS NOT NULL THEN
        CALL company_add_totals(OLD.tenant_id, OLD.company_id, -1, -OLD.clv_total);
    END IF;
END;

-- customers_words_update (029) and the company move, in one trigger: every tracked event
-- updates its customer's aggregates, and a second AFTER UPDATE trigger would cost that
-- UPDATE a trigger call per row (measured: about 1.5 microseconds a row); this costs it one
-- comparison more. The word index part is 029's, unchanged (customer_words_add).
DROP TRIGGER customers_words_update;

CREATE TRIGGER customers_after_update AFTER UPDATE ON customers FOR EACH ROW
BEGIN
    DECLARE v_done_old TINYINT DEFAULT 0;
    IF NOT (NEW.name <=> OLD.name) OR NOT (NEW.email <=> OLD.email) OR NEW.tenant_id <> OLD.tenant_id THEN
        DELETE FROM customer_words WHERE customer_id = OLD.id;
        CALL customer_words_add(NEW.tenant_id, JSON_ARRAY(NEW.id));
    END IF;
    -- A move: out of the old company and into the new, the lower id first.
    IF NOT (NEW.company_id <=> OLD.company_id) THEN
        IF OLD.company_id IS NOT NULL AND (NEW.company_id IS NULL OR OLD.company_id < NEW.company_id) THEN
            CALL company_add_totals(OLD.tenant_id, OLD.company_id, -1, -OLD.clv_total);
            SET v_done_old = 1;
        END IF;
        IF NEW.company_id IS NOT NULL THEN
            CALL company_add_totals(NEW.tenant_id, NEW.company_id, 1, NEW.clv_total);
        END IF;
        IF OLD.company_id IS NOT NULL AND v_done_old = 0 THEN
            CALL company_add_totals(OLD.tenant_id, OLD.company_id, -1, -OLD.clv_total);
        END IF;
    END IF;
END;

-- customer_add_events gets the company revenue in 031 (one definition, with 031's currency
-- change): after the customers, the revenue of the events with an amount goes to their
-- customers' companies. No event is recorded while migrations run.

-- customer_recompute_events (027), with the company revenue: the customer's old clv_total is
-- taken out of their company before the reset; customer_add_events adds the rebuilt one.
DROP PROCEDURE customer_recompute_events;

CREATE PROCEDURE customer_recompute_events(IN p_tenant BIGINT UNSIGNED, IN p_customer BIGINT UNSIGNED,
                                           IN p_dirty_all TINYINT UNSIGNED, IN p_dirty_activity TINYINT UNSIGNED)
MODIFIES SQL DATA
BEGIN
    DECLARE v_events LONGTEXT DEFAULT NULL;
    DECLARE v_matched INT DEFAULT 0;
    DECLARE v_company BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_total DECIMAL(14,2) DEFAULT 0;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_company = NULL;
    SELECT company_id, clv_total INTO v_company, v_total FROM customers
    WHERE tenant_id = p_tenant AND id = p_customer FOR UPDATE;
    UPDATE customers SET events_count = 0, last_seen_at = NULL, clv_total = 0, clv_order_count = 0,
                         clv_average_order = NULL, first_order_at = NULL, last_order_at = NULL,
                         updated_at = UTC_TIMESTAMP(6)
    WHERE tenant_id = p_tenant AND id = p_customer;
    IF v_company IS NOT NULL AND v_total <> 0 THEN
        CALL company_add_totals(p_tenant, v_company, 0, -v_total);
    END IF;
    SELECT JSON_ARRAYAGG(JSON_ARRAY(customer_id, amount, currency, occurred_at) ORDER BY id) INTO v_events
    FROM events WHERE tenant_id = p_tenant AND customer_id = p_customer;
    IF v_events IS NOT NULL THEN
        CALL customer_add_events(p_tenant, v_events, p_dirty_all, p_dirty_activity, v_matched);
    END IF;
END;
