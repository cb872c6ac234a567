-- Segment-compatible intake (issue 26 part 1, Sources/Tracking/SegmentIntakeRoutes.swift).
--
-- A customer's external id: the `userId` of the Segment spec, the id the workspace's own
-- systems know the customer by. Unique per workspace (a userId names one customer), NULL for
-- customers no system has named (a NULL never collides). Filterable: GET /v1/customers?external_id=.
ALTER TABLE customers
    ADD COLUMN external_id VARCHAR(190) NULL AFTER email,
    ADD UNIQUE KEY uq_external_id (tenant_id, external_id);

-- The API key (the Segment "write key") an event came in with through the Segment intake:
-- the console's Sources page shows each source's latest events. NULL for the events of the
-- other tracking paths. No foreign key: a revoked key is kept (revocation sets revoked_at), and
-- events outlive nothing they name.
ALTER TABLE events
    ADD COLUMN source_key_id BIGINT UNSIGNED NULL AFTER message_id,
    ADD KEY idx_events_source (tenant_id, source_key_id, id);

-- A company's external id: the `groupId` of a Segment group call, unique per workspace. A
-- group names its company by it (or by its website's domain, uq_domain).
ALTER TABLE companies
    ADD COLUMN external_id VARCHAR(190) NULL AFTER domain,
    ADD UNIQUE KEY uq_company_external_id (tenant_id, external_id);
