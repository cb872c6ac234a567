import MariaDB
import Web
import Core
import Accounts

/// Custom fields (`/entities/{entity}/fields`, `/fields/{field}`, `/fields/reorder`).
enum FieldRoutes {
    static func register(_ routes: inout Routes) {
        routes.get(CRM.prefix + "/entities/{entity}/fields", .crm, list)
        routes.post(CRM.prefix + "/entities/{entity}/fields", .crm, create)
        routes.put(CRM.prefix + "/fields/reorder", .crm, reorder)
        routes.get(CRM.prefix + "/fields/{field}", .crm, show)
        routes.put(CRM.prefix + "/fields/{field}", .crm, update)
        routes.patch(CRM.prefix + "/fields/{field}", .crm, update)
        routes.delete(CRM.prefix + "/fields/{field}", .crm, delete)
    }

    static func require(_ c: Context) throws -> Field {
        guard let id = Int(c.request.parameter("field")), id > 0, let field = try Field.find(c.db, c.tenant, id: id) else {
            throw HTTPError.notFound("Field not found.")
        }
        return field
    }

    /// Inserts a field at `position`; Ordering.fields places it among the others.
    static func create(_ db: Connection, _ tenant: Tenant, entityID: Int, name: String, key: String, type: FieldType,
                       options: [String]?, required: Bool, position: Int) throws -> Int {
        let id = try CRM.nextID(db, tenant, "field")
        let optionsText = options.map { JSONWriter.string(.array($0.map(JSON.string))) }
        try db.execute("""
            INSERT INTO crm_fields (tenant_id, id, entity_id, name, `key`, type, options, required, position, created_at, updated_at)
            VALUES (\(tenant), \(id), \(entityID), \(name), \(key), \(type.rawValue), \(optionsText), \(required), \(position),
                    UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """)
        return id
    }

    /// Options: a non-empty list of distinct, non-empty strings of at most 100 characters.
    static func options(_ input: inout Input) -> [String]? {
        guard let value = input.object["options"], !value.isNull else { return nil }
        guard let items = value.arrayValue, items.count <= 200 else {
            input.fail("options", "The options must be an array of at most 200 strings.")
            return nil
        }
        var options: [String] = []
        for item in items {
            guard let s = item.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty, s.count <= 100 else {
                input.fail("options", "Each option must be a non-empty string of at most 100 characters.")
                return nil
            }
            guard !options.contains(where: { $0.compare(s, options: .caseInsensitive) == .orderedSame }) else {
                input.fail("options", "The option \(s) appears twice.")
                return nil
            }
            options.append(s)
        }
        return options
    }

    static func key(_ input: inout Input) -> String? {
        guard let key = input.string("key", max: 64) else { return nil }
        guard CRM.isFieldKey(key) else {
            input.fail("key", "The key may only contain lowercase letters, digits and underscores.")
            return nil
        }
        return key
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        let entity = try Entity.require(c)
        return .json(.array(try Field.all(c.db, c.tenant, entityID: entity.id).map(\.json)))
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try require(c).json)
    }

    /// `{name, key, type, options, required, position}`; options are required for select types.
    @Sendable static func create(_ c: Context) throws -> Response {
        let entity = try Entity.require(c)
        var input = try Input(c.request)
        let name = input.string("name", max: 120)
        let key = key(&input)
        let type = input.oneOf("type", FieldType.allCases.map(\.rawValue)).flatMap(FieldType.init)
        var options = options(&input)
        let required = input.bool("required") ?? false
        let position = input.int("position", required: false, min: 0, max: 10_000)
        if let type {
            if type.hasOptions, options?.isEmpty ?? true, !input.errors.has("options") {
                input.fail("options", "The options field is required for \(type.rawValue) fields.")
            }
            if !type.hasOptions { options = nil }
        }
        try input.check()
        let id: Int = try c.db.transaction {
            try Ordering.fields.add(c.db, c.tenant, parent: entity.id, at: position) { end in
                try create(c.db, c.tenant, entityID: entity.id, name: name!, key: key!, type: type!, options: options,
                           required: required, position: end)
            }
        }
        // A new field can become the entity's deal value (`amount`, or the first number field).
        try CompanyOpenValue.refresh(c.db, c.tenant, entityID: entity.id)
        return .json(try Field.find(c.db, c.tenant, id: id)!.json, status: 201)
    }

    /// Any attribute. The type changes only while no entry holds a value for the field.
    @Sendable static func update(_ c: Context) throws -> Response {
        let field = try require(c)
        var input = try Input(c.request)
        let name = input.has("name") ? input.string("name", max: 120) : nil
        let key = input.has("key") ? key(&input) : nil
        let type = input.has("type") ? input.oneOf("type", FieldType.allCases.map(\.rawValue)).flatMap(FieldType.init) : nil
        var options = input.has("options") ? options(&input) : field.options
        let required = input.bool("required")
        let position = input.int("position", required: false, min: 0, max: 10_000)
        let newType = type ?? field.type
        if newType.hasOptions, options?.isEmpty ?? true, !input.errors.has("options") {
            input.fail("options", "The options field is required for \(newType.rawValue) fields.")
        }
        if !newType.hasOptions { options = nil }
        try input.check()
        try c.db.transaction {
            if newType != field.type, try c.db.queryOne("""
                SELECT 1 AS x FROM crm_entry_values WHERE tenant_id = \(c.tenant) AND field_id = \(field.id) LIMIT 1
                """) != nil {
                throw HTTPError.invalid("type", "The type cannot change while entries hold values for this field.")
            }
            let optionsText = options.map { JSONWriter.string(.array($0.map(JSON.string))) }
            try c.db.execute("""
                UPDATE crm_fields SET name = COALESCE(\(name), name), `key` = COALESCE(\(key), `key`), type = \(newType.rawValue),
                    options = \(optionsText), required = COALESCE(\(required), required), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(field.id)
                """)
            if let position { try Ordering.fields.move(c.db, c.tenant, parent: field.entityID, id: field.id, to: position) }
            try CompanyOpenValue.refresh(c.db, c.tenant, entityID: field.entityID)
        }
        return .json(try Field.find(c.db, c.tenant, id: field.id)!.json)
    }

    /// `{"fields": [{id, position}, …]}`: every field of one entity, applied together.
    @Sendable static func reorder(_ c: Context) throws -> Response {
        let entityID = try Ordering.fields.reorder(c)
        try CompanyOpenValue.refresh(c.db, c.tenant, entityID: entityID)
        return .json(.array(try Field.all(c.db, c.tenant, entityID: entityID).map(\.json)))
    }

    /// Removes the field and its values from every entry.
    @Sendable static func delete(_ c: Context) throws -> Response {
        let field = try require(c)
        let purged = try EntryStore.purge(c.db, c.tenant, field: field)
        try c.db.transaction {
            try c.db.execute("DELETE FROM crm_fields WHERE tenant_id = \(c.tenant) AND id = \(field.id)")
            try Ordering.fields.close(c.db, c.tenant, parent: field.entityID)
            try AuditLog.record(c, "field.deleted", target: ("field", field.id),
                                details: ["name": .string(field.name), "key": .string(field.key), "entries_updated": .int(Int64(purged))])
            try CompanyOpenValue.refresh(c.db, c.tenant, entityID: field.entityID)
        }
        return .json(["message": "Field deleted.", "entries_updated": .int(purged)])
    }
}
