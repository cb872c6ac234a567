-- The pipeline CRM: entities, their pipelines and stages, custom fields, and entries.
--
-- Entities, pipelines, stages and fields are numbered per workspace (1, 2, 3 … in each), from
-- crm_sequences; their primary keys are (tenant_id, id). Entries have a global surrogate key
-- and an opaque string id (uid) that clients see.
--
-- Entry values live twice: as a JSON object keyed by field id in crm_entries.data (what an
-- answer shows, read with the row), and as typed rows in crm_entry_values (what filters and
-- sorting use, through indexes on (tenant, field, value)).

-- The full-text index below is made without stopwords, so that "the" or "will" can be found;
-- InnoDB keeps the setting with the index, whatever the session says later.
SET SESSION innodb_ft_enable_stopword = OFF;

CREATE TABLE crm_sequences (
    tenant_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(20) NOT NULL,
    last_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id, name),
    CONSTRAINT fk_crm_sequences_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE crm_entities (
    tenant_id BIGINT UNSIGNED NOT NULL,
    id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(120) NOT NULL,
    slug VARCHAR(80) NOT NULL,
    singular_name VARCHAR(120) NULL,
    plural_name VARCHAR(120) NULL,
    icon VARCHAR(64) NULL,
    color VARCHAR(64) NULL,
    preset VARCHAR(20) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE KEY uq_slug (tenant_id, slug),
    CONSTRAINT fk_crm_entities_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE crm_pipelines (
    tenant_id BIGINT UNSIGNED NOT NULL,
    id BIGINT UNSIGNED NOT NULL,
    entity_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(120) NOT NULL,
    position INT NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY idx_crm_pipelines_entity (tenant_id, entity_id, position),
    CONSTRAINT fk_crm_pipelines_entity FOREIGN KEY (tenant_id, entity_id)
        REFERENCES crm_entities (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- status: what reaching the stage means (open, won, lost), for win rates.
CREATE TABLE crm_stages (
    tenant_id BIGINT UNSIGNED NOT NULL,
    id BIGINT UNSIGNED NOT NULL,
    pipeline_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(120) NOT NULL,
    color VARCHAR(64) NULL,
    position INT NOT NULL DEFAULT 0,
    status ENUM('active', 'won', 'lost') NOT NULL DEFAULT 'active',
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    KEY idx_crm_stages_pipeline (tenant_id, pipeline_id, position),
    CONSTRAINT fk_crm_stages_pipeline FOREIGN KEY (tenant_id, pipeline_id)
        REFERENCES crm_pipelines (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE crm_fields (
    tenant_id BIGINT UNSIGNED NOT NULL,
    id BIGINT UNSIGNED NOT NULL,
    entity_id BIGINT UNSIGNED NOT NULL,
    name VARCHAR(120) NOT NULL,
    `key` VARCHAR(64) NOT NULL,
    type ENUM('text', 'number', 'date', 'boolean', 'select', 'multi_select', 'url', 'email', 'phone') NOT NULL,
    options LONGTEXT NULL CHECK (options IS NULL OR JSON_VALID(options)),
    required TINYINT(1) NOT NULL DEFAULT 0,
    position INT NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE KEY uq_key (tenant_id, entity_id, `key`),
    KEY idx_crm_fields_entity (tenant_id, entity_id, position),
    CONSTRAINT fk_crm_fields_entity FOREIGN KEY (tenant_id, entity_id)
        REFERENCES crm_entities (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- data: {"<field id>": value, …}; search_text: the title and the text-like values, for
-- the full-text index. (reference_type, reference_id) is unique per entity: a repeated
-- webhook finds the entry it made the first time.
CREATE TABLE crm_entries (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    uid CHAR(20) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    tenant_id BIGINT UNSIGNED NOT NULL,
    entity_id BIGINT UNSIGNED NOT NULL,
    pipeline_id BIGINT UNSIGNED NOT NULL,
    stage_id BIGINT UNSIGNED NOT NULL,
    title VARCHAR(255) NOT NULL,
    reference_type VARCHAR(64) NULL,
    reference_id VARCHAR(191) NULL,
    assigned_to_user_id BIGINT UNSIGNED NULL,
    assigned_to_team_id BIGINT UNSIGNED NULL,
    data LONGTEXT NOT NULL DEFAULT '{}' CHECK (JSON_VALID(data)),
    search_text TEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY uq_uid (uid),
    UNIQUE KEY uq_reference (tenant_id, entity_id, reference_id, reference_type),
    KEY idx_crm_entries_updated (tenant_id, entity_id, updated_at),
    KEY idx_crm_entries_created (tenant_id, entity_id, created_at),
    KEY idx_crm_entries_title (tenant_id, entity_id, title),
    KEY idx_crm_entries_pipeline (tenant_id, entity_id, pipeline_id, updated_at),
    KEY idx_crm_entries_stage (tenant_id, entity_id, stage_id, updated_at),
    KEY idx_crm_entries_user (tenant_id, entity_id, assigned_to_user_id, updated_at),
    KEY idx_crm_entries_team (tenant_id, entity_id, assigned_to_team_id, updated_at),
    FULLTEXT KEY ft_crm_entries (search_text),
    CONSTRAINT fk_crm_entries_entity FOREIGN KEY (tenant_id, entity_id)
        REFERENCES crm_entities (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per value (per option for multi_select): text-like values in value_text (the
-- first 255 characters), numbers, booleans (0/1) and dates (YYYYMMDD) in value_num.
CREATE TABLE crm_entry_values (
    entry_id BIGINT UNSIGNED NOT NULL,
    field_id BIGINT UNSIGNED NOT NULL,
    seq SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    tenant_id BIGINT UNSIGNED NOT NULL,
    value_text VARCHAR(255) NULL,
    value_num DECIMAL(24,6) NULL,
    PRIMARY KEY (entry_id, field_id, seq),
    KEY idx_crm_values_text (tenant_id, field_id, value_text, entry_id),
    KEY idx_crm_values_num (tenant_id, field_id, value_num, entry_id),
    CONSTRAINT fk_crm_values_entry FOREIGN KEY (entry_id) REFERENCES crm_entries (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How many entries each stage holds, kept in the transactions that add, move and remove
-- entries: totals of an entity, a pipeline or a stage without counting a million rows.
CREATE TABLE crm_stage_counts (
    tenant_id BIGINT UNSIGNED NOT NULL,
    stage_id BIGINT UNSIGNED NOT NULL,
    entity_id BIGINT UNSIGNED NOT NULL,
    pipeline_id BIGINT UNSIGNED NOT NULL,
    entries BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, stage_id),
    KEY idx_crm_stage_counts_entity (tenant_id, entity_id, pipeline_id),
    CONSTRAINT fk_crm_stage_counts_stage FOREIGN KEY (tenant_id, stage_id)
        REFERENCES crm_stages (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The sum of each number field over the entries of each stage (deal value per stage), kept
-- like the counts.
CREATE TABLE crm_stage_sums (
    tenant_id BIGINT UNSIGNED NOT NULL,
    stage_id BIGINT UNSIGNED NOT NULL,
    field_id BIGINT UNSIGNED NOT NULL,
    total DECIMAL(30,6) NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, stage_id, field_id),
    CONSTRAINT fk_crm_stage_sums_stage FOREIGN KEY (tenant_id, stage_id)
        REFERENCES crm_stages (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How far the entries of a pipeline got (entries by the furthest position reached), computed
-- from the stage history for conversion rates; recomputed when older than a minute (by the
-- job runner for large pipelines) and dropped when the pipeline's stages change.
CREATE TABLE crm_pipeline_reach (
    tenant_id BIGINT UNSIGNED NOT NULL,
    pipeline_id BIGINT UNSIGNED NOT NULL,
    reached LONGTEXT NOT NULL CHECK (JSON_VALID(reached)),
    computed_at DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, pipeline_id),
    CONSTRAINT fk_crm_pipeline_reach_pipeline FOREIGN KEY (tenant_id, pipeline_id)
        REFERENCES crm_pipelines (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every stage an entry entered (from NULL on creation), when and by whom. Stage names are
-- kept as they were, so the history reads right after a stage is renamed or deleted.
CREATE TABLE crm_stage_history (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant_id BIGINT UNSIGNED NOT NULL,
    entry_id BIGINT UNSIGNED NOT NULL,
    pipeline_id BIGINT UNSIGNED NOT NULL,
    from_stage_id BIGINT UNSIGNED NULL,
    from_stage_name VARCHAR(120) NULL,
    to_stage_id BIGINT UNSIGNED NOT NULL,
    to_stage_name VARCHAR(120) NOT NULL,
    user_id BIGINT UNSIGNED NULL,
    api_key_id BIGINT UNSIGNED NULL,
    created_at DATETIME(6) NOT NULL,
    KEY idx_crm_history_entry (entry_id, id),
    KEY idx_crm_history_pipeline (tenant_id, pipeline_id, to_stage_id, entry_id),
    CONSTRAINT fk_crm_history_entry FOREIGN KEY (entry_id) REFERENCES crm_entries (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

SET SESSION innodb_ft_enable_stopword = DEFAULT;
