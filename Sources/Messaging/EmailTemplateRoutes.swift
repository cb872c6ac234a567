import Foundation
import MariaDB
import Web
import Core

/// `/v1/email-templates`: the workspace's saved email templates (list, create, detail,
/// update, delete) and their preview for a customer or a sample recipient.
package struct EmailTemplateRoutes: Sendable {
    /// Who uses a template (the automations): shown with it, and a template in use is not
    /// deleted nor re-keyed.
    let users: EmailTemplateStore.Users

    /// The memberwise initializer, written out: the implicit one is internal to this module.
    package init(users: @escaping EmailTemplateStore.Users) { self.users = users }

    package func register(_ routes: inout Routes) {
        let r = self
        routes.get("/v1/email-templates", .server, Self.list)
        routes.post("/v1/email-templates", .server) { try r.create($0) }
        routes.post("/v1/email-templates/preview", .server, Self.previewDraft)
        routes.get("/v1/email-templates/{id}", .server) { try r.show($0) }
        routes.put("/v1/email-templates/{id}", .server) { try r.update($0) }
        routes.patch("/v1/email-templates/{id}", .server) { try r.update($0) }
        routes.delete("/v1/email-templates/{id}", .server) { try r.remove($0) }
        routes.post("/v1/email-templates/{id}/preview", .server, Self.preview)
    }

    // MARK: JSON

    static func summary(_ row: Row) -> JSON {
        row.json(["id", "key", "name", "subject", "created_at", "updated_at"])
    }

    func detail(_ c: Context, _ row: Row) throws -> JSON {
        var o = row.json(["id", "key", "name", "subject", "body_html", "body_text", "created_at", "updated_at"]).objectValue!
        let users = try users(c.db, c.tenant, try row.int("id"), try row.string("key"), false)
        o["used_by"] = .array(users.map { ["id": .int($0.id), "name": .string($0.name)] })
        return .object(o)
    }

    // MARK: Handlers

    @Sendable static func list(_ c: Context) throws -> Response {
        let page = try Pagination(c.request, sortable: ["created_at", "updated_at", "name", "key"], defaultSort: "created_at")
        var conditions: [SQL] = ["tenant_id = \(c.tenant)"]
        if let search = c.request.query["search"]?.trimmingCharacters(in: .whitespaces), !search.isEmpty {
            let like = SQL.likePattern(containing: search)
            conditions.append("(name LIKE \(like) OR `key` LIKE \(like) OR subject LIKE \(like))")
        }
        let filter = SQL.join(conditions, separator: " AND ")
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM email_templates WHERE \(filter)")?.int("n") ?? 0
        let order = page.order(["name": "name", "key": "`key`", "updated_at": "updated_at"], fallback: "created_at", tiebreak: "id")
        let rows = try c.db.query("""
            SELECT \(EmailTemplateStore.columns) FROM email_templates WHERE \(filter) ORDER BY \(order)
            LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(rows.map(summary), total: total))
    }

    /// The editable fields, checked. Creating needs key, name, subject and body_html.
    struct Fields {
        var key: String?, name: String?, subject: String?, bodyHTML: String?, bodyText: String?
        var present: Set<String>

        package init(_ body: JSONObject, creating: Bool) throws {
            var input = Input(body)
            present = Set(body.keys)
            key = input.string("key", required: creating, max: 100)
            if let k = key, !EmailTemplateStore.isKey(k) {
                input.fail("key", "The key may hold lowercase letters, digits, - and _ only, and must start and end with a letter or digit (win-back-1).")
            }
            name = input.string("name", required: creating, max: 190)
            subject = input.string("subject", required: creating, max: 255)
            bodyHTML = Self.body(&input, body, "body_html", required: creating)
            bodyText = Self.body(&input, body, "body_text", required: false)
            if !creating {
                // Given, they may be neither null nor blank.
                for k in ["key", "name", "subject", "body_html"] {
                    guard let v = body[k] else { continue }
                    if v.isNull || v.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true {
                        input.fail(k, "The \(k.replacingOccurrences(of: "_", with: " ")) field is required.")
                    }
                }
            }
            try input.check()
        }

        static func body(_ input: inout Input, _ body: JSONObject, _ key: String, required: Bool) -> String? {
            let label = key.replacingOccurrences(of: "_", with: " ")
            guard let raw = body[key], raw != .null else {
                if required { input.fail(key, "The \(label) field is required.") }
                return nil
            }
            guard let s = raw.stringValue else { input.fail(key, "The \(label) must be a string."); return nil }
            if s.utf8.count > 1 << 20 { input.fail(key, "The \(label) may not be larger than 1 MB."); return nil }
            if required, s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { input.fail(key, "The \(label) field is required."); return nil }
            return s
        }
    }

    static func keyTaken(_ c: Context, _ key: String, except id: Int?) throws -> Bool {
        try c.db.queryOne("""
            SELECT id FROM email_templates WHERE tenant_id = \(c.tenant) AND `key` = \(key) AND id <> \(id ?? 0)
            """) != nil
    }

    static let taken = HTTPError.invalid("key", "The key has already been taken by another template in this workspace.")

    func create(_ c: Context) throws -> Response {
        let f = try Fields(try c.request.jsonObject(), creating: true)
        if try Self.keyTaken(c, f.key!, except: nil) { throw Self.taken }
        let id: Int
        do {
            id = try c.db.execute("""
                INSERT INTO email_templates (tenant_id, `key`, name, subject, body_html, body_text, created_at, updated_at)
                VALUES (\(c.tenant), \(f.key!), \(f.name!), \(f.subject!), \(f.bodyHTML!), \(f.bodyText), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
        } catch let error as MariaDBError where error.isDuplicateKey {
            throw Self.taken
        }
        return .json(try detail(c, try EmailTemplateStore.find(c.db, c.tenant, id: id)!), status: 201)
    }

    func show(_ c: Context) throws -> Response {
        guard let row = try EmailTemplateStore.find(c.db, c.tenant, id: try c.request.id()) else { throw HTTPError.notFound("Email template not found.") }
        return .json(try detail(c, row))
    }

    /// PUT and PATCH: the fields given change; the others stay. A key that an active
    /// automation sends by does not change under it (409 naming the automations).
    func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let f = try Fields(try c.request.jsonObject(), creating: false)
        func has(_ key: String) -> Bool { f.present.contains(key) }
        do {
            try c.db.transaction {
                guard let row = try EmailTemplateStore.find(c.db, c.tenant, id: id, lock: true) else { throw HTTPError.notFound("Email template not found.") }
                let oldKey = try row.string("key")
                if let key = f.key, key != oldKey {
                    if try Self.keyTaken(c, key, except: id) { throw Self.taken }
                    // Only the automations that name it by key (not by id) lose it to a new key.
                    let byKey = try users(c.db, c.tenant, -1, oldKey, true)
                    if !byKey.isEmpty {
                        throw HTTPError.conflict("The key cannot change while active automations send this template by it: "
                                                 + byKey.map { "\($0.name) (\($0.id))" }.joined(separator: ", ") + ".")
                    }
                }
                try c.db.execute("""
                    UPDATE email_templates SET
                        `key` = COALESCE(\(f.key), `key`), name = COALESCE(\(f.name), name), subject = COALESCE(\(f.subject), subject),
                        body_html = COALESCE(\(f.bodyHTML), body_html), body_text = IF(\(has("body_text")), \(f.bodyText), body_text),
                        updated_at = UTC_TIMESTAMP(6)
                    WHERE tenant_id = \(c.tenant) AND id = \(id)
                    """)
            }
        } catch let error as MariaDBError where error.isDuplicateKey {
            throw Self.taken
        }
        return .json(try detail(c, try EmailTemplateStore.find(c.db, c.tenant, id: id)!))
    }

    /// Refused (409, naming them) while an active automation sends it: its next send would
    /// fail. An inactive automation may lose it; activating that one is then refused.
    func remove(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            guard let row = try EmailTemplateStore.find(c.db, c.tenant, id: id, lock: true) else { throw HTTPError.notFound("Email template not found.") }
            let users = try users(c.db, c.tenant, id, try row.string("key"), true)
            if !users.isEmpty {
                throw HTTPError.conflict("The template is used by active automations: "
                                         + users.map { "\($0.name) (\($0.id))" }.joined(separator: ", ")
                                         + ". Deactivate them or change their email step first.")
            }
            try c.db.execute("DELETE FROM email_templates WHERE tenant_id = \(c.tenant) AND id = \(id)")
        }
        return .json(["message": "Email template deleted."])
    }

    // MARK: Preview

    /// A sample recipient for a preview without a customer.
    package static let sample = TemplateValues(customer: [
        "name": "Alex Sample", "email": "alex.sample@example.com", "phone": "+351 912 345 678", "city": "Lisbon", "country": "PT",
        "properties": ["plan": "pro", "total_spent": 240],
    ])

    static func render(_ c: Context, subject: String, html: String, text: String?, body: JSONObject) throws -> Response {
        var input = Input(body)
        let customerID = input.int("customer_id", required: false, min: 1)
        try input.check()
        var values = sample
        var customerJSON: JSON = .null
        if let customerID {
            guard let row = try c.db.queryOne("""
                SELECT id, name, email, phone, city, country, properties FROM customers WHERE tenant_id = \(c.tenant) AND id = \(customerID)
                """) else { throw HTTPError.invalid("customer_id", "The customer does not exist in this workspace.") }
            values = TemplateValues(row: row)
            customerJSON = row.json(["id", "name", "email"])
        }
        values.unsubscribeURL = CampaignLinks.publicBase() + "/t/u/preview"
        let r = RenderedMail.render(subject: subject, html: html, text: text, values: values)
        return .json(["subject": .string(r.subject), "html": .string(r.html), "text": .string(r.text), "customer": customerJSON])
    }

    @Sendable static func preview(_ c: Context) throws -> Response {
        guard let row = try EmailTemplateStore.find(c.db, c.tenant, id: try c.request.id()) else { throw HTTPError.notFound("Email template not found.") }
        let body = c.request.body.isEmpty ? JSONObject() : try c.request.jsonObject()
        return try render(c, subject: try row.string("subject"), html: try row.string("body_html"), text: row.optionalString("body_text"), body: body)
    }

    /// An unsaved template (the editor's live preview): subject, body_html, body_text.
    @Sendable static func previewDraft(_ c: Context) throws -> Response {
        let body = try c.request.jsonObject()
        var input = Input(body)
        let subject = input.string("subject", required: false, max: 255) ?? ""
        let html = Fields.body(&input, body, "body_html", required: false) ?? ""
        let text = Fields.body(&input, body, "body_text", required: false)
        try input.check()
        return try render(c, subject: subject, html: html, text: text, body: body)
    }
}
