import Cryptography
import Foundation
import MariaDB
import Web
import Core
import Accounts
import Messaging

/// `/v1/campaigns`: list, create, detail, update, delete, send, cancel, test send, the ad
/// audience file, the workspace's delivery settings and the development mailbox.
package enum CampaignRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/campaigns", .server, list)
        routes.post("/v1/campaigns", .server, create)
        routes.get("/v1/campaigns/settings", .server, settings)
        routes.put("/v1/campaigns/settings", .manager, updateSettings)
        routes.get("/v1/campaigns/audience-size", .server, audienceSize)
        routes.get("/v1/campaigns/segments", .server, segments)
        routes.get("/v1/campaigns/{id}", .server, show)
        routes.put("/v1/campaigns/{id}", .server, update)
        routes.delete("/v1/campaigns/{id}", .server, remove)
        routes.post("/v1/campaigns/{id}/send", .server, send)
        routes.post("/v1/campaigns/{id}/cancel", .server, cancel)
        routes.post("/v1/campaigns/{id}/test", .server, testSend)
        routes.get("/v1/campaigns/{id}/audience.csv", .server, audienceFile)
        routes.get("/v1/campaigns/{id}/recipients.csv", .server, CampaignExport.recipients)
        routes.get("/v1/campaigns/{id}/report", .server, CampaignReport.report)
        routes.post("/v1/campaigns/{id}/preview", .server, CampaignPreview.preview)
        routes.get("/v1/mailbox", .server, mailbox)
        routes.get("/v1/mailbox/{name}", .server, mailboxMessage)
        EngagementRoutes.register(&routes)
    }

    static let types = ["email", "sms", "ad"]

    // MARK: JSON

    static func summary(_ row: Row, _ s: CampaignStats) -> JSON {
        var o = row.json(["id", "name", "type", "status"]).objectValue!
        o["total_sent"] = .int(s.delivered)
        o["total_opened"] = .int(s.opened)
        o["total_clicked"] = .int(s.clicked)
        o["open_rate"] = .double(s.rate(s.opened))
        o["click_rate"] = .double(s.rate(s.clicked))
        o["sent_at"] = row.json("sent_at")
        o["human_open_rate"] = .double(s.rate(s.humanOpened))
        o["human_click_rate"] = .double(s.rate(s.humanClicked))
        o["total_bounced"] = .int(s.bounced)
        o["total_unsubscribed"] = .int(s.unsubscribed)
        o["total_recipients"] = row.json("total_recipients")
        o["segment_id"] = row.json("segment_id")
        o["subject"] = row.json("subject")
        o["scheduled_at"] = row.json("scheduled_at")
        o["created_at"] = row.json("created_at")
        return .object(o)
    }

    static func detail(_ c: Context, _ row: Row, messagesPage: Pagination? = nil) throws -> JSON {
        let id = try row.int("id")
        let s = try CampaignStore.stats(c.db, c.tenant, campaigns: [id])[id] ?? CampaignStats()
        var o = row.json(["id", "name", "type", "status"]).objectValue!
        if let segment = row.optionalInt("segment_id"),
           let seg = try c.db.queryOne("SELECT id, name FROM segments WHERE tenant_id = \(c.tenant) AND id = \(segment)") {
            o["segment"] = seg.json(["id", "name"])
        } else {
            o["segment"] = row.optionalInt("segment_id").map { ["id": .int($0), "name": .null] } ?? .null
        }
        o["total_sent"] = .int(s.delivered)
        o["total_opened"] = .int(s.opened)
        o["total_clicked"] = .int(s.clicked)
        o["total_bounced"] = .int(s.bounced)
        o["total_unsubscribed"] = .int(s.unsubscribed)
        o["open_rate"] = .double(s.rate(s.opened))
        o["click_rate"] = .double(s.rate(s.clicked))
        let page = messagesPage ?? Pagination(page: 1, perPage: 100, sort: "id", descending: false)
        let messages = try c.db.query("""
            SELECT m.id, m.customer_id, m.status, m.address, m.error, m.sent_at, m.opened_at, m.clicked_at, m.bounced_at,
                   m.unsubscribed_at, m.failed_at, cu.name AS customer_name
            FROM campaign_messages m LEFT JOIN customers cu ON cu.id = m.customer_id AND cu.tenant_id = m.tenant_id
            WHERE m.tenant_id = \(c.tenant) AND m.campaign_id = \(id) ORDER BY m.id LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        o["messages"] = .array(messages.map(message))
        o["messages_meta"] = page.envelope([], total: s.recipients)["meta"] ?? .null
        o["human_open_rate"] = .double(s.rate(s.humanOpened))
        o["human_click_rate"] = .double(s.rate(s.humanClicked))
        o["total_human_opened"] = .int(s.humanOpened)
        o["total_human_clicked"] = .int(s.humanClicked)
        o["total_recipients"] = .int(s.recipients)
        o["total_pending"] = .int(s.pending)
        o["total_failed"] = .int(s.failed)
        o["total_interrupted"] = row.json("interrupted")
        o["progress"] = .double(s.recipients == 0 ? (row.optionalString("status") == "sent" ? 100 : 0)
                                : (Double(s.recipients - s.pending) * 1000 / Double(s.recipients)).rounded() / 10)
        for key in ["segment_id", "subject", "body", "scheduled_at", "sent_at", "finished_at", "created_at", "updated_at"] {
            o[key] = row.json(key)
        }
        return .object(o)
    }

    static func message(_ row: Row) -> JSON {
        var o = row.json(["id", "customer_id", "status"]).objectValue!
        for key in ["sent_at", "opened_at", "clicked_at", "bounced_at", "unsubscribed_at", "failed_at"] where row.optionalDate(key) != nil {
            o[key] = row.json(key)
        }
        o["address"] = row.json("address")
        o["customer_name"] = row.json("customer_name")
        if row.optionalString("error") != nil { o["error"] = row.json("error") }
        return .object(o)
    }

    // MARK: Handlers

    @Sendable static func list(_ c: Context) throws -> Response {
        let page = try Pagination(c.request, sortable: ["created_at", "sent_at", "name"], defaultSort: "created_at")
        var conditions: [SQL] = ["tenant_id = \(c.tenant)"]
        if let status = c.request.query["status"], !status.isEmpty { conditions.append("status = \(status)") }
        if let type = c.request.query["type"], !type.isEmpty { conditions.append("type = \(type)") }
        let filter = SQL.join(conditions, separator: " AND ")
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM campaigns WHERE \(filter)")?.int("n") ?? 0
        let order = page.order(["sent_at": "sent_at", "name": "name"], fallback: "created_at", tiebreak: "id")
        let rows = try c.db.query("""
            SELECT \(CampaignStore.columns) FROM campaigns WHERE \(filter) ORDER BY \(order)
            LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        let stats = try CampaignStore.stats(c.db, c.tenant, campaigns: rows.map { try $0.int("id") })
        return .json(page.envelope(try rows.map { summary($0, stats[try $0.int("id")] ?? CampaignStats()) }, total: total))
    }

    /// The editable fields, checked.
    struct Fields {
        var name: String?, type: String?, subject: String?, body: String?
        var segmentID: Int?
        var scheduledAt: Date?
        var present: Set<String>

        package init(_ c: Context, _ body: JSONObject, creating: Bool) throws {
            var input = Input(body)
            present = Set(body.keys)
            name = input.string("name", required: creating, max: 190)
            type = creating ? input.oneOf("type", CampaignRoutes.types, default: "email") : nil
            if !creating, body["type"] != nil { input.fail("type", "The type of a campaign cannot change.") }
            subject = input.string("subject", required: false, max: 255)
            if let raw = body["body"], raw != .null {
                if let s = raw.stringValue {
                    if s.utf8.count > 1 << 20 { input.fail("body", "The body may not be larger than 1 MB.") } else { self.body = s }
                } else {
                    input.fail("body", "The body must be a string.")
                }
            }
            segmentID = input.int("segment_id", required: false, min: 1)
            if let raw = body["scheduled_at"], raw != .null {
                if let s = raw.stringValue, let date = RFC3339.parse(s) {
                    if date < Date() { input.fail("scheduled_at", "The scheduled at time must be in the future.") }
                    scheduledAt = date
                } else {
                    input.fail("scheduled_at", "The scheduled at must be an RFC 3339 date-time (2026-03-20T09:00:00Z).")
                }
            }
            try input.check()
            if let segmentID, try c.db.queryOne("SELECT id FROM segments WHERE tenant_id = \(c.tenant) AND id = \(segmentID)") == nil {
                throw HTTPError.invalid("segment_id", "The segment does not exist in this workspace.")
            }
        }
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        let f = try Fields(c, try c.request.jsonObject(), creating: true)
        // Scheduling is sending, later: the same permission as the send route.
        if f.scheduledAt != nil { try Permissions.require(c, .sendCampaign) }
        let status = f.scheduledAt == nil ? "draft" : "scheduled"
        let id: Int = try c.db.transaction {
            let id = try c.db.execute("""
                INSERT INTO campaigns (tenant_id, name, type, status, segment_id, subject, body, scheduled_at, created_at, updated_at)
                VALUES (\(c.tenant), \(f.name!), \(f.type!), \(status), \(f.segmentID), \(f.subject), \(f.body), \(f.scheduledAt),
                        UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
            if let at = f.scheduledAt {
                try CampaignStore.scheduleStart(c.db, c.tenant, campaign: id, at: at)
                try AuditLog.record(c, "campaign.scheduled", target: ("campaign", id), details: ["scheduled_at": .date(at)])
            }
            return id
        }
        let row = try CampaignStore.find(c.db, c.tenant, id: id)!
        var o = row.json(["id", "name", "type", "status", "segment_id", "scheduled_at", "created_at"]).objectValue!
        o["subject"] = row.json("subject")
        o["body"] = row.json("body")
        return .json(.object(o), status: 201)
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        guard let row = try CampaignStore.find(c.db, c.tenant, id: try c.request.id()) else { throw HTTPError.notFound("Campaign not found.") }
        let q = c.request.query
        var page: Pagination?
        if q["messages_page"] != nil || q["messages_per_page"] != nil {
            let p = max(1, Int(q["messages_page"] ?? "1") ?? 1)
            let per = min(500, max(1, Int(q["messages_per_page"] ?? "100") ?? 100))
            page = Pagination(page: p, perPage: per, sort: "id", descending: false)
        }
        return .json(try detail(c, row, messagesPage: page))
    }

    /// While draft or scheduled. A `scheduled_at` makes it scheduled; null makes it a draft.
    @Sendable static func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let f = try Fields(c, try c.request.jsonObject(), creating: false)
        func has(_ key: String) -> Bool { f.present.contains(key) }
        if has("scheduled_at"), f.scheduledAt != nil { try Permissions.require(c, .sendCampaign) }
        try c.db.transaction {
            guard let row = try CampaignStore.find(c.db, c.tenant, id: id, lock: true) else { throw HTTPError.notFound("Campaign not found.") }
            let status = try row.string("status")
            guard status == "draft" || status == "scheduled" else {
                throw HTTPError.conflict("Only a draft or scheduled campaign can be changed; this one is \(status).")
            }
            let scheduled = has("scheduled_at") ? f.scheduledAt : row.optionalDate("scheduled_at")
            let newStatus = scheduled == nil ? "draft" : "scheduled"
            try c.db.execute("""
                UPDATE campaigns SET
                    name = COALESCE(\(f.name), name),
                    subject = IF(\(has("subject")), \(f.subject), subject),
                    body = IF(\(has("body")), \(f.body), body),
                    segment_id = IF(\(has("segment_id")), \(f.segmentID), segment_id),
                    scheduled_at = \(scheduled), status = \(newStatus), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """)
            if has("scheduled_at"), let at = scheduled {
                try CampaignStore.scheduleStart(c.db, c.tenant, campaign: id, at: at)
                try AuditLog.record(c, "campaign.scheduled", target: ("campaign", id), details: ["scheduled_at": .date(at)])
            }
        }
        return .json(try detail(c, try CampaignStore.find(c.db, c.tenant, id: id)!))
    }

    @Sendable static func remove(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            guard let row = try CampaignStore.find(c.db, c.tenant, id: id, lock: true) else { throw HTTPError.notFound("Campaign not found.") }
            let status = try row.string("status")
            guard status == "draft" else {
                throw HTTPError.conflict("Only a draft can be deleted; this campaign is \(status).")
            }
            try c.db.execute("DELETE FROM campaigns WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try AuditLog.record(c, "campaign.deleted", target: ("campaign", id), details: ["name": row.json("name")])
        }
        return .json(["message": "Campaign deleted."])
    }

    @Sendable static func send(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let (queued, status): (Int, String) = try c.db.transaction {
            guard let row = try CampaignStore.find(c.db, c.tenant, id: id, lock: true) else { throw HTTPError.notFound("Campaign not found.") }
            let status = try row.string("status")
            guard status == "draft" || status == "scheduled" else {
                throw HTTPError.conflict("Only a draft or scheduled campaign can be sent; this one is \(status).")
            }
            let queued = try CampaignStore.start(c.db, c.tenant, campaign: row)
            try AuditLog.record(c, "campaign.sent", target: ("campaign", id),
                                details: ["name": row.json("name"), "queued_messages": .int(Int64(queued))])
            return (queued, try row.string("type") == "ad" ? "sent" : "sending")
        }
        return .json([
            "campaign_id": .int(id),
            "status": .string(status),
            "queued_messages": .int(queued),
            "message": .string("Campaign is being sent to \(queued) customer\(queued == 1 ? "" : "s")."),
        ])
    }

    @Sendable static func cancel(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            guard let row = try CampaignStore.find(c.db, c.tenant, id: id, lock: true) else { throw HTTPError.notFound("Campaign not found.") }
            let status = try row.string("status")
            guard status == "scheduled" || status == "sending" else {
                throw HTTPError.conflict("Only a scheduled or sending campaign can be cancelled; this one is \(status).")
            }
            try c.db.execute("""
                UPDATE campaigns SET status = 'cancelled', finished_at = UTC_TIMESTAMP(6), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """)
            // What was still waiting is never sent; a message already in an SMTP transaction
            // ('sending') ends as its delivery records it.
            try c.db.execute("""
                UPDATE campaign_messages SET status = 'cancelled'
                WHERE tenant_id = \(c.tenant) AND campaign_id = \(id) AND status = 'queued'
                """)
            try AuditLog.record(c, "campaign.cancelled", target: ("campaign", id), details: ["name": row.json("name")])
        }
        return .json(try detail(c, try CampaignStore.find(c.db, c.tenant, id: id)!))
    }

    /// Renders the campaign for one address (merge tags from the customer with that
    /// address, or from the segment's first member) and sends it at once.
    @Sendable static func testSend(_ c: Context) throws -> Response {
        let id = try c.request.id()
        guard let row = try CampaignStore.find(c.db, c.tenant, id: id) else { throw HTTPError.notFound("Campaign not found.") }
        var input = Input(try c.request.jsonObject())
        let email = input.email("email")
        try input.check()
        guard try row.string("type") == "email" else { throw HTTPError.invalid("type", "Only email campaigns can be test-sent.") }
        let customer = try c.db.queryOne("""
            SELECT id, name, email, phone, city, country, properties FROM customers WHERE tenant_id = \(c.tenant) AND email = \(email!)
            """) ?? (try row.optionalInt("segment_id").flatMap { segment in
                try c.db.queryOne("""
                    SELECT c.id, c.name, c.email, c.phone, c.city, c.country, c.properties FROM segment_members m
                    JOIN customers c ON c.id = m.customer_id WHERE m.tenant_id = \(c.tenant) AND m.segment_id = \(segment)
                    ORDER BY m.customer_id LIMIT 1
                    """)
            })
        let settings = try MailSettings.load(c.db, c.tenant)
        let links = CampaignLinks(base: CampaignLinks.publicBase(), secret: c.configuration.jwtSecret)
        let token = "test" + Random.hex(bytes: 10)
        var values = TemplateValues(row: customer)
        values.set("email", email)
        let mail = CampaignDelivery.compose(campaign: row, to: email!, values: values, token: token, links: links,
                                            settings: settings, subjectPrefix: "[Test] ", signLinks: false)
        let transport = settings.transport()
        if let box = transport as? DevMailbox { box.nextName = "\(c.tenant.id)-\(id)-test-\(token)" }
        defer { transport.close() }
        switch transport.send(from: settings.fromEmail, to: email!, data: mail.rendered()) {
        case .sent: return .json(["message": .string("A test message was sent to \(email!).")])
        case .permanent(let e), .temporary(let e), .unknown(let e):
            throw HTTPError(422, "The test message could not be sent: \(e)")
        }
    }

    /// The frozen audience of an ad campaign, as ad platforms take it: normalised and
    /// SHA-256-hashed emails and phones (E.164 digits), CSV.
    @Sendable static func audienceFile(_ c: Context) throws -> Response {
        let id = try c.request.id()
        guard let row = try CampaignStore.find(c.db, c.tenant, id: id) else { throw HTTPError.notFound("Campaign not found.") }
        guard try row.string("type") == "ad" else { throw HTTPError.conflict("Only an ad campaign has an audience file.") }
        try AuditLog.record(c, "campaign.audience_exported", target: ("campaign", id), details: ["name": row.json("name")])
        var csv = CSVWriter.line(["email", "phone"])
        for r in try c.db.query("""
            SELECT cu.email, cu.phone FROM campaign_messages m JOIN customers cu ON cu.id = m.customer_id AND cu.tenant_id = m.tenant_id
            WHERE m.tenant_id = \(c.tenant) AND m.campaign_id = \(id) ORDER BY m.id
            """) {
            let email = r.optionalString("email").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            let phone = normalizedPhone(r.optionalString("phone") ?? "")
            csv += CSVWriter.line([email.isEmpty ? "" : Digest.sha256(email).hexString, phone.isEmpty ? "" : Digest.sha256(phone).hexString])
        }
        return Response(status: 200, headers: CSVWriter.headers(filename: "campaign-\(id)-audience.csv"), body: Array(csv.utf8))
    }

    /// Digits only with the country code, as ad platforms hash them ("+385 91 234-5678" → "385912345678").
    static func normalizedPhone(_ raw: String) -> String {
        var digits = raw.filter(\.isASCII).filter(\.isNumber)
        if raw.trimmingCharacters(in: .whitespaces).hasPrefix("00") { digits = String(digits.dropFirst(2)) }
        return digits
    }

    @Sendable static func audienceSize(_ c: Context) throws -> Response {
        guard let segment = c.request.query["segment_id"].flatMap(Int.init) else {
            throw HTTPError.invalid("segment_id", "The segment id must be a positive integer.")
        }
        let type = c.request.query["type"].flatMap { types.contains($0) ? $0 : nil } ?? "email"
        let members = try c.db.queryOne("SELECT COUNT(*) AS n FROM segment_members WHERE tenant_id = \(c.tenant) AND segment_id = \(segment)")?.int("n") ?? 0
        return .json(["segment_id": .int(segment), "members": .int(members),
                      "reachable": .int(try CampaignStore.audienceSize(c.db, c.tenant, segment: segment, type: type))])
    }

    /// The workspace's segments with their member counts, for the editor's picker (the
    /// segments themselves are managed under /v1/segments).
    @Sendable static func segments(_ c: Context) throws -> Response {
        let rows = try c.db.query("""
            SELECT s.id, s.name, (SELECT COUNT(*) FROM segment_members m WHERE m.segment_id = s.id AND m.tenant_id = s.tenant_id) AS members
            FROM segments s WHERE s.tenant_id = \(c.tenant) ORDER BY s.name LIMIT 1000
            """)
        return .json(["data": .array(rows.map { $0.json(["id", "name", "members"]) })])
    }
}
