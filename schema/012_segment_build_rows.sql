-- The work table of a segment rebuild (SegmentStore.rebuild): the matches of one customer id
-- range, set against the stored members. It was a temporary table; temporary tables
-- are not replicated and are local to one server and connection, which Galera does not
-- support (scripts/cluster-test.sh refuses them). Each rebuild writes under its own build_id
-- and deletes its rows at the end of each range's transaction.
CREATE TABLE segment_build_rows (
    build_id BIGINT UNSIGNED NOT NULL,
    customer_id BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (build_id, customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
