import Cryptography
import Foundation
import MariaDB
import Web
import Core
import Accounts

/// `/v1/automations`: list, create, detail, update, delete, design, activate, deactivate,
/// and the enrolments with each customer's path.
package enum AutomationRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/automations", .server, list)
        routes.post("/v1/automations", .server, create)
        routes.get("/v1/automations/{id}", .server, show)
        routes.put("/v1/automations/{id}", .server, update)
        routes.delete("/v1/automations/{id}", .server, delete)
        routes.get("/v1/automations/{id}/design", .server, design)
        routes.post("/v1/automations/{id}/design", .server, saveDesign)
        routes.post("/v1/automations/{id}/draft", .server, AutomationDrafts.save)
        routes.post("/v1/automations/{id}/activate", .server, activate)
        routes.post("/v1/automations/{id}/deactivate", .server, deactivate)
        routes.get("/v1/automations/{id}/enrolments", .server, enrolments)
    }

    static let columns: SQL = """
        a.id, a.name, a.trigger_type, a.trigger_config, a.reentry, a.is_active, a.steps_count, a.design, a.draft_design, a.created_at, a.updated_at,
        (SELECT COUNT(*) FROM automation_enrolments e WHERE e.automation_id = a.id) AS total_enrolled
        """

    static func find(_ c: Context, lock: Bool = false) throws -> Row {
        let forUpdate: SQL = lock ? " FOR UPDATE" : ""
        guard let row = try c.db.queryOne("SELECT \(columns) FROM automations a WHERE a.tenant_id = \(c.tenant) AND a.id = \(try c.request.id())\(forUpdate)") else {
            throw HTTPError.notFound("Automation not found.")
        }
        return row
    }

    static func summary(_ row: Row) -> JSON {
        var o = row.json(["id", "name", "trigger_type"]).objectValue!
        o["is_active"] = .bool((try? row.bool("is_active")) ?? false)
        o["steps_count"] = row.json("steps_count")
        o["total_enrolled"] = row.json("total_enrolled")
        o["created_at"] = row.json("created_at")
        return .object(o)
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        let page = try Pagination(c.request, sortable: ["created_at", "name"], defaultSort: "created_at", defaultDescending: false)
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM automations WHERE tenant_id = \(c.tenant)")?.int("n") ?? 0
        // Created order is id order (ids grow with time), and the primary key reads it at no cost.
        let order = page.order(["name": "a.name"], fallback: "a.id", tiebreak: "a.id")
        let rows = try c.db.query("""
            SELECT \(columns) FROM automations a WHERE a.tenant_id = \(c.tenant) ORDER BY \(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(rows.map(summary), total: total))
    }

    struct Fields {
        var name: String?, type: String?, config: JSON?, active: Bool?, reentry: String?

        package init(_ body: JSONObject, creating: Bool, currentType: String? = nil) throws {
            var input = Input(body)
            name = input.string("name", required: creating, max: 190)
            if creating || body["trigger_type"] != nil {
                type = input.oneOf("trigger_type", AutomationTriggers.types)
            }
            active = input.bool("is_active")
            if body["reentry"] != nil { reentry = input.oneOf("reentry", ["once", "after_completion"]) }
            var errors = input.errors
            if let t = type ?? currentType, creating || body["trigger_config"] != nil || type != nil {
                if let raw = body["trigger_config"], !raw.isNull, raw.objectValue == nil {
                    errors.add("trigger_config", "The trigger config must be an object.")
                } else {
                    config = AutomationTriggers.config(t, body["trigger_config"], errors: &errors)
                }
            }
            try errors.check()
        }
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        let body = try c.request.jsonObject()
        let f = try Fields(body, creating: true)
        if f.active == true { try Permissions.require(c, .activateAutomation) }
        var design: AutomationDesign?
        if let d = body["design"], !d.isNull { design = try AutomationDesign.validated(d, c.db, c.tenant) }
        var errors = ValidationErrors()
        try AutomationTriggers.checkReferences(c.db, c.tenant, type: f.type ?? "", config: f.config, errors: &errors)
        try design?.checkReferences(c.db, c.tenant, errors: &errors)
        if f.active == true { try design?.checkTemplates(c.db, c.tenant, errors: &errors) }
        try errors.check()
        if f.active == true, design == nil {
            // Active without a design: it has nothing to run yet; enrolments begin once a design is saved.
        }
        let id: Int = try c.db.transaction {
            let id = try c.db.execute("""
                INSERT INTO automations (tenant_id, name, trigger_type, trigger_config, reentry, is_active, design, steps_count,
                                         webhook_secret, created_at, updated_at)
                VALUES (\(c.tenant), \(f.name ?? ""), \(f.type ?? ""), \(JSONWriter.string(f.config ?? [:])), \(f.reentry ?? "once"),
                        \(f.active ?? false), \(JSONWriter.string(design?.json ?? ["nodes": [], "edges": []])), \(design?.stepsCount ?? 0),
                        \(Random.hex(bytes: 24)), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
            if f.active == true {
                try AutomationTriggers.resetCursor(c.db, c.tenant, automationID: id, type: f.type ?? "")
                try AuditLog.record(c, "automation.activated", target: ("automation", id), details: ["name": .string(f.name ?? "")])
            }
            return id
        }
        let row = try c.db.queryOne("SELECT \(columns) FROM automations a WHERE a.id = \(id)")!
        var o = row.json(["id", "name", "trigger_type"]).objectValue!
        o["is_active"] = .bool(try row.bool("is_active"))
        o["steps_count"] = row.json("steps_count")
        o["created_at"] = row.json("created_at")
        return .json(.object(o), status: 201)
    }

    /// Per-node counts: entered, waiting (at the node now), completed, failed.
    static func nodeCounts(_ db: Connection, _ tenant: Tenant, automationID: Int, design: AutomationDesign) throws -> JSON {
        var counts: [String: (waiting: Int, completed: Int, failed: Int)] = [:]
        for row in try db.query("""
            SELECT current_node, state, COUNT(*) AS n FROM automation_enrolments
            WHERE tenant_id = \(tenant) AND automation_id = \(automationID) AND state IN ('active', 'waiting', 'paused', 'failed')
            GROUP BY current_node, state
            """) {
            let node = row.optionalString("current_node") ?? ""
            let n = try row.int("n")
            if try row.string("state") == "failed" { counts[node, default: (0, 0, 0)].failed += n } else { counts[node, default: (0, 0, 0)].waiting += n }
        }
        for row in try db.query("""
            SELECT node_id, COUNT(DISTINCT enrolment_id) AS n FROM automation_steps
            WHERE tenant_id = \(tenant) AND automation_id = \(automationID) AND outcome = 'completed' GROUP BY node_id
            """) {
            counts[try row.string("node_id"), default: (0, 0, 0)].completed += try row.int("n")
        }
        var o = JSONObject()
        for node in design.nodes {
            let c = counts[node.id] ?? (0, 0, 0)
            o[node.id] = ["entered": .int(c.waiting + c.completed + c.failed), "waiting": .int(c.waiting),
                          "completed": .int(c.completed), "failed": .int(c.failed)]
        }
        return .object(o)
    }

    static func stats(_ db: Connection, _ tenant: Tenant, automationID: Int) throws -> JSON {
        var o = JSONObject()
        for key in ["total_enrolled", "active", "waiting", "paused", "completed", "exited", "failed"] { o[key] = .int(0) }
        var total = 0
        for row in try db.query("""
            SELECT state, COUNT(*) AS n FROM automation_enrolments WHERE tenant_id = \(tenant) AND automation_id = \(automationID) GROUP BY state
            """) {
            let n = try row.int("n")
            total += n
            o[try row.string("state")] = .int(n)
        }
        o["total_enrolled"] = .int(total)
        o["messages_sent"] = .int(try db.queryOne("""
            SELECT COUNT(*) AS n FROM automation_messages WHERE tenant_id = \(tenant) AND automation_id = \(automationID) AND state = 'sent'
            """)?.int("n") ?? 0)
        return .object(o)
    }

    static func detail(_ c: Context, _ row: Row) throws -> JSON {
        let id = try row.int("id")
        let design = AutomationDesign.stored(try row.string("design"))
        var o = summary(row).objectValue!
        o["trigger_config"] = (try? JSONParser.parse(try row.string("trigger_config"))) ?? [:]
        o["reentry"] = row.json("reentry")
        o["updated_at"] = row.json("updated_at")
        o["design"] = design.json
        o["draft"] = try AutomationDrafts.json(c.db, c.tenant, stored: row.optionalString("draft_design"))
        o["stats"] = try stats(c.db, c.tenant, automationID: id)
        o["node_counts"] = try nodeCounts(c.db, c.tenant, automationID: id, design: design)
        return .object(o)
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try detail(c, try find(c)))
    }

    @Sendable static func update(_ c: Context) throws -> Response {
        let body = try c.request.jsonObject()
        let current = try find(c)
        let f = try Fields(body, creating: false, currentType: try current.string("trigger_type"))
        let id = try current.int("id")
        let currentType = try current.string("trigger_type")
        if let config = f.config {
            var errors = ValidationErrors()
            try AutomationTriggers.checkReferences(c.db, c.tenant, type: f.type ?? currentType, config: config, errors: &errors)
            try errors.check()
        }
        let typeChanged = f.type != nil && f.type != currentType
        try c.db.transaction {
            // A new trigger on a live automation enrols other customers at once: as activating
            // does, so it asks what activating asks. Read under the row's lock, so that an
            // automation activated meanwhile counts as active.
            let locked = try find(c, lock: true)
            if try locked.bool("is_active") {
                let storedType = try locked.string("trigger_type")
                let storedConfig = try? JSONParser.parse(try locked.string("trigger_config"))
                let storedReentry = try locked.string("reentry")
                // Re-entry decides who is enrolled again, so it is part of the flow as the trigger is.
                if (f.type != nil && f.type != storedType) || (f.config != nil && f.config != storedConfig)
                    || (f.reentry != nil && f.reentry != storedReentry) {
                    try Permissions.require(c, .editActiveAutomation)
                }
            }
            try c.db.execute("""
                UPDATE automations SET name = COALESCE(\(f.name), name), trigger_type = COALESCE(\(f.type), trigger_type),
                    trigger_config = COALESCE(\(f.config.map { JSONWriter.string($0) }), trigger_config),
                    reentry = COALESCE(\(f.reentry), reentry), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """)
            // A segment trigger's cursor is read per segment: another segment starts afresh.
            let type = f.type ?? currentType
            let segmentChanged = f.config != nil && ["segment_entered", "segment_exited"].contains(type)
            if typeChanged || segmentChanged, try current.bool("is_active") {
                try AutomationTriggers.resetCursor(c.db, c.tenant, automationID: id, type: type)
            }
            if let active = f.active { _ = try setActive(c, id: id, active) }
        }
        return .json(try detail(c, try find(c)))
    }

    @Sendable static func delete(_ c: Context) throws -> Response {
        let row = try find(c)
        let id = try row.int("id")
        try c.db.transaction {
            try c.db.execute("DELETE FROM automations WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try AuditLog.record(c, "automation.deleted", target: ("automation", id), details: ["name": row.json("name")])
        }
        return .json(["message": "Automation deleted.", "id": .int(id)])
    }

    @Sendable static func design(_ c: Context) throws -> Response {
        let row = try find(c)
        let design = AutomationDesign.stored(try row.string("design"))
        return .json(["automation_id": row.json("id"), "nodes": design.json["nodes"] ?? [], "edges": design.json["edges"] ?? []])
    }

    /// Saves a design. On an automation with enrolments, customers on nodes that still
    /// exist stay there; those on removed nodes move to the first later step that still
    /// exists (following the old flow), or end when there is none. The answer says which.
    @Sendable static func saveDesign(_ c: Context) throws -> Response {
        let body = try c.request.json()
        let design = try AutomationDesign.validated(body, c.db, c.tenant)
        let id = try c.request.id()
        var errors = ValidationErrors()
        try design.checkReferences(c.db, c.tenant, errors: &errors)
        try errors.check()
        let outcome: (kept: Int, moved: [JSON], ended: [JSON]) = try c.db.transaction {
            guard let row = try c.db.queryOne("SELECT design, is_active FROM automations WHERE tenant_id = \(c.tenant) AND id = \(id) FOR UPDATE") else {
                throw HTTPError.notFound("Automation not found.")
            }
            if try row.bool("is_active") {
                // A live flow changed is a new flow live: what activating asks.
                try Permissions.require(c, .editActiveAutomation)
                var errors = ValidationErrors()
                try design.checkTemplates(c.db, c.tenant, errors: &errors)
                try errors.check()
            }
            let old = AutomationDesign.stored(try row.string("design"))
            try c.db.execute("""
                UPDATE automations SET design = \(JSONWriter.string(design.json)), draft_design = NULL, steps_count = \(design.stepsCount), updated_at = UTC_TIMESTAMP(6)
                WHERE id = \(id)
                """)
            var kept = 0
            var moved: [JSON] = []
            var ended: [JSON] = []
            for e in try c.db.query("""
                SELECT id, customer_id, current_node, state, step_seq FROM automation_enrolments
                WHERE tenant_id = \(c.tenant) AND automation_id = \(id) AND state IN ('active', 'waiting', 'paused') FOR UPDATE
                """) {
                let node = e.optionalString("current_node") ?? ""
                if design.byID[node] != nil { kept += 1; continue }
                let enrolment = try e.int("id")
                let seq = try e.int("step_seq")
                // Breadth-first along the old flow for the first node the new one still has.
                var queue = old.outgoing[node]?.map(\.target) ?? []
                var seen = Set<String>()
                var target: String?
                while !queue.isEmpty {
                    let next = queue.removeFirst()
                    if !seen.insert(next).inserted { continue }
                    if let n = design.byID[next], n.type != .trigger { target = next; break }
                    queue += old.outgoing[next]?.map(\.target) ?? []
                }
                let item: JSON = ["enrolment_id": .int(enrolment), "customer_id": e.json("customer_id"), "from_node": .string(node),
                                  "to_node": target.map(JSON.string) ?? .null]
                if let target {
                    try c.db.execute("""
                        UPDATE automation_enrolments SET current_node = \(target), step_seq = step_seq + 1,
                            state = IF(state = 'paused', 'paused', 'active'), resume_state = IF(state = 'paused', 'active', resume_state),
                            next_run_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6) WHERE id = \(enrolment)
                        """)
                    moved.append(item)
                } else {
                    try c.db.execute("""
                        UPDATE automation_enrolments SET step_seq = step_seq + 1, state = 'exited', next_run_at = NULL,
                            finished_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6) WHERE id = \(enrolment)
                        """)
                    ended.append(item)
                }
                try c.db.execute("""
                    INSERT INTO automation_steps (tenant_id, automation_id, enrolment_id, seq, node_id, node_type, outcome, detail, created_at)
                    VALUES (\(c.tenant), \(id), \(enrolment), \(seq), \(node), 'removed', \(target == nil ? "ended" : "moved"),
                            \(target.map { "node removed from the flow; moved on to \($0)" } ?? "node removed from the flow; no later step remains"),
                            UTC_TIMESTAMP(6))
                    """)
            }
            return (kept, moved, ended)
        }
        return .json([
            "automation_id": .int(id), "saved": true, "nodes_count": .int(design.nodes.count), "edges_count": .int(design.edges.count),
            "enrolments": ["kept": .int(outcome.kept), "moved": .array(outcome.moved), "ended": .array(outcome.ended)],
        ])
    }

    /// Turns an automation on or off: off pauses its enrolments, on resumes them.
    static func setActive(_ c: Context, id: Int, _ active: Bool) throws -> Int {
        try c.db.transaction {
            guard let row = try c.db.queryOne("""
                SELECT is_active, trigger_type, design, draft_design FROM automations WHERE tenant_id = \(c.tenant) AND id = \(id) FOR UPDATE
                """) else { throw HTTPError.notFound("Automation not found.") }
            if active { try AutomationDrafts.refuseActivation(c.db, c.tenant, stored: row.optionalString("draft_design")) }
            if active, AutomationDesign.stored(try row.string("design")).trigger == nil {
                throw HTTPError.invalid("design", "Save a design with a trigger before activating the automation.")
            }
            if active {
                var errors = ValidationErrors()
                try AutomationDesign.stored(try row.string("design")).checkTemplates(c.db, c.tenant, errors: &errors)
                try errors.check()
            }
            let was = try row.bool("is_active")
            if active != was {
                // Through its route or `is_active` in a PUT alike.
                try Permissions.require(c, .activateAutomation)
                try AuditLog.record(c, active ? "automation.activated" : "automation.deactivated", target: ("automation", id))
            }
            try c.db.execute("UPDATE automations SET is_active = \(active), updated_at = UTC_TIMESTAMP(6) WHERE id = \(id)")
            if active {
                if !was { try AutomationTriggers.resetCursor(c.db, c.tenant, automationID: id, type: try row.string("trigger_type")) }
                return try c.db.execute("""
                    UPDATE automation_enrolments SET state = COALESCE(resume_state, 'active'), resume_state = NULL, updated_at = UTC_TIMESTAMP(6)
                    WHERE tenant_id = \(c.tenant) AND automation_id = \(id) AND state = 'paused'
                    """).affectedRows
            }
            return try c.db.execute("""
                UPDATE automation_enrolments SET resume_state = state, state = 'paused', updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND automation_id = \(id) AND state IN ('active', 'waiting')
                """).affectedRows
        }
    }

    @Sendable static func activate(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let n = try setActive(c, id: id, true)
        return .json(["id": .int(id), "is_active": true, "resumed_enrolments": .int(n)])
    }

    @Sendable static func deactivate(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let n = try setActive(c, id: id, false)
        return .json(["id": .int(id), "is_active": false, "paused_enrolments": .int(n)])
    }

    /// The enrolments, newest first, each with its path through the flow.
    @Sendable static func enrolments(_ c: Context) throws -> Response {
        let id = try find(c).int("id")
        let page = try Pagination(c.request, sortable: ["entered_at"], defaultSort: "entered_at")
        var filter: SQL = "e.tenant_id = \(c.tenant) AND e.automation_id = \(id)"
        if let state = c.request.query["state"], ["active", "waiting", "paused", "completed", "exited", "failed"].contains(state) {
            filter = filter + " AND e.state = \(state)"
        }
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM automation_enrolments e WHERE \(filter)")?.int("n") ?? 0
        let order = page.order([:], fallback: "e.entered_at", tiebreak: "e.id")
        let rows = try c.db.query("""
            SELECT e.id, e.customer_id, c.name AS customer_name, c.email AS customer_email, e.cycle, e.current_node, e.state,
                   e.next_run_at, e.attempts, e.last_error, e.entered_at, e.finished_at
            FROM automation_enrolments e LEFT JOIN customers c ON c.id = e.customer_id
            WHERE \(filter) ORDER BY \(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        let ids = try rows.map { try $0.int("id") }
        var paths: [Int: [JSON]] = [:]
        if !ids.isEmpty {
            for s in try c.db.query("""
                SELECT enrolment_id, node_id, node_type, outcome, detail, created_at FROM automation_steps
                WHERE tenant_id = \(c.tenant) AND enrolment_id IN (\(list: ids)) ORDER BY enrolment_id, seq, id
                """) {
                paths[try s.int("enrolment_id"), default: []].append(s.json(["node_id", "node_type", "outcome", "detail", "created_at"]))
            }
        }
        let data = try rows.map { row -> JSON in
            var o = row.json(["id", "customer_id", "customer_name", "customer_email", "cycle", "current_node", "state",
                              "next_run_at", "attempts", "last_error", "entered_at", "finished_at"]).objectValue!
            o["path"] = .array(paths[try row.int("id")] ?? [])
            return .object(o)
        }
        return .json(page.envelope(data, total: total))
    }
}
