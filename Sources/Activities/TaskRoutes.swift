import Foundation
import MariaDB
import Web
import Core
import Search
import Accounts

/// `/v1/tasks`: somebody does the next thing. A task has a title, an optional description,
/// due date, assignee (a member of the workspace) and subject (a customer or an entry), a
/// status (`open`, `done`; the server sets `completed_at` when it becomes done and clears it
/// when it is opened again) and a priority. Created by a member without `assignee_id`, a task
/// is the creator's.
package enum TaskRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/tasks", .server, list)
        routes.post("/v1/tasks", .server, create)
        routes.get("/v1/tasks/{id}", .server, show)
        routes.put("/v1/tasks/{id}", .server, update)
        routes.patch("/v1/tasks/{id}", .server, update)
        routes.delete("/v1/tasks/{id}", .server, delete)
    }

    static let statuses = ["open", "done"]
    static let priorities = ["low", "normal", "high"]

    static let columns: SQL = """
        t.id, t.title, t.description, t.due_at, t.assignee_id, u.name AS assignee_name, t.status, t.priority, t.completed_at,
        t.subject_type, t.subject_id, t.created_by, t.created_at, t.updated_at,
        (t.status = 'open' AND t.due_at < UTC_TIMESTAMP(6)) AS overdue
        """

    static func json(_ row: Row) throws -> JSON {
        var o = JSONObject()
        for key in ["id", "title", "description", "due_at", "assignee_id", "assignee_name", "status", "priority", "completed_at"] {
            o[key] = row.json(key)
        }
        if let type = row.optionalString("subject_type"), let id = row.optionalString("subject_id") {
            for (key, value) in Subject(type: type, id: id).json { o[key] = value }
        } else {
            o["subject_type"] = .null
            o["subject_id"] = .null
        }
        o["overdue"] = .bool((row.optionalInt("overdue") ?? 0) != 0)
        for key in ["created_by", "created_at", "updated_at"] { o[key] = row.json(key) }
        return .object(o)
    }

    static func find(_ c: Context, _ id: Int) throws -> Row {
        guard let row = try c.db.queryOne("""
            SELECT \(columns) FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id
            WHERE t.tenant_id = \(c.tenant) AND t.id = \(id)
            """) else { throw HTTPError.notFound("Task not found.") }
        return row
    }

    /// Every task about `subject`, oldest first (the customer export).
    package static func all(_ db: Connection, _ tenant: Tenant, about subject: Subject) throws -> [JSON] {
        try db.query("""
            SELECT \(columns) FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id
            WHERE t.tenant_id = \(tenant) AND t.subject_type = \(subject.type) AND t.subject_id = \(subject.id)
            ORDER BY t.created_at, t.id
            """).map(json)
    }

    /// The fields of a body, checked. Absent keys stay nil; `present` says which were given.
    struct Fields {
        var title: String?, description: String?, dueAt: Date?, assigneeID: Int?, status: String?, priority: String?
        var subject: Subject?
        var present: Set<String>

        init(_ c: Context, creating: Bool) throws {
            var input = try Input(c.request)
            present = Set(input.object.keys)
            input.refuseNull("title", "status", "priority")
            if creating || input.has("title") { title = input.string("title", required: true, max: 255) }
            description = input.string("description", required: false, max: 10_000, lines: .multi)
            dueAt = input.date("due_at")
            assigneeID = input.int("assignee_id", required: false, min: 1)
            if let assigneeID, try !AccountStore.isMember(c.db, c.tenant, userID: assigneeID) {
                input.fail("assignee_id", "The selected assignee is not a member of this workspace.")
            }
            if creating, !input.has("assignee_id") { assigneeID = c.principal?.userID; present.insert("assignee_id") }
            if input.has("status") { status = input.oneOf("status", statuses) }
            priority = input.has("priority") ? input.oneOf("priority", priorities) : (creating ? "normal" : nil)
            if input.has("subject_type") || input.has("subject_id") || creating {
                subject = try Subject.read(&input, tenant: c.tenant, db: c.db, required: false)
            }
            try input.check()
        }
    }

    /// The filters of the list, checked (422 naming the parameter), as SQL conditions.
    static func conditions(_ c: Context) throws -> SQL {
        let q = c.request.query
        var input = Input(JSONObject(q.map { ($0.key, JSON.string($0.value)) }))
        var parts: [SQL] = ["t.tenant_id = \(c.tenant)"]
        if let raw = q["assignee_id"], !raw.isEmpty {
            if raw == "me" {
                if let user = c.principal?.userID { parts.append("t.assignee_id = \(user)") } else {
                    input.fail("assignee_id", "assignee_id=me needs a signed-in member (an API key is nobody).")
                }
            } else if raw == "none" {
                parts.append("t.assignee_id IS NULL")
            } else if let user = input.int("assignee_id", min: 1) {
                parts.append("t.assignee_id = \(user)")
            }
        }
        if q["status"] != nil, let status = input.oneOf("status", statuses) { parts.append("t.status = \(status)") }
        if q["priority"] != nil, let priority = input.oneOf("priority", priorities) { parts.append("t.priority = \(priority)") }
        if let before = input.date("due_before") { parts.append("t.due_at < \(before)") }
        if let after = input.date("due_after") { parts.append("t.due_at >= \(after)") }
        if let raw = q["overdue"] {
            switch raw {
            case "true", "1": parts.append("t.status = 'open' AND t.due_at < UTC_TIMESTAMP(6)")
            case "false", "0": parts.append("NOT (t.status = 'open' AND t.due_at IS NOT NULL AND t.due_at < UTC_TIMESTAMP(6))")
            default: input.fail("overdue", "The overdue filter must be true or false.")
            }
        }
        try input.check()
        if let subject = try Subject.filter(c.request, tenant: c.tenant, db: c.db) {
            parts.append("t.subject_type = \(subject.type) AND t.subject_id = \(subject.id)")
        }
        return SQL.join(parts, separator: " AND ")
    }

    /// Sorted by `due_at` (default, soonest first, tasks without a date last), `created_at`,
    /// `updated_at` or `priority`.
    @Sendable static func list(_ c: Context) throws -> Response {
        let page = try Pagination(c.request, sortable: ["due_at", "created_at", "updated_at", "priority"], defaultSort: "due_at",
                                  defaultDescending: false)
        let scope = try conditions(c)
        let total = try ListTotals.total(c.db, c.tenant, key: "tasks:\(scope.text):\(scope.binds)", rows: "SELECT 1 FROM tasks t WHERE \(scope)")
        let order = page.order(["created_at": "t.created_at", "updated_at": "t.updated_at", "priority": "FIELD(t.priority, 'low', 'normal', 'high')"],
                               fallback: "t.due_at", tiebreak: "t.id")
        let undated: SQL = page.sort == "due_at" ? "(t.due_at IS NULL), " : ""
        let rows = try c.db.query("""
            SELECT \(columns) FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id
            WHERE \(scope) ORDER BY \(undated)\(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(try rows.map(json), total: total))
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try json(try find(c, try c.request.id())))
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        let f = try Fields(c, creating: true)
        let status = f.status ?? "open"
        let task: JSON = try c.db.transaction {
            let id = try c.db.execute("""
                INSERT INTO tasks (tenant_id, title, description, due_at, assignee_id, status, priority, completed_at,
                                   subject_type, subject_id, created_by, created_at, updated_at)
                VALUES (\(c.tenant), \(f.title!), \(f.description), \(f.dueAt), \(f.assigneeID), \(status), \(f.priority ?? "normal"),
                        IF(\(status) = 'done', UTC_TIMESTAMP(6), NULL), \(f.subject?.type), \(f.subject?.id), \(c.principal?.userID),
                        UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
            let task = try json(try find(c, id))
            try webhooks(c, id, ["task.created"], task)
            return task
        }
        return .json(task, status: 201)
    }

    /// Only the fields given change; null clears `description`, `due_at`, `assignee_id` and
    /// the subject (both of its fields).
    @Sendable static func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let f = try Fields(c, creating: false)
        func has(_ key: String) -> Bool { f.present.contains(key) }
        let subjectGiven = has("subject_type") || has("subject_id")
        return .json(try c.db.transaction {
            let was = try c.db.queryOne("SELECT status FROM tasks WHERE tenant_id = \(c.tenant) AND id = \(id) FOR UPDATE")?.string("status")
            let changed = try c.db.execute("""
                UPDATE tasks SET
                    title = COALESCE(\(f.title), title),
                    description = IF(\(has("description")), \(f.description), description),
                    due_at = IF(\(has("due_at")), \(f.dueAt), due_at),
                    assignee_id = IF(\(has("assignee_id")), \(f.assigneeID), assignee_id),
                    completed_at = CASE WHEN \(f.status) = 'done' AND status = 'open' THEN UTC_TIMESTAMP(6)
                                        WHEN \(f.status) = 'open' THEN NULL ELSE completed_at END,
                    status = COALESCE(\(f.status), status),
                    priority = COALESCE(\(f.priority), priority),
                    subject_type = IF(\(subjectGiven), \(f.subject?.type), subject_type),
                    subject_id = IF(\(subjectGiven), \(f.subject?.id), subject_id),
                    updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """).affectedRows
            guard changed > 0 else { throw HTTPError.notFound("Task not found.") }
            let task = try json(try find(c, id))
            let completed = was == "open" && task["status"]?.stringValue == "done"
            try webhooks(c, id, completed ? ["task.updated", "task.completed"] : ["task.updated"], task)
            return task
        })
    }

    /// The task's webhook events, in the caller's transaction.
    static func webhooks(_ c: Context, _ id: Int, _ types: [String], _ task: JSON) throws {
        try WebhookOutbox.record(c.db, tenant: c.tenant.id, types.map { .init($0, subject: "task:\(id)", data: task) })
    }

    @Sendable static func delete(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            guard try c.db.execute("DELETE FROM tasks WHERE tenant_id = \(c.tenant) AND id = \(id)").affectedRows > 0 else {
                throw HTTPError.notFound("Task not found.")
            }
            try webhooks(c, id, ["task.deleted"], ["id": .int(Int64(id))])
        }
        return .json(["message": "Task deleted."])
    }
}
