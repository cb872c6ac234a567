import MariaDB
import Core

/// `companies.open_entries_value` (issue 24 part 1): the deal value of the entries linked to a
/// company that sit in an active stage, summed. Each entity's deal value is its default sum
/// field (`PipelineStats.defaultSumField`, the field the pipeline stats and the home funnel sum).
///
/// Kept by the writes that change it, in their transaction: an entry's values or stage, its
/// deletion (`EntryStore`), its links (`EntryLinkRoutes`), a stage's status and the move of a
/// deleted stage's entries (`PipelineRoutes`), a field's key or its deletion (`FieldRoutes`),
/// an entity's or a pipeline's deletion, and the seed. Each recomputes the companies it
/// touches from the links, so a value never drifts from them.
package enum CompanyOpenValue {
    /// The companies linked to any of `entryIDs`.
    static func companies(linkedTo entryIDs: [Int], _ db: Connection) throws -> [Int] {
        guard !entryIDs.isEmpty else { return [] }
        return try db.query("""
            SELECT DISTINCT subject_id FROM crm_entry_links WHERE entry_id IN (\(list: entryIDs)) AND subject_type = 'company'
            """).map { try $0.int("subject_id") }
    }

    /// The companies linked to any entry of an entity (of one of its pipelines).
    static func companies(entityID: Int, pipelineID: Int? = nil, _ db: Connection, _ tenant: Tenant) throws -> [Int] {
        let pipeline: SQL = pipelineID.map { " AND e.pipeline_id = \($0)" } ?? ""
        return try db.query("""
            SELECT DISTINCT l.subject_id FROM crm_entries e
            JOIN crm_entry_links l ON l.entry_id = e.id AND l.subject_type = 'company'
            WHERE e.tenant_id = \(tenant) AND e.entity_id = \(entityID)\(pipeline)
            """).map { try $0.int("subject_id") }
    }

    /// Recomputes the companies linked to `entryIDs` (after a change to those entries).
    static func refresh(_ db: Connection, _ tenant: Tenant, entryIDs: [Int]) throws {
        try refresh(db, tenant, companyIDs: try companies(linkedTo: entryIDs, db))
    }

    /// Recomputes every company linked to an entry of the entity (after a change to its deal
    /// value field or to a stage's status).
    static func refresh(_ db: Connection, _ tenant: Tenant, entityID: Int) throws {
        try refresh(db, tenant, companyIDs: try companies(entityID: entityID, db, tenant))
    }

    /// Recomputes `companyIDs`, a thousand per statement.
    package static func refresh(_ db: Connection, _ tenant: Tenant, companyIDs: [Int]) throws {
        guard !companyIDs.isEmpty else { return }
        var fields: [Int] = []
        for entity in try Entity.all(db, tenant) {
            if let field = PipelineStats.defaultSumField(try Field.all(db, tenant, entityID: entity.id)) { fields.append(field.id) }
        }
        let value: SQL = fields.isEmpty ? "0" : """
            (SELECT COALESCE(SUM(v.value_num), 0) FROM crm_entry_links l
             JOIN crm_entries e ON e.id = l.entry_id
             JOIN crm_stages s ON s.tenant_id = e.tenant_id AND s.id = e.stage_id AND s.status = 'active'
             JOIN crm_entry_values v ON v.entry_id = e.id AND v.field_id IN (\(list: fields))
             WHERE l.tenant_id = co.tenant_id AND l.subject_type = 'company' AND l.subject_id = co.id)
            """
        let ids = Array(Set(companyIDs)).sorted()
        for start in stride(from: 0, to: ids.count, by: 1000) {
            try db.execute("""
                UPDATE companies co SET co.open_entries_value = \(value)
                WHERE co.tenant_id = \(tenant) AND co.id IN (\(list: Array(ids[start..<min(start + 1000, ids.count)])))
                """)
        }
    }

    /// Every company of the workspace (the seed, after it links its deals).
    package static func refreshAll(_ db: Connection, _ tenant: Tenant) throws {
        try refresh(db, tenant, companyIDs: try db.query("""
            SELECT DISTINCT subject_id FROM crm_entry_links WHERE tenant_id = \(tenant) AND subject_type = 'company'
            """).map { try $0.int("subject_id") })
    }
}
