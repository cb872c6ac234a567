import MariaDB
import Web
import Core
import Accounts

/// The SQL that creates pipelines and stages (used by the routes and by presets).
enum PipelineStore {
    static func create(_ db: Connection, _ tenant: Tenant, entityID: Int, name: String, position: Int) throws -> Int {
        let id = try CRM.nextID(db, tenant, "pipeline")
        try db.execute("""
            INSERT INTO crm_pipelines (tenant_id, id, entity_id, name, position, created_at, updated_at)
            VALUES (\(tenant), \(id), \(entityID), \(name), \(position), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """)
        return id
    }

    static func createStage(_ db: Connection, _ tenant: Tenant, pipelineID: Int, name: String, color: String?,
                            position: Int, status: StageStatus) throws -> Int {
        let id = try CRM.nextID(db, tenant, "stage")
        try db.execute("""
            INSERT INTO crm_stages (tenant_id, id, pipeline_id, name, color, position, status, created_at, updated_at)
            VALUES (\(tenant), \(id), \(pipelineID), \(name), \(color), \(position), \(status.rawValue), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """)
        return id
    }
}

/// Pipelines (`/entities/{entity}/pipelines`, `/pipelines/{pipeline}`) and their stages
/// (`/pipelines/{pipeline}/stages`, `/stages/{stage}`, `/stages/reorder`).
enum PipelineRoutes {
    static func register(_ routes: inout Routes) {
        routes.get(CRM.prefix + "/entities/{entity}/pipelines", .crm, list)
        routes.post(CRM.prefix + "/entities/{entity}/pipelines", .crm, create)
        routes.get(CRM.prefix + "/pipelines/{pipeline}", .crm, show)
        routes.put(CRM.prefix + "/pipelines/{pipeline}", .crm, update)
        routes.patch(CRM.prefix + "/pipelines/{pipeline}", .crm, update)
        routes.delete(CRM.prefix + "/pipelines/{pipeline}", .crm, delete)
        routes.get(CRM.prefix + "/pipelines/{pipeline}/stats", .crm, PipelineStats.show)

        routes.get(CRM.prefix + "/pipelines/{pipeline}/stages", .crm, stages)
        routes.post(CRM.prefix + "/pipelines/{pipeline}/stages", .crm, createStage)
        routes.put(CRM.prefix + "/stages/reorder", .crm, reorder)
        routes.get(CRM.prefix + "/stages/{stage}", .crm, showStage)
        routes.put(CRM.prefix + "/stages/{stage}", .crm, updateStage)
        routes.patch(CRM.prefix + "/stages/{stage}", .crm, updateStage)
        routes.delete(CRM.prefix + "/stages/{stage}", .crm, deleteStage)
    }

    // MARK: Pipelines

