-- Associations between pipeline-CRM entries and people (issue 24 part 2): an entry of any
-- entity linked to customers and to companies. Replaced whole by PUT …/associations
-- (EntryLinks.replace); an entry's links go with it (the foreign key), a customer's or a
-- company's with their erasure or deletion (Subject.forget).
CREATE TABLE crm_entry_links (
    tenant_id BIGINT UNSIGNED NOT NULL,
    entry_id BIGINT UNSIGNED NOT NULL,
    subject_type ENUM('customer', 'company') NOT NULL,
    subject_id BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (entry_id, subject_type, subject_id),
    -- A customer's or a company's entries (GET /v1/customers/{id}/entries, their timelines).
    KEY idx_entry_links_subject (tenant_id, subject_type, subject_id, entry_id),
    CONSTRAINT fk_entry_links_entry FOREIGN KEY (entry_id) REFERENCES crm_entries (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
