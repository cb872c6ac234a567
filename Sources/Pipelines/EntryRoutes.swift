import Foundation
import MariaDB
import Web
import Core
import Accounts
import Tags

/// Entries, on both paths: `/entries/{entry}` and `/entities/{entity}/entries/{entry}`.
package enum EntryRoutes {
    static func register(_ routes: inout Routes) {
        routes.get(CRM.prefix + "/entities/{entity}/entries", .crm, list)
        routes.post(CRM.prefix + "/entities/{entity}/entries", .crm, create)
        for base in [CRM.prefix + "/entries/{entry}", CRM.prefix + "/entities/{entity}/entries/{entry}"] {
            routes.get(base, .crm, show)
            routes.put(base, .crm, update)
            routes.patch(base, .crm, update)
            routes.delete(base, .crm, delete)
            routes.put(base + "/stage", .crm, move)
            routes.patch(base + "/stage", .crm, move)
            routes.get(base + "/history", .crm, history)
        }
    }

    /// The entity of a nested path, or nil on a short one.
    static func nestedEntity(_ c: Context) throws -> Entity? {
        c.request.parameter("entity").isEmpty ? nil : try Entity.require(c)
    }

    /// The entry of the path, with its entity's fields.
    static func require(_ c: Context) throws -> (entry: Entry, fields: [Field]) {
        let entity = try nestedEntity(c)
        guard let entry = try EntryStore.find(c.db, c.tenant, uid: c.request.parameter("entry"), entityID: entity?.id) else {
            throw HTTPError.notFound("Entry not found.")
        }
        return (entry, try Field.all(c.db, c.tenant, entityID: entry.entityID))
    }

    static func customer(_ c: Context, _ entry: Entry, _ fields: [Field]) throws -> JSON {
        guard let email = entry.email(fields) else { return .null }
        return try EntryStore.customers(c.db, c.tenant, emails: [email])[email] ?? .null
    }

    static func wantsCustomer(_ c: Context) -> Bool {
        ["true", "1", "yes"].contains(c.request.query["include_customer"]?.lowercased() ?? "")
    }

    // MARK: Reading

    /// The seed's paginator: `{data, current_page, last_page, per_page, total}`.
    @Sendable static func list(_ c: Context) throws -> Response {
        let entity = try Entity.require(c)
        let fields = try Field.all(c.db, c.tenant, entityID: entity.id)
        let query = try EntryQuery(c.request, tenant: c.tenant, principal: c.principal, entity: entity, fields: fields, db: c.db)
        let result = try query.run(c.db)
        let total = result.total
        let entries = try EntryStore.entries(c.db, ids: result.ids)
        var customers: [String: JSON] = [:]
        if query.includeCustomer {
            customers = try EntryStore.customers(c.db, c.tenant, emails: Array(Set(entries.compactMap { $0.email(fields) })))
        }
        let data: [JSON] = entries.map { entry in
            // JSON is nil-literal convertible: spell out the optional that means "no customer key".
            let customer: JSON? = query.includeCustomer ? entry.email(fields).flatMap { customers[$0] } ?? JSON.null : Optional<JSON>.none
            return entry.json(c.tenant, fields: fields, customer: customer)
        }
        return .json([
            "data": .array(data),
            "current_page": .int(query.page),
            "last_page": .int(max(1, (total + query.perPage - 1) / query.perPage)),
            "per_page": .int(query.perPage),
            "total": .int(total),
            // "gte" when the total is a lower bound (see EntryQuery.countLimit).
            "total_relation": .string(result.exact ? "eq" : "gte"),
        ])
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        let (entry, fields) = try require(c)
        let attached: JSON? = wantsCustomer(c) ? try customer(c, entry, fields) : Optional<JSON>.none
        return .json(entry.json(c.tenant, fields: fields, customer: attached))
    }

    @Sendable static func history(_ c: Context) throws -> Response {
        let (entry, _) = try require(c)
        let rows = try c.db.query("""
            SELECT h.id, h.pipeline_id, h.from_stage_id, h.from_stage_name, h.to_stage_id, h.to_stage_name, h.user_id, h.api_key_id,
                   h.created_at, u.name AS user_name, k.name AS api_key_name
            FROM crm_stage_history h
            LEFT JOIN users u ON u.id = h.user_id
            LEFT JOIN api_keys k ON k.id = h.api_key_id AND k.tenant_id = h.tenant_id
            WHERE h.entry_id = \(entry.id) AND h.tenant_id = \(c.tenant)
            ORDER BY h.id
            """)
        let data: [JSON] = rows.map { row in
            var by: JSON = .null
            if let user = row.optionalInt("user_id") {
                by = ["type": "user", "id": .int(user), "name": row.json("user_name")]
            } else if let key = row.optionalInt("api_key_id") {
                by = ["type": "api_key", "id": .int(key), "name": row.json("api_key_name")]
            }
            return [
                "id": row.json("id"), "entry_id": .string(entry.uid), "pipeline_id": row.json("pipeline_id"),
                "from_stage_id": row.json("from_stage_id"), "from_stage_name": row.json("from_stage_name"),
                "to_stage_id": row.json("to_stage_id"), "to_stage_name": row.json("to_stage_name"),
                "changed_by": by, "changed_at": CRM.entryTimestamp(row, "created_at"),
            ]
        }
        return .json(["data": .array(data)])
    }

    // MARK: Writing

    /// Reads the body of a create (`current == nil`) or an update into checked changes,
    /// collecting every problem (the fields named, values as `values.<key>`).
    /// Long (about 85 lines): one block per field of the body, in the contract's order.
    package static func changes(_ c: Context, _ input: inout Input, entityID: Int, fields: [Field], current: Entry?) throws -> EntryStore.Changes {
        try changes(c.db, c.tenant, &input, entityID: entityID, fields: fields, current: current)
    }

    /// The same checks for a body that did not come as a request (an imported row, a bulk action's change).
    package static func changes(_ db: Connection, _ tenant: Tenant, _ input: inout Input, entityID: Int, fields: [Field],
                                current: Entry?) throws -> EntryStore.Changes {
        let creating = current == nil
        var changes = EntryStore.Changes()
        if creating || input.has("title") { changes.title = input.string("title", max: 255) }
        let pipelineID = creating || input.has("pipeline_id") ? input.int("pipeline_id", min: 1) : nil
        let stageID = creating || input.has("stage_id") ? input.int("stage_id", min: 1) : nil
        if input.has("reference_type") { changes.referenceType = .some(input.string("reference_type", required: false, max: 64).flatMap { $0.isEmpty ? nil : $0 }) }
        if input.has("reference_id") {
            if let n = input.object["reference_id"]?.intValue, input.object["reference_id"]?.stringValue == nil {
                changes.referenceID = .some(String(n))
            } else {
                changes.referenceID = .some(input.string("reference_id", required: false, max: 191).flatMap { $0.isEmpty ? nil : $0 })
            }
        }
        if input.has("assigned_to_user_id") { changes.userID = .some(input.int("assigned_to_user_id", required: false, min: 1)) }
        changes.tags = Tags.read(&input)
        // `owner_id` (issue 24 part 3) is the entry's owner by its customers' and companies'
        // name: the same column as the contract's assigned_to_user_id.
        if input.has("owner_id") {
            let owner = try Owners.read(&input, db, tenant)
            if let owner {
                if let given = changes.userID, given != owner {
                    input.fail("owner_id", "The owner id and the assigned to user id name the same person: give one, or the same.")
                } else {
                    changes.userID = owner
                }
            }
        }
        if input.has("assigned_to_team_id") { changes.teamID = .some(input.int("assigned_to_team_id", required: false, min: 1)) }

        // The pipeline must be the entity's, the stage the pipeline's.
        if let pipelineID {
            if let pipeline = try Pipeline.find(db, tenant, id: pipelineID), pipeline.entityID == entityID {
                changes.pipeline = pipeline
            } else {
                input.fail("pipeline_id", "The selected pipeline does not belong to this entity.")
            }
        }
        let targetPipeline = changes.pipeline?.id ?? (input.errors.has("pipeline_id") ? nil : current?.pipelineID)
        if let stageID {
            if let stage = try Stage.find(db, tenant, id: stageID), stage.entityID == entityID {
                if let targetPipeline, stage.pipelineID != targetPipeline {
                    input.fail("stage_id", "The selected stage does not belong to the entry's pipeline.")
                } else {
                    changes.stage = stage
                }
            } else {
                input.fail("stage_id", "The selected stage does not exist in this entity.")
            }
        } else if let current, let pipeline = changes.pipeline, pipeline.id != current.pipelineID {
            input.fail("stage_id", "A stage of the new pipeline is required.")
        }
        if input.has("assigned_to_user_id"), case .some(.some(let user)) = changes.userID,
           try !AccountStore.isMember(db, tenant, userID: user) {
            input.fail("assigned_to_user_id", "The selected user is not a member of this workspace.")
        }
        if case .some(.some(let team)) = changes.teamID,
           try db.queryOne("SELECT id FROM teams WHERE tenant_id = \(tenant) AND id = \(team)") == nil {
            input.fail("assigned_to_team_id", "The selected team does not exist in this workspace.")
        }

        // Values: known keys, the right types; required fields on creation.
        var given = Set<String>()
        if let raw = input.object["values"], !raw.isNull {
            if let object = raw.objectValue {
                for (key, value) in object {
                    guard let field = fields.first(where: { $0.key == key }) else {
                        input.fail("values.\(key)", "The entity has no field \(key).")
                        continue
                    }
                    let empty = value.isNull || value.stringValue?.trimmingCharacters(in: .whitespaces).isEmpty == true
                        || value.arrayValue?.isEmpty == true
                    if empty {
                        if field.required { input.fail("values.\(key)", "The \(key.replacingOccurrences(of: "_", with: " ")) field is required.") }
                        if !creating { changes.values.append((field, nil)) }
                        given.insert(key)
                        continue
                    }
                    switch field.check(value) {
                    case .success(let checked):
                        changes.values.append((field, checked))
                        given.insert(key)
                    case .failure(let error):
                        input.fail("values.\(key)", error.message)
                        given.insert(key)
                    }
                }
            } else {
                input.fail("values", "The values must be an object of field keys and values.")
            }
        }
        if creating {
            for field in fields where field.required && !given.contains(field.key) {
                input.fail("values.\(field.key)", "The \(field.key.replacingOccurrences(of: "_", with: " ")) field is required.")
            }
        }
        return changes
    }

    /// A repeated (reference_type, reference_id) answers 200 with the entry made the first
    /// time, so that a retried webhook makes no duplicate.
    @Sendable static func create(_ c: Context) throws -> Response {
        let entity = try Entity.require(c)
        let fields = try Field.all(c.db, c.tenant, entityID: entity.id)
        var input = try Input(c.request)
        let type = input.object["reference_type"]?.stringValue
        let reference = input.object["reference_id"]?.stringValue ?? input.object["reference_id"]?.intValue.map { String($0) }
        if let type, let reference, !type.isEmpty, !reference.isEmpty,
           let existing = try EntryStore.find(c.db, c.tenant, entityID: entity.id, referenceType: type, referenceID: reference) {
            return .json(existing.json(c.tenant, fields: fields), status: 200)
        }
        let changes = try changes(c, &input, entityID: entity.id, fields: fields, current: nil)
        try input.check()
        let (entry, created) = try EntryStore.create(c.db, c.tenant, entityID: entity.id, fields: fields, changes, actor: Actor(c.principal))
        return .json(entry.json(c.tenant, fields: fields), status: created ? 201 : 200)
    }

    /// Only what the body holds changes; `values` merge into the entry's (null removes one).
    @Sendable static func update(_ c: Context) throws -> Response {
        let (entry, fields) = try require(c)
        var input = try Input(c.request)
        let changes = try changes(c, &input, entityID: entry.entityID, fields: fields, current: entry)
        try input.check()
        let updated = try EntryStore.update(c.db, c.tenant, uid: entry.uid, entityID: entry.entityID, fields: fields, changes,
                                            actor: Actor(c.principal)) { locked in
            // The pipeline may have changed since the checks: the stage must still fit.
            if let stage = changes.stage, stage.pipelineID != (changes.pipeline?.id ?? locked.pipelineID) {
                throw HTTPError.invalid("stage_id", "The selected stage does not belong to the entry's pipeline.")
            }
        }
        return .json(updated.json(c.tenant, fields: fields))
    }

    /// `{"stage_id": …}`: a stage of the entry's current pipeline.
    @Sendable static func move(_ c: Context) throws -> Response {
        let (entry, fields) = try require(c)
        var input = try Input(c.request)
        let stageID = input.int("stage_id", min: 1)
        try input.check()
        guard let stage = try Stage.find(c.db, c.tenant, id: stageID!) else {
            throw HTTPError.invalid("stage_id", "The stage does not exist (it may have been deleted).")
        }
        guard stage.pipelineID == entry.pipelineID else {
            throw HTTPError.invalid("stage_id", "The stage must belong to the entry's current pipeline.")
        }
        if stage.id == entry.stageID { return .json(entry.json(c.tenant, fields: fields)) }
        var changes = EntryStore.Changes()
        changes.stage = stage
        let updated = try EntryStore.update(c.db, c.tenant, uid: entry.uid, entityID: entry.entityID, fields: fields, changes,
                                            actor: Actor(c.principal)) { locked in
            if locked.pipelineID != stage.pipelineID {
                throw HTTPError.invalid("stage_id", "The stage must belong to the entry's current pipeline.")
            }
        }
        return .json(updated.json(c.tenant, fields: fields))
    }

    @Sendable static func delete(_ c: Context) throws -> Response {
        let entity = try nestedEntity(c)
        guard try EntryStore.delete(c.db, c.tenant, uid: c.request.parameter("entry"), entityID: entity?.id) else {
            throw HTTPError.notFound("Entry not found.")
        }
        return .json(["message": "Entry deleted."])
    }
}