    @Sendable static func list(_ c: Context) throws -> Response {
        let entity = try Entity.require(c)
        return .json(.array(try Pipeline.all(c.db, c.tenant, entityID: entity.id).map { $0.json(c.tenant) }))
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try Pipeline.require(c).json(c.tenant))
    }

    /// `{"name": …}`, optionally `position` and `stages: [{name, color, status}]` to make at once.
    @Sendable static func create(_ c: Context) throws -> Response {
        let entity = try Entity.require(c)
        var input = try Input(c.request)
        let name = input.string("name", max: 120)
        let position = input.int("position", required: false, min: 0, max: 10_000)
        var stages: [(name: String, color: String?, status: StageStatus)] = []
        if let list = input.object["stages"], !list.isNull {
            if let items = list.arrayValue, items.count <= 50 {
                for (i, item) in items.enumerated() {
                    guard let object = item.objectValue else { input.fail("stages.\(i)", "Each stage must be an object."); continue }
                    var stage = Input(object)
                    let stageName = stage.string("name", max: 120)
                    let color = stage.color()
                    let status = stage.oneOf("status", StageStatus.allCases.map(\.rawValue), default: "active")
                    for (field, messages) in stage.errors.fields { for m in messages { input.fail("stages.\(i).\(field)", m) } }
                    if let stageName, let status, let s = StageStatus(rawValue: status) { stages.append((stageName, color, s)) }
                }
            } else {
                input.fail("stages", "The stages must be an array of at most 50 stages.")
            }
        }
        try input.check()
        let id: Int = try c.db.transaction {
            let next = try c.db.queryOne("""
                SELECT COALESCE(MAX(position) + 1, 0) AS p FROM crm_pipelines WHERE tenant_id = \(c.tenant) AND entity_id = \(entity.id)
                """)?.int("p") ?? 0
            let id = try PipelineStore.create(c.db, c.tenant, entityID: entity.id, name: name!, position: position ?? next)
            for (i, stage) in stages.enumerated() {
                _ = try PipelineStore.createStage(c.db, c.tenant, pipelineID: id, name: stage.name, color: stage.color,
                                                  position: i, status: stage.status)
            }
            return id
        }
        return .json(try Pipeline.find(c.db, c.tenant, id: id)!.json(c.tenant), status: 201)
    }

    @Sendable static func update(_ c: Context) throws -> Response {
        let pipeline = try Pipeline.require(c)
        var input = try Input(c.request)
        let name = input.has("name") ? input.string("name", max: 120) : nil
        let position = input.int("position", required: false, min: 0, max: 10_000)
        try input.check()
        try c.db.execute("""
            UPDATE crm_pipelines SET name = COALESCE(\(name), name), position = COALESCE(\(position), position),
                updated_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = \(c.tenant) AND id = \(pipeline.id)
            """)
        return .json(try Pipeline.find(c.db, c.tenant, id: pipeline.id)!.json(c.tenant))
    }

    /// A pipeline that holds entries is deleted only with `?force=true`, entries and all.
    @Sendable static func delete(_ c: Context) throws -> Response {
        let pipeline = try Pipeline.require(c)
        let count = try c.db.queryOne("""
            SELECT COUNT(*) AS n FROM crm_entries
            WHERE tenant_id = \(c.tenant) AND entity_id = \(pipeline.entityID) AND pipeline_id = \(pipeline.id)
            """)?.int("n") ?? 0
        if count > 0 && !c.request.isForced {
            throw HTTPError.conflict("The pipeline holds \(count) \(count == 1 ? "entry" : "entries"). Move them, or pass ?force=true to delete them with it.")
        }
        try EntryStore.deleteAll(c.db, c.tenant, entityID: pipeline.entityID, pipelineID: pipeline.id)
        try c.db.transaction {
            try c.db.execute("DELETE FROM crm_pipelines WHERE tenant_id = \(c.tenant) AND id = \(pipeline.id)")
            try AuditLog.record(c, "pipeline.deleted", target: ("pipeline", pipeline.id),
                                details: ["name": .string(pipeline.name), "entries_deleted": .int(Int64(count))])
        }
        return .json(["message": "Pipeline deleted."])
    }

    // MARK: Stages

    @Sendable static func stages(_ c: Context) throws -> Response {
        .json(.array(try Pipeline.require(c).stages.map(\.json)))
    }

    @Sendable static func showStage(_ c: Context) throws -> Response {
        .json(try Stage.require(c).json)
    }

    /// `{"name", "color", "position", "status"}`: at `position` (the stages from there move
    /// down one), or last.
    @Sendable static func createStage(_ c: Context) throws -> Response {
        let pipeline = try Pipeline.require(c)
        var input = try Input(c.request)
        let name = input.string("name", max: 120)
        let color = input.color()
        let position = input.int("position", required: false, min: 0, max: 10_000)
        let status = input.oneOf("status", StageStatus.allCases.map(\.rawValue), default: "active").flatMap(StageStatus.init)
        try input.check()
        let id: Int = try c.db.transaction {
            try Ordering.stages.add(c.db, c.tenant, parent: pipeline.id, at: position) { end in
                try PipelineStore.createStage(c.db, c.tenant, pipelineID: pipeline.id, name: name!, color: color,
                                              position: end, status: status!)
            }
        }
        return .json(try Stage.find(c.db, c.tenant, id: id)!.json, status: 201)
    }

    @Sendable static func updateStage(_ c: Context) throws -> Response {
        let stage = try Stage.require(c)
        var input = try Input(c.request)
        let name = input.has("name") ? input.string("name", max: 120) : nil
        let color = input.color()
        let position = input.int("position", required: false, min: 0, max: 10_000)
        let status = input.has("status") ? input.oneOf("status", StageStatus.allCases.map(\.rawValue)) : nil
        try input.check()
        try c.db.transaction {
            try c.db.execute("""
                UPDATE crm_stages SET name = COALESCE(\(name), name), color = IF(\(input.has("color")), \(color), color),
                    status = COALESCE(\(status), status), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(stage.id)
                """)
            if status != nil {
                try PipelineStats.forget(c.db, c.tenant, pipelineID: stage.pipelineID)
                try CompanyOpenValue.refresh(c.db, c.tenant, entityID: stage.entityID)
            }
            if let position { try Ordering.stages.move(c.db, c.tenant, parent: stage.pipelineID, id: stage.id, to: position) }
        }
        return .json(try Stage.find(c.db, c.tenant, id: stage.id)!.json)
    }

    /// `{"stages": [{id, position}, …]}`: every stage of one pipeline, applied together.
    @Sendable static func reorder(_ c: Context) throws -> Response {
        let pipelineID = try Ordering.stages.reorder(c)
        return .json(.array(try Stage.all(c.db, c.tenant, pipelineIDs: [pipelineID]).map(\.json)))
    }

    /// A stage that holds entries is deleted only with `move_to_stage_id` (query or body),
    /// a stage of the same pipeline where its entries go, each move recorded in their history.
    @Sendable static func deleteStage(_ c: Context) throws -> Response {
        let stage = try Stage.require(c)
        var target: Int?
        if let raw = c.request.query["move_to_stage_id"], !raw.isEmpty {
            guard let v = Int(raw), v > 0 else { throw HTTPError.invalid("move_to_stage_id", "The move to stage id must be an integer.") }
            target = v
        } else if !c.request.body.isEmpty {
            var input = try Input(c.request)
            target = input.int("move_to_stage_id", required: false, min: 1)
            try input.check()
        }
        let moved: Int = try c.db.transaction {
            let order = try Ordering.stages.lockedIDs(c.db, c.tenant, parent: stage.pipelineID)
            var moved = 0
            if let target {
                guard target != stage.id, order.contains(target), let to = try Stage.find(c.db, c.tenant, id: target) else {
                    throw HTTPError.invalid("move_to_stage_id", "The stage to move to must be another stage of the same pipeline.")
                }
                moved = try EntryStore.moveAll(c.db, c.tenant, from: stage, to: to, actor: Actor(c.principal))
            } else {
                let count = try c.db.queryOne("""
                    SELECT COUNT(*) AS n FROM crm_entries
                    WHERE tenant_id = \(c.tenant) AND entity_id = \(stage.entityID) AND stage_id = \(stage.id)
                    """)?.int("n") ?? 0
                if count > 0 {
                    throw HTTPError.conflict("The stage holds \(count) \(count == 1 ? "entry" : "entries"). Pass move_to_stage_id to move them to another stage of the pipeline.")
                }
            }
            try c.db.execute("DELETE FROM crm_stages WHERE tenant_id = \(c.tenant) AND id = \(stage.id)")
            try Ordering.stages.renumber(c.db, c.tenant, parent: stage.pipelineID, ids: order.filter { $0 != stage.id })
            try AuditLog.record(c, "stage.deleted", target: ("stage", stage.id),
                                details: ["name": .string(stage.name), "pipeline_id": .int(Int64(stage.pipelineID)), "moved_entries": .int(Int64(moved))])
            return moved
        }
        return .json(["message": "Stage deleted.", "moved_entries": .int(moved)])
    }
}
