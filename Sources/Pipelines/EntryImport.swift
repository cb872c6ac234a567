import Foundation
import MariaDB
import Web
import Core

/// What imports and exports need of entries beyond the API's writes: a CSV cell read as a
/// field's value (the API's `Field.check` then checks it), a value written as a cell, the
/// pipeline and stage a row lands in, and an entry found by a unique field's value.
extension Field {
    /// A cell as the API would take it: a multi-select's options separated by `;` or `|`.
    package func value(fromCSV text: String) -> JSON {
        if type == .multi_select {
            return .array(text.split(whereSeparator: { $0 == ";" || $0 == "|" })
                .map { JSON.string($0.trimmingCharacters(in: .whitespaces)) })
        }
        return .string(text)
    }

    /// A stored value as a cell: a multi-select's options joined by `;` (the reverse of
    /// `value(fromCSV:)`).
    package func csvText(_ value: JSON?) -> String { CSVWriter.text(value) }
}

extension Entry {
    /// The value of `field` as a cell.
    package func csvText(_ field: Field) -> String { field.csvText(data[field.id]) }
}

extension EntryStore {
    /// The pipeline an import writes to: the one given (of this entity), else the entity's first.
    package static func importPipeline(_ db: Connection, _ tenant: Tenant, entityID: Int, pipelineID: Int?) throws -> Int? {
        try db.queryOne("""
            SELECT id FROM crm_pipelines WHERE tenant_id = \(tenant) AND entity_id = \(entityID)
              AND (\(pipelineID) IS NULL OR id = \(pipelineID))
            ORDER BY position, id LIMIT 1
            """)?.int("id")
    }

    /// A stage of the pipeline by its id or name (any case); the first stage when `text` is empty.
    package static func importStage(_ db: Connection, _ tenant: Tenant, pipelineID: Int, _ text: String) throws -> Int? {
        try db.queryOne("""
            SELECT id FROM crm_stages WHERE tenant_id = \(tenant) AND pipeline_id = \(pipelineID)
              AND (\(text) = '' OR name = \(text) OR CAST(id AS CHAR) = \(text))
            ORDER BY name = \(text) DESC, position, id LIMIT 1
            """)?.int("id")
    }

    /// The entry of the entity whose `field` holds `value` (the first, locked), for an
    /// import keyed on that field.
    package static func find(_ db: Connection, _ tenant: Tenant, entityID: Int, field: Field, value: String) throws -> Entry? {
        guard let id = try db.queryOne("""
            SELECT v.entry_id FROM crm_entry_values v JOIN crm_entries e ON e.id = v.entry_id AND e.tenant_id = v.tenant_id
            WHERE v.tenant_id = \(tenant) AND v.field_id = \(field.id) AND e.entity_id = \(entityID)
              AND (v.value_text = \(value) OR v.value_num = \(Double(value)))
            ORDER BY v.entry_id LIMIT 1
            """)?.int("entry_id") else { return nil }
        return try db.queryOne("SELECT \(Entry.columns) FROM crm_entries e WHERE e.tenant_id = \(tenant) AND e.id = \(id) FOR UPDATE")
            .map(Entry.init)
    }
}

extension Field {
    /// The field's name as people read it (an import matches column names to it).
    package var label: String { name }
}
