import Foundation
import MariaDB
import Web
import Core
import Tags
import Customers
import Pipelines

/// What became of one row.
/// What a row did, with the record it wrote or found (the import's tags go on those).
enum ImportOutcome: Equatable { case created(Int), updated(Int), unchanged(Int), skipped }

/// Turns rows into the API's bodies and writes them through the API's own checks and
/// writes: `CustomerRoutes.Fields` + `CustomerWrites` for customers (a chunk at a time), `CompanyRoutes`'s for
/// companies, `EntryRoutes.changes` + `EntryStore.create`/`update` for entries. So aggregates,
/// segments' dirty marks, search words, profile changes and the stage history follow as they
/// do for the API. A row the API would refuse throws the API's 422.
struct ImportWriter {
    let db: Connection
    let tenant: Tenant
    let record: ImportRecord
    let principal: Principal
    /// An entity's fields, its pipeline (the one chosen, else its first).
    var fields: [Field] = []
    var pipelineID: Int?

    init(_ db: Connection, _ tenant: Tenant, _ record: ImportRecord) throws {
        self.db = db
        self.tenant = tenant
        self.record = record
        let credential: Principal.Credential = record.createdByUserID.map { .session(id: 0, userID: $0, role: .member) }
            ?? .apiKey(id: record.createdByAPIKeyID ?? 0, publishable: false)
        principal = Principal(tenant: tenant, tenantSlug: "", tenantName: "", credential: credential)
        if case .entity(let id) = record.target {
            fields = try Field.all(db, tenant, entityID: id)
            pipelineID = try EntryStore.importPipeline(db, tenant, entityID: id, pipelineID: record.pipelineID)
        }
    }

    /// The row as the API body it becomes (what the console previews "as stored"). Empty
    /// cells are left out: an import fills and changes fields, it never clears one.
    func body(_ cells: [String]) -> JSONObject {
        var body = JSONObject()
        var properties = JSONObject()
        var values = JSONObject()
        var first = "", last = ""
        for (index, field) in record.mapping.enumerated() {
            guard let field, index < cells.count else { continue }
            let cell = CSVWriter.unneutralised(cells[index].trimmingCharacters(in: .whitespacesAndNewlines))
            if cell.isEmpty { continue }
            if field.hasPrefix("properties.") {
                properties[String(field.dropFirst(11))] = .string(cell)
            } else if field.hasPrefix("values.") {
                let key = String(field.dropFirst(7))
                values[key] = fields.first { $0.key == key }?.value(fromCSV: cell) ?? .string(cell)
            } else if field == "first_name" {
                first = cell
            } else if field == "last_name" {
                last = cell
            } else {
                body[field] = .string(cell)
            }
        }
        if body["name"] == nil, !(first + last).isEmpty {
            body["name"] = .string([first, last].filter { !$0.isEmpty }.joined(separator: " "))
        }
        if !properties.isEmpty { body["properties"] = .object(properties) }
        if !values.isEmpty { body["values"] = .object(values) }
        return body
    }

    func write(_ body: JSONObject) throws -> ImportOutcome {
        switch record.target {
        case .customers: return try customer(body)
        case .companies: return try company(body)
        case .entity(let id): return try entry(body, entityID: id)
        }
    }

    var creates: Bool { record.mode != "update" }
    var updates: Bool { record.mode != "create" }

    /// Keyed on the email: one row is a chunk of one (ImportWriter+Customers).
    private func customer(_ body: JSONObject) throws -> ImportOutcome {
        try customers([body])[0].get()
    }

