import Foundation
import MariaDB
import Web
import Core
import Search

/// `/v1/notes`: what happened, written down on a customer or an entry. Markdown, at most
/// 64 KiB; listed per subject, pinned first, then newest first. The author edits and deletes
/// a note; so do owners and admins (`Permissions.Action.editOthersNotes`) and secret API keys
/// (which have every data right). A note written with an API key has no author (`author_id`
/// null), so only owners, admins and keys may change it.
package enum NoteRoutes {
    /// The largest body, in bytes of UTF-8.
    static let maxBody = 64 * 1024

    package static func register(_ routes: inout Routes) {
        routes.get("/v1/notes", .server, list)
        routes.post("/v1/notes", .server, create)
        routes.get("/v1/notes/{id}", .server, show)
        routes.put("/v1/notes/{id}", .server, update)
        routes.patch("/v1/notes/{id}", .server, update)
        routes.delete("/v1/notes/{id}", .server, delete)
    }

    static let columns: SQL = """
        n.id, n.subject_type, n.subject_id, n.body, n.pinned, n.author_id, u.name AS author_name, n.created_at, n.updated_at
        """

    static func json(_ row: Row) throws -> JSON {
        var o = JSONObject([("id", row.json("id"))])
        for (key, value) in Subject(type: try row.string("subject_type"), id: try row.string("subject_id")).json { o[key] = value }
        o["body"] = row.json("body")
        o["pinned"] = .bool(try row.bool("pinned"))
        for key in ["author_id", "author_name", "created_at", "updated_at"] { o[key] = row.json(key) }
        return .object(o)
    }

    static func find(_ c: Context, _ id: Int, lock: Bool = false) throws -> Row {
        let suffix: SQL = lock ? "FOR UPDATE" : ""
        guard let row = try c.db.queryOne("""
            SELECT \(columns) FROM notes n LEFT JOIN users u ON u.id = n.author_id
            WHERE n.tenant_id = \(c.tenant) AND n.id = \(id) \(suffix)
            """) else { throw HTTPError.notFound("Note not found.") }
        return row
    }

    /// Every note about `subject`, oldest first (the customer export).
    package static func all(_ db: Connection, _ tenant: Tenant, about subject: Subject) throws -> [JSON] {
        try db.query("""
            SELECT \(columns) FROM notes n LEFT JOIN users u ON u.id = n.author_id
            WHERE n.tenant_id = \(tenant) AND n.subject_type = \(subject.type) AND n.subject_id = \(subject.id)
            ORDER BY n.created_at, n.id
            """).map(json)
    }

    /// The body, checked: Markdown text (line breaks and tabs allowed), 1 byte to 64 KiB.
    static func body(_ input: inout Input, required: Bool) -> String? {
        guard required || input.has("body") else { return nil }
        guard let body = input.string("body", required: true, max: maxBody, trim: false, lines: .multi) else { return nil }
        if body.utf8.count > maxBody {
            input.fail("body", "The body may not be greater than 64 KiB (65,536 bytes of UTF-8).")
            return nil
        }
        if body.trimmedOfWhitespace.isEmpty {
            input.fail("body", "The body field is required.")
            return nil
        }
        return body
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        guard let subject = try Subject.filter(c.request, tenant: c.tenant, db: c.db) else {
            var errors = ValidationErrors()
            errors.add("subject_type", "Notes are listed per subject: give subject_type and subject_id.")
            throw HTTPError.validation(errors)
        }
        let page = try Pagination(c.request, sortable: ["created_at"], defaultSort: "created_at")
        let scope: SQL = "n.tenant_id = \(c.tenant) AND n.subject_type = \(subject.type) AND n.subject_id = \(subject.id)"
        let total = try ListTotals.total(c.db, c.tenant, key: "notes:\(subject.type):\(subject.id)", rows: "SELECT 1 FROM notes n WHERE \(scope)")
        // Pinned first, then the chosen direction of created_at (newest first by default).
        let order = page.order([:], fallback: "n.created_at", tiebreak: "n.id")
        let rows = try c.db.query("""
            SELECT \(columns) FROM notes n LEFT JOIN users u ON u.id = n.author_id
            WHERE \(scope) ORDER BY n.pinned DESC, \(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(try rows.map(json), total: total))
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try json(try find(c, try c.request.id())))
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let subject = try Subject.read(&input, tenant: c.tenant, db: c.db, required: true)
        let text = body(&input, required: true)
        let pinned = input.bool("pinned") ?? false
        try input.check()
        let id = try c.db.execute("""
            INSERT INTO notes (tenant_id, subject_type, subject_id, body, pinned, author_id, created_at, updated_at)
            VALUES (\(c.tenant), \(subject!.type), \(subject!.id), \(text!), \(pinned), \(c.principal?.userID),
                    UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        return .json(try json(try find(c, id)), status: 201)
    }

    /// 403 unless the caller wrote the note or may change others' notes.
    static func requireEditor(_ c: Context, _ note: Row) throws {
        if let author = note.optionalInt("author_id"), author == c.principal?.userID { return }
        try Permissions.require(c, .editOthersNotes)
    }

    /// `body` and `pinned`; the subject and the author never change.
    @Sendable static func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        var input = try Input(c.request)
        input.refuseNull("body", "pinned")
        for key in ["subject_type", "subject_id", "author_id"] where input.has(key) {
            input.fail(key, "The \(key.replacingOccurrences(of: "_", with: " ")) of a note cannot be changed.")
        }
        let text = body(&input, required: false)
        let pinned = input.bool("pinned")
        try input.check()
        try c.db.transaction {
            try requireEditor(c, try find(c, id, lock: true))
            try c.db.execute("""
                UPDATE notes SET body = COALESCE(\(text), body), pinned = COALESCE(\(pinned), pinned), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """)
        }
        return .json(try json(try find(c, id)))
    }

    @Sendable static func delete(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            try requireEditor(c, try find(c, id, lock: true))
            try c.db.execute("DELETE FROM notes WHERE tenant_id = \(c.tenant) AND id = \(id)")
        }
        return .json(["message": "Note deleted."])
    }
}
