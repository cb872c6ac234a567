import MariaDB
import Web
import Core
import Accounts

/// `/api/brands/{brand}/crm/entities`: the kinds of record a workspace tracks.
enum EntityRoutes {
    static func register(_ routes: inout Routes) {
        routes.get(CRM.prefix + "/entities", .crm, list)
        routes.post(CRM.prefix + "/entities", .crm, create)
        routes.get(CRM.prefix + "/entities/{entity}", .crm, show)
        routes.put(CRM.prefix + "/entities/{entity}", .crm, update)
        routes.patch(CRM.prefix + "/entities/{entity}", .crm, update)
        routes.delete(CRM.prefix + "/entities/{entity}", .crm, delete)
    }

    /// The entity with its pipelines (and their stages) and fields.
    static func detail(_ db: Connection, _ tenant: Tenant, _ entity: Entity) throws -> JSON {
        var object = entity.json(tenant).objectValue!
        object["pipelines"] = .array(try Pipeline.all(db, tenant, entityID: entity.id).map { $0.json(tenant) })
        object["fields"] = .array(try Field.all(db, tenant, entityID: entity.id).map(\.json))
        return .object(object)
    }

    /// A bare array, as the contract shows.
    @Sendable static func list(_ c: Context) throws -> Response {
        .json(.array(try Entity.all(c.db, c.tenant).map { $0.json(c.tenant) }))
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try detail(c.db, c.tenant, try Entity.require(c)))
    }

    struct Attributes {
        var name: String?
        var slug: String?
        var singularName: String?
        var pluralName: String?
        var icon: String?
        var color: String?
    }

    /// Reads the attributes of a create (`creating`) or an update (all optional).
    static func read(_ input: inout Input, creating: Bool, preset: Preset?) -> Attributes {
        // Required on a create without preset; never empty when given.
        let required = creating && preset == nil
        var a = Attributes()
        if required || input.has("name") { a.name = input.string("name", max: 120) }
        if required || input.has("slug") { a.slug = input.slug("slug") }
        a.singularName = input.string("singular_name", required: false, max: 120)
        a.pluralName = input.string("plural_name", required: false, max: 120)
        a.icon = input.string("icon", required: false, max: 64)
        a.color = input.color()
        return a
    }

    /// Creates an entity; with a preset, also its pipelines, stages and fields. Name and slug
    /// default to the preset's label and key.
    static func create(_ db: Connection, _ tenant: Tenant, _ a: Attributes, preset: Preset?) throws -> Entity {
        try db.transaction {
            let id = try CRM.nextID(db, tenant, "entity")
            try db.execute("""
                INSERT INTO crm_entities (tenant_id, id, name, slug, singular_name, plural_name, icon, color, preset, created_at, updated_at)
                VALUES (\(tenant), \(id), \(a.name ?? preset?.label ?? ""), \(a.slug ?? preset?.key ?? ""),
                        \(a.singularName ?? preset?.singularName), \(a.pluralName ?? preset?.label ?? a.name),
                        \(a.icon ?? preset?.icon), \(a.color ?? preset?.color), \(preset?.key), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """)
            try preset?.apply(db, tenant, entityID: id)
            return try Entity.find(db, tenant, String(id))!
        }
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        var preset: Preset?
        if input.has("preset"), !input.isNull("preset") {
            if let key = input.string("preset", required: false, max: 20), !key.isEmpty {
                preset = Preset.named(key)
                if preset == nil {
                    input.fail("preset", "The selected preset is invalid. Allowed: \(Preset.all.map(\.key).joined(separator: ", ")).")
                }
            }
        }
        let attributes = read(&input, creating: true, preset: preset)
        try input.check()
        let entity = try create(c.db, c.tenant, attributes, preset: preset)
        return .json(try detail(c.db, c.tenant, entity), status: 201)
    }

    @Sendable static func update(_ c: Context) throws -> Response {
        let entity = try Entity.require(c)
        var input = try Input(c.request)
        let a = read(&input, creating: false, preset: nil)
        try input.check()
        try c.db.execute("""
            UPDATE crm_entities SET
                name = COALESCE(\(a.name), name), slug = COALESCE(\(a.slug), slug),
                singular_name = IF(\(input.has("singular_name")), \(a.singularName), singular_name),
                plural_name = IF(\(input.has("plural_name")), \(a.pluralName), plural_name),
                icon = IF(\(input.has("icon")), \(a.icon), icon),
                color = IF(\(input.has("color")), \(a.color), color),
                updated_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = \(c.tenant) AND id = \(entity.id)
            """)
        return .json(try detail(c.db, c.tenant, try Entity.find(c.db, c.tenant, String(entity.id))!))
    }

    /// An entity that holds entries is deleted only with `?force=true`, entries and all.
    @Sendable static func delete(_ c: Context) throws -> Response {
        let entity = try Entity.require(c)
        let count = try c.db.queryOne("""
            SELECT COUNT(*) AS n FROM crm_entries WHERE tenant_id = \(c.tenant) AND entity_id = \(entity.id)
            """)?.int("n") ?? 0
        if count > 0 && !c.request.isForced {
            throw HTTPError.conflict("The entity holds \(count) \(count == 1 ? "entry" : "entries"). Delete them first, or pass ?force=true to delete them with it.")
        }
        try EntryStore.deleteAll(c.db, c.tenant, entityID: entity.id)
        try c.db.transaction {
            try c.db.execute("DELETE FROM crm_entities WHERE tenant_id = \(c.tenant) AND id = \(entity.id)")
            try AuditLog.record(c, "entity.deleted", target: ("entity", entity.id),
                                details: ["name": .string(entity.name), "entries_deleted": .int(Int64(count))])
        }
        return .json(["message": "Entity deleted."])
    }
}

extension Request {
    /// `?force=true` (or 1).
    var isForced: Bool { ["true", "1", "yes"].contains(query["force"]?.lowercased() ?? "") }
}