    /// Keyed on the domain (as `CompanyDomain.normalize` writes it).
    private func company(_ body: JSONObject) throws -> ImportOutcome {
        let checked = try CompanyRoutes.Fields(body, db: db, tenant: tenant, creating: false)
        var existing: Int?
        if let domain = checked.domain {
            existing = try db.queryOne("""
                SELECT id FROM companies WHERE tenant_id = \(tenant) AND domain = \(domain) ORDER BY id LIMIT 1 FOR UPDATE
                """)?.int("id")
        } else if updates {
            throw HTTPError.invalid("domain", "A domain is needed to find the company (mode \(record.mode)).")
        }
        if let existing {
            guard updates else { return .skipped }
            return try CompanyRoutes.apply(db, tenant, id: existing, checked, actor: CustomerChanges.Actor(principal)) ? .updated(existing) : .unchanged(existing)
        }
        guard creates else { return .skipped }
        return .created(try CompanyRoutes.insert(db, tenant, try CompanyRoutes.Fields(body, db: db, tenant: tenant, creating: true)))
    }

    /// Keyed on `reference_id` (with reference type `csv`) or on a field (`values.<key>`).
    private func entry(_ given: JSONObject, entityID: Int) throws -> ImportOutcome {
        guard let pipelineID else { throw HTTPError.invalid("pipeline_id", "The entity has no pipeline to import into.") }
        var body = given
        let stageText = body["stage"]?.stringValue ?? ""
        body["stage"] = JSON?.none
        guard let stageID = try EntryStore.importStage(db, tenant, pipelineID: pipelineID, stageText) else {
            throw HTTPError.invalid("stage", "The pipeline has no stage \(stageText).")
        }
        if body["reference_id"] != nil { body["reference_type"] = "csv" }
        let key = record.keyField ?? "reference_id"
        var current: Entry?
        if key == "reference_id" {
            if let reference = body["reference_id"]?.stringValue {
                current = try EntryStore.find(db, tenant, entityID: entityID, referenceType: "csv", referenceID: reference)
            }
        } else if let field = fields.first(where: { "values.\($0.key)" == key }) {
            if let value = given["values"]?[field.key]?.stringValue {
                current = try EntryStore.find(db, tenant, entityID: entityID, field: field, value: value)
            }
        }
        if current == nil, updates, key == "reference_id" ? body["reference_id"] == nil : given["values"]?[String(key.dropFirst(7))] == nil {
            throw HTTPError.invalid(key, "The \(key) is needed to find the entry (mode \(record.mode)).")
        }
        if let current {
            guard updates else { return .skipped }
            if !stageText.isEmpty { body["stage_id"] = .int(Int64(stageID)) }
            var input = Input(body)
            let changes = try EntryRoutes.changes(db, tenant, &input, entityID: entityID, fields: fields, current: current)
            try input.check()
            let before = current.json(tenant, fields: fields)
            let after = try EntryStore.update(db, tenant, uid: current.uid, entityID: entityID, fields: fields, changes, actor: Actor(principal))
            return Self.comparable(before) == Self.comparable(after.json(tenant, fields: fields)) ? .unchanged(current.id) : .updated(current.id)
        }
        guard creates else { return .skipped }
        body["pipeline_id"] = .int(Int64(pipelineID))
        body["stage_id"] = .int(Int64(stageID))
        var input = Input(body)
        let changes = try EntryRoutes.changes(db, tenant, &input, entityID: entityID, fields: fields, current: nil)
        try input.check()
        return .created(try EntryStore.create(db, tenant, entityID: entityID, fields: fields, changes, actor: Actor(principal)).entry.id)
    }

    /// An entry's answer without its timestamps, to tell whether an update changed it.
    static func comparable(_ json: JSON) -> JSON {
        guard var o = json.objectValue else { return json }
        o["updated_at"] = JSON?.none
        return .object(o)
    }
}

extension ImportWriter {
    /// Adds the import's tags to the records a chunk wrote or found (`TagWrites.add`: a
    /// customer's history and segment marks), in the chunk's transaction; a re-import adds none.
    func tag(_ ids: [Int]) throws {
        let names = record.tags   // normalized when set (ImportRoutes, Tags.normalize)
        guard !names.isEmpty, !ids.isEmpty else { return }
        let kind: Tags.Kind
        switch record.target {
        case .customers: kind = .customer
        case .companies: kind = .company
        case .entity: kind = .entry
        }
        try TagWrites.add(db, tenant, kind, ids: Array(Set(ids)).sorted(), names: names, actor: CustomerChanges.Actor(principal))
    }
}
