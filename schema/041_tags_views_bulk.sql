-- Tags, saved views and bulk operations (issue 25 parts 3 to 5).
--
-- Tags: free labels on customers, companies and pipeline-CRM entries. One row per tag and
-- workspace (its name unique case-insensitively through the collation), one link row per
-- tagged record. The link's primary key (tenant, kind, tag, record) reads a tag's records
-- in id order, for `tag=` filters that drive a list (`c.id IN (…)`) and for bulk chunks; the
-- second key (tenant, kind, record, tag) answers "has this record the tag" per row, for
-- filters probed while walking another index, and a record's tags. Each tag keeps its
-- counts per kind (the triggers below), so GET /v1/tags reads no links. A record's links go
-- with it (the delete triggers); a tag's links with the tag (the foreign key).
CREATE TABLE tags (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(50) NOT NULL,
    customers_count INT UNSIGNED NOT NULL DEFAULT 0,
    companies_count INT UNSIGNED NOT NULL DEFAULT 0,
    entries_count INT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_tags_name (tenant_id, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE tag_links (
    tenant_id BIGINT UNSIGNED NOT NULL,
    kind ENUM('customer', 'company', 'entry') NOT NULL,
    tag_id BIGINT UNSIGNED NOT NULL,
    record_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id, kind, tag_id, record_id),
    KEY idx_tag_links_record (tenant_id, kind, record_id, tag_id),
    KEY idx_tag_links_tag (tag_id),
    CONSTRAINT fk_tag_links_tag FOREIGN KEY (tag_id) REFERENCES tags (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TRIGGER tag_links_count_insert AFTER INSERT ON tag_links FOR EACH ROW
    UPDATE tags SET customers_count = customers_count + (NEW.kind = 'customer'),
                    companies_count = companies_count + (NEW.kind = 'company'),
                    entries_count = entries_count + (NEW.kind = 'entry')
    WHERE id = NEW.tag_id;

CREATE TRIGGER tag_links_count_delete AFTER DELETE ON tag_links FOR EACH ROW
    UPDATE tags SET customers_count = customers_count - (OLD.kind = 'customer'),
                    companies_count = companies_count - (OLD.kind = 'company'),
                    entries_count = entries_count - (OLD.kind = 'entry')
    WHERE id = OLD.tag_id;

CREATE TRIGGER customers_tags_delete AFTER DELETE ON customers FOR EACH ROW
    DELETE FROM tag_links WHERE tenant_id = OLD.tenant_id AND kind = 'customer' AND record_id = OLD.id;

CREATE TRIGGER companies_tags_delete AFTER DELETE ON companies FOR EACH ROW
    DELETE FROM tag_links WHERE tenant_id = OLD.tenant_id AND kind = 'company' AND record_id = OLD.id;

CREATE TRIGGER crm_entries_tags_delete AFTER DELETE ON crm_entries FOR EACH ROW
    DELETE FROM tag_links WHERE tenant_id = OLD.tenant_id AND kind = 'entry' AND record_id = OLD.id;

-- Saved views: a named set of a list's filters, sort and visible columns. `list` is
-- `customers`, `companies` or `entries:<entity id>`; a private view (shared = 0) is seen
-- only by its creator (`user_id`).
CREATE TABLE saved_views (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    user_id BIGINT UNSIGNED NULL,
    list VARCHAR(40) NOT NULL,
    name VARCHAR(120) NOT NULL,
    filters LONGTEXT NOT NULL CHECK (JSON_VALID(filters)),
    sort LONGTEXT NULL CHECK (sort IS NULL OR JSON_VALID(sort)),
    columns LONGTEXT NULL CHECK (columns IS NULL OR JSON_VALID(columns)),
    shared TINYINT(1) NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    KEY idx_saved_views_list (tenant_id, list, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Bulk operations: what was asked (target, the filter or the ids, the action) and how far
-- it got. A job processes the matches in id order, in chunks, each chunk's writes and
-- `last_id` in one transaction: a runner killed mid-way resumes after the last committed
-- chunk, so no record is changed twice. `max_id` bounds the run to the records that
-- existed when it was asked.
CREATE TABLE bulk_operations (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    user_id BIGINT UNSIGNED NULL,
    api_key_id BIGINT UNSIGNED NULL,
    role VARCHAR(20) NULL,
    target VARCHAR(40) NOT NULL,
    selection LONGTEXT NOT NULL CHECK (JSON_VALID(selection)),
    action LONGTEXT NOT NULL CHECK (JSON_VALID(action)),
    status ENUM('queued', 'running', 'done', 'failed') NOT NULL,
    total INT UNSIGNED NOT NULL DEFAULT 0,
    processed INT UNSIGNED NOT NULL DEFAULT 0,
    changed INT UNSIGNED NOT NULL DEFAULT 0,
    failed INT UNSIGNED NOT NULL DEFAULT 0,
    last_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
    max_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
    error VARCHAR(500) NULL,
    created_at DATETIME(6) NOT NULL,
    started_at DATETIME(6) NULL,
    finished_at DATETIME(6) NULL,
    KEY idx_bulk_operations_tenant (tenant_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
