-- Exact totals of large filtered lists, shared by every worker process (ListTotals).
--
-- A list of entries whose total passes EntryQuery.countLimit (10,000) is counted in full,
-- which takes half a second for a few hundred thousand entries. The count is kept here,
-- one row per list (tenant and a SHA-256 of the list's SQL and parameters), with the time
-- its count began: a total read from here reflects every write committed before
-- computed_at. It is served while younger than ListTotals.lifetime (30 s); past
-- ListTotals.refreshAfter (10 s) one background thread recounts it while requests keep
-- reading the previous count, so a request waits for a full count only when the list has
-- not been asked for in 30 s.
--
-- counting_until is a lease taken by a conditional UPDATE (a replicated row, not GET_LOCK,
-- which is local to one server): one counter at a time per list, across processes and
-- nodes. A counter that dies gives it up when it runs out.

CREATE TABLE crm_list_totals (
    tenant_id BIGINT UNSIGNED NOT NULL,
    list_key BINARY(32) NOT NULL,
    total BIGINT UNSIGNED NULL,
    computed_at DATETIME(6) NULL,
    counting_until DATETIME(6) NULL,
    PRIMARY KEY (tenant_id, list_key),
    CONSTRAINT fk_crm_list_totals_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB;
