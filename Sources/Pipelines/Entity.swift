import Foundation
import MariaDB
import Web
import Core

/// A kind of record tracked in the CRM ("Leads", "Deals").
package struct Entity: Sendable {
    package let id: Int
    let name: String
    let slug: String
    let row: Row

    static let columns: SQL = """
        id, name, slug, singular_name, plural_name, icon, color, preset, created_at, updated_at,
        (SELECT COUNT(*) FROM crm_pipelines p WHERE p.tenant_id = crm_entities.tenant_id AND p.entity_id = crm_entities.id) AS pipelines_count,
        (SELECT COUNT(*) FROM crm_fields f WHERE f.tenant_id = crm_entities.tenant_id AND f.entity_id = crm_entities.id) AS fields_count
        """

    init(row: Row) throws {
        id = try row.int("id")
        name = try row.string("name")
        slug = try row.string("slug")
        self.row = row
    }

    /// The list's shape: `[{id, name, slug, singular_name, plural_name, icon, color, brand_id,
    /// pipelines_count, fields_count}]`, then the timestamps.
    func json(_ tenant: Tenant) -> JSON {
        [
            "id": .int(id), "name": .string(name), "slug": .string(slug),
            "singular_name": row.json("singular_name"), "plural_name": row.json("plural_name"),
            "icon": row.json("icon"), "color": row.json("color"), "brand_id": .int(tenant.id),
            "pipelines_count": row.json("pipelines_count"), "fields_count": row.json("fields_count"),
            "created_at": CRM.timestamp(row, "created_at"), "updated_at": CRM.timestamp(row, "updated_at"),
        ]
    }

    static func all(_ db: Connection, _ tenant: Tenant) throws -> [Entity] {
        try db.query("SELECT \(columns) FROM crm_entities WHERE tenant_id = \(tenant) ORDER BY id").map(Entity.init)
    }

    /// By id, or by slug when the path segment is not a number (or no entity has that id).
    package static func find(_ db: Connection, _ tenant: Tenant, _ idOrSlug: String) throws -> Entity? {
        if let id = Int(idOrSlug), id > 0,
           let row = try db.queryOne("SELECT \(columns) FROM crm_entities WHERE tenant_id = \(tenant) AND id = \(id)") {
            return try Entity(row: row)
        }
        guard CRM.isSlug(idOrSlug) else { return nil }
        return try db.queryOne("SELECT \(columns) FROM crm_entities WHERE tenant_id = \(tenant) AND slug = \(idOrSlug)").map(Entity.init)
    }

    static func require(_ c: Context, _ parameter: String = "entity") throws -> Entity {
        guard let entity = try find(c.db, c.tenant, c.request.parameter(parameter)) else {
            throw HTTPError.notFound("Entity not found.")
        }
        return entity
    }
}

/// A pipeline of an entity, with its stages in order.
package struct Pipeline: Sendable {
    package let id: Int
    package let entityID: Int
    package let name: String
    let row: Row
    var stages: [Stage] = []

    static let columns: SQL = "id, entity_id, name, position, created_at, updated_at"

    init(row: Row) throws {
        id = try row.int("id")
        entityID = try row.int("entity_id")
        name = try row.string("name")
        self.row = row
    }

    func json(_ tenant: Tenant, stages include: Bool = true) -> JSON {
        var object = JSONObject([
            ("id", .int(id)), ("name", .string(name)), ("crm_entity_id", .int(entityID)), ("brand_id", .int(tenant.id)),
            ("position", row.json("position")),
            ("created_at", CRM.timestamp(row, "created_at")), ("updated_at", CRM.timestamp(row, "updated_at")),
        ])
        if include { object["stages"] = .array(stages.map(\.json)) }
        return .object(object)
    }

    /// The pipelines of an entity (or one of them), each with its stages, in two queries.
    package static func all(_ db: Connection, _ tenant: Tenant, entityID: Int? = nil, id: Int? = nil) throws -> [Pipeline] {
        var filter: SQL = ""
        if let entityID { filter = filter + " AND entity_id = \(entityID)" }
        if let id { filter = filter + " AND id = \(id)" }
        var pipelines = try db.query("""
            SELECT \(columns) FROM crm_pipelines WHERE tenant_id = \(tenant)\(filter) ORDER BY position, id
            """).map(Pipeline.init)
        let stages = try Stage.all(db, tenant, pipelineIDs: pipelines.map(\.id))
        for i in pipelines.indices {
            pipelines[i].stages = stages.filter { $0.pipelineID == pipelines[i].id }
        }
        return pipelines
    }

    package static func find(_ db: Connection, _ tenant: Tenant, id: Int) throws -> Pipeline? {
        try all(db, tenant, id: id).first
    }

    static func require(_ c: Context, _ parameter: String = "pipeline") throws -> Pipeline {
        guard let id = Int(c.request.parameter(parameter)), id > 0, let pipeline = try find(c.db, c.tenant, id: id) else {
            throw HTTPError.notFound("Pipeline not found.")
        }
        return pipeline
    }
}

/// What reaching a stage means.
enum StageStatus: String, CaseIterable, Sendable {
    case active, won, lost
}

/// A step of a pipeline.
package struct Stage: Sendable {
    package let id: Int
    package let pipelineID: Int
    package let entityID: Int
    package let name: String
    let position: Int
    let status: StageStatus
    let row: Row

    static let columns: SQL = """
        id, pipeline_id, name, color, position, status, created_at, updated_at,
        (SELECT p.entity_id FROM crm_pipelines p WHERE p.tenant_id = crm_stages.tenant_id AND p.id = crm_stages.pipeline_id) AS entity_id
        """

    init(row: Row) throws {
        id = try row.int("id")
        pipelineID = try row.int("pipeline_id")
        entityID = try row.int("entity_id")
        name = try row.string("name")
        position = try row.int("position")
        status = StageStatus(rawValue: try row.string("status")) ?? .active
        self.row = row
    }

    var json: JSON {
        [
            "id": .int(id), "name": .string(name), "color": row.json("color"), "position": .int(position),
            "status": .string(status.rawValue), "pipeline_id": .int(pipelineID),
            "created_at": CRM.timestamp(row, "created_at"), "updated_at": CRM.timestamp(row, "updated_at"),
        ]
    }

    static func all(_ db: Connection, _ tenant: Tenant, pipelineIDs: [Int]) throws -> [Stage] {
        try db.query("""
            SELECT \(columns) FROM crm_stages WHERE tenant_id = \(tenant) AND pipeline_id IN (\(list: pipelineIDs))
            ORDER BY pipeline_id, position, id
            """).map(Stage.init)
    }

    package static func find(_ db: Connection, _ tenant: Tenant, id: Int) throws -> Stage? {
        try db.queryOne("SELECT \(columns) FROM crm_stages WHERE tenant_id = \(tenant) AND id = \(id)").map(Stage.init)
    }

    static func require(_ c: Context, _ parameter: String = "stage") throws -> Stage {
        guard let id = Int(c.request.parameter(parameter)), id > 0, let stage = try find(c.db, c.tenant, id: id) else {
            throw HTTPError.notFound("Stage not found.")
        }
        return stage
    }
}
