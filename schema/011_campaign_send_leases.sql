-- One campaign of a workspace delivers at a time, cluster-wide. This was GET_LOCK, which is
-- local to one server: on Galera two runners writing through different nodes both got it
-- and delivered the same campaign at once. A lease row is replicated like any other row;
-- it is taken by a conditional UPDATE (affected rows decide) and renewed by the heartbeat,
-- so a runner that dies gives it up when the lease runs out.
CREATE TABLE campaign_send_leases (
    tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    owner VARCHAR(100) NULL,
    locked_until DATETIME(6) NULL,
    CONSTRAINT fk_campaign_send_leases_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
