import Foundation
import MariaDB
import Web
import Core
import Accounts

/// `GET …/entities/{entity}/entries/export.csv` (issue 25 part 2): the entry list as on
/// screen (its filters, search and sort, read by `EntryQuery`), a page of 1,000 at a time,
/// streamed by the one CSV writer; the values' columns are the entity's field keys.
enum EntryExport {
    static let batch = 1_000

    static func register(_ routes: inout Routes) {
        routes.get(CRM.prefix + "/entities/{entity}/entries/export.csv", .crm, export)
    }

    @Sendable static func export(_ c: Context) throws -> Response {
        let entity = try Entity.require(c)
        let fields = try Field.all(c.db, c.tenant, entityID: entity.id)
        var query = try EntryQuery(c.request, tenant: c.tenant, principal: c.principal, entity: entity, fields: fields, db: c.db)
        let fixed = ["id", "title", "pipeline_id", "stage_id", "stage", "reference_type", "reference_id", "owner_id"]
        let allowed = fixed + fields.map(\.key) + ["created_at", "updated_at"]
        let columns = try CSVWriter.columns(c.request.query["columns"], allowed: allowed, defaults: allowed)
        let filters = c.request.query.filter { !["page", "per_page"].contains($0.key) }.sorted { $0.key < $1.key }
        try AuditLog.record(c, "entries.exported", target: ("entity", entity.id), details: [
            "filters": .object(JSONObject(filters.map { ($0.key, JSON.string($0.value)) })), "columns": .array(columns.map(JSON.string)),
        ])
        var stages: [Int: String] = [:]
        for row in try c.db.query("""
            SELECT s.id, s.name FROM crm_stages s JOIN crm_pipelines p ON p.tenant_id = s.tenant_id AND p.id = s.pipeline_id
            WHERE s.tenant_id = \(c.tenant) AND p.entity_id = \(entity.id)
            """) {
            stages[try row.int("id")] = try row.string("name")
        }
        let db = c.db, byKey = Dictionary(fields.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        query.perPage = batch
        query.page = 0
        return CSVWriter.stream(filename: "\(entity.slug)-entries.csv", header: columns) {
            query.page += 1
            let entries = try EntryStore.entries(db, ids: try query.run(db).ids)
            return entries.map { entry in
                columns.map { column in
                    if let field = byKey[column] { return entry.csvText(field) }
                    switch column {
                    case "id": return entry.uid
                    case "title": return entry.title
                    case "pipeline_id": return String(entry.pipelineID)
                    case "stage_id": return String(entry.stageID)
                    case "stage": return stages[entry.stageID] ?? ""
                    case "owner_id": return CSVWriter.text(entry.row.json("assigned_to_user_id"))
                    default: return CSVWriter.text(entry.row.json(column))
                    }
                }
            }
        }
    }
}
