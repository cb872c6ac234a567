@testable import EnterCRM
import Foundation
import MariaDB
import Outbound
import Testing
import TestSupport
import Web
@testable import Core
@testable import Messaging
@testable import Campaigns

/// A transport that records what it is given and answers per address.
final class RecordingTransport: MailTransport {
    var sent: [(to: String, data: String)] = []
    var answers: [String: SendOutcome] = [:]
    /// Called before each message; a test may stop the delivery there (a "crash").
    var before: (String) throws -> Void = { _ in }
    struct Crash: Error {}

    func send(from: String, to: String, data: [UInt8]) -> SendOutcome {
        let outcome = answers[to] ?? .sent("250 ok")
        if case .sent = outcome { sent.append((to, String(decoding: data, as: UTF8.self))) }
        return outcome
    }

    func close() {}
}

@Suite struct CampaignTests {
    let client: TestClient
    let links = CampaignLinks(base: "https://crm.example", secret: Array("test-secret-test-secret-test-secret!".utf8))

    init() throws { client = try TestClient() }

    /// A workspace with a segment of `emails` (nil: a customer without an address).
    func workspace(_ emails: [String?]) throws -> (token: String, tenant: Tenant, segment: Int, customers: [Int]) {
        let w = client.register()
        let tenant = Tenant(id: w.tenantID)
        let segment = try client.db.execute("""
            INSERT INTO segments (tenant_id, name, created_at, updated_at) VALUES (\(tenant), 'Champions', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        var ids: [Int] = []
        for (i, email) in emails.enumerated() {
            let id = try client.db.execute("""
                INSERT INTO customers (tenant_id, name, email, city, properties, created_at, updated_at)
                VALUES (\(tenant), \("Customer \(i)"), \(email), 'Zagreb', '{"plan":"gold"}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
            try client.db.execute("""
                INSERT INTO segment_members (segment_id, customer_id, tenant_id, added_at) VALUES (\(segment), \(id), \(tenant), UTC_TIMESTAMP(6))
                """)
            ids.append(id)
        }
        return (w.token, tenant, segment, ids)
    }

    func create(_ token: String, segment: Int, body: String = "<h1>Hi {{name}}</h1><p><a href=\"https://shop.example/spring?a=1&amp;b=2\">Shop</a></p>",
                subject: String = "Spring for {{name}}") -> Int {
        let r = client.send("POST", "/v1/campaigns", ["name": "Spring Sale", "type": "email", "segment_id": .int(segment),
                                                      "subject": .string(subject), "body": .string(body)], token: token)
        precondition(r.status == 201, r.body)
        return r["id"]!.intValue!
    }

    func messages(_ campaign: Int) throws -> [Row] {
        try client.db.query("SELECT * FROM campaign_messages WHERE campaign_id = \(campaign) ORDER BY id")
    }

    @Test func createUpdateDeleteAndStates() throws {
        let w = try workspace(["a@x.io"])
        let future = RFC3339.format(Date().addingTimeInterval(3600))
        let r = client.send("POST", "/v1/campaigns", ["name": "Spring Sale", "type": "email", "segment_id": .int(w.segment),
                                                      "subject": "Offer", "body": "<p>x</p>", "scheduled_at": .string(future)], token: w.token)
        #expect(r.status == 201)
        #expect(r["status"] == "scheduled")
        #expect(r["segment_id"]?.intValue == w.segment)
        let id = r["id"]!.intValue!
        // A scheduled start is queued as a job at its time.
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'campaigns.start' AND tenant_id = \(w.tenant)")?.int("n") == 1)
        let draft = client.send("PUT", "/v1/campaigns/\(id)", ["scheduled_at": .null, "subject": "New"], token: w.token)
        #expect(draft["status"] == "draft")
        #expect(draft["subject"] == "New")
        #expect(client.send("POST", "/v1/campaigns", ["name": "x", "type": "fax"], token: w.token).status == 422)
        #expect(client.send("POST", "/v1/campaigns", ["name": "x", "segment_id": 999999999], token: w.token).status == 422)
        #expect(client.send("POST", "/v1/campaigns", ["name": "x", "scheduled_at": "2001-01-01T00:00:00Z"], token: w.token).status == 422)
        let list = client.send("GET", "/v1/campaigns", token: w.token)
        #expect(list["meta"]?["total"] == 1)
        #expect(list["data"]?.arrayValue?.first?["open_rate"] == .double(0))
        // Another workspace sees nothing.
        let other = client.register()
        #expect(client.send("GET", "/v1/campaigns/\(id)", token: other.token).status == 404)
        #expect(client.send("DELETE", "/v1/campaigns/\(id)", token: other.token).status == 404)
        #expect(client.send("POST", "/v1/campaigns/\(id)/cancel", token: w.token).status == 409)
        #expect(client.send("DELETE", "/v1/campaigns/\(id)", token: w.token).status == 200)
        #expect(client.send("GET", "/v1/campaigns/\(id)", token: w.token).status == 404)
    }

    /// Cancelling a campaign while it sends ends the messages still waiting: they are
    /// 'cancelled', never sent, and a delivery run afterwards sends nothing.
    @Test func cancellingWhileSendingEndsTheWaitingMessages() throws {
        let w = try workspace(["one@x.io", "two@x.io", "three@x.io"])
        let id = create(w.token, segment: w.segment)
        #expect(client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)["queued_messages"] == 3)
        let cancelled = client.send("POST", "/v1/campaigns/\(id)/cancel", token: w.token)
        #expect(cancelled.status == 200)
        #expect(cancelled["status"] == "cancelled")
        let statuses = try client.db.query("SELECT status FROM campaign_messages WHERE campaign_id = \(id)").map { try $0.string("status") }
        #expect(statuses == ["cancelled", "cancelled", "cancelled"])
        let transport = RecordingTransport()
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, makeTransport: { _ in transport })
        #expect(transport.sent.isEmpty)
        #expect(client.send("GET", "/v1/campaigns/\(id)", token: w.token)["status"] == "cancelled")
    }

    @Test func sendFreezesTheAudienceAndDeliversOncePerRecipient() throws {
        let w = try workspace(["ana@x.io", nil, "ivan@x.io", "gone@x.io"])
        try client.db.execute("""
            INSERT INTO campaign_unsubscribes (tenant_id, customer_id, channel, created_at) VALUES (\(w.tenant), \(w.customers[3]), 'email', UTC_TIMESTAMP(6))
            """)
        let id = create(w.token, segment: w.segment)
        let r = client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)
        #expect(r.status == 200)
        #expect(r["campaign_id"]?.intValue == id)
        #expect(r["status"] == "sending")
        #expect(r["queued_messages"] == 2)
        #expect(r["message"] == "Campaign is being sent to 2 customers.")
        // A member added later is not in the frozen audience.
        let late = try client.db.execute("""
            INSERT INTO customers (tenant_id, email, properties, created_at, updated_at) VALUES (\(w.tenant), 'late@x.io', '{}', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        try client.db.execute("INSERT INTO segment_members VALUES (\(w.segment), \(late), \(w.tenant), UTC_TIMESTAMP(6))")
        #expect(client.send("POST", "/v1/campaigns/\(id)/send", token: w.token).status == 409)

        let transport = RecordingTransport()
        transport.answers["ivan@x.io"] = .permanent("550 no such user")
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, makeTransport: { _ in transport })
        #expect(transport.sent.map(\.to) == ["ana@x.io"])
        let detail = client.send("GET", "/v1/campaigns/\(id)", token: w.token)
        #expect(detail["status"] == "sent")
        #expect(detail["total_sent"] == 1)
        #expect(detail["total_bounced"] == 1)
        #expect(detail["segment"]?["name"] == "Champions")
        let statuses = detail["messages"]?.arrayValue?.compactMap { $0["status"]?.stringValue }
        #expect(statuses == ["sent", "bounced"])
        // Running the delivery again sends nothing more.
        try client.db.execute("UPDATE campaigns SET status = 'sending' WHERE id = \(id)")
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, makeTransport: { _ in transport })
        #expect(transport.sent.count == 1)
    }

    /// One campaign of a workspace sends at a time across runners on any database node: the
    /// send lease is a replicated row (GET_LOCK was local to one server), held until it runs out.
    @Test func aWorkspaceSendsOneCampaignAtATimeWhateverTheNode() throws {
        let w = try workspace(["a@x.io", "b@x.io"])
        let id = create(w.token, segment: w.segment)
        #expect(client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)["queued_messages"] == 2)
        // Another runner (on another node, say) holds the workspace's lease.
        #expect(try CampaignDelivery.acquireLease(client.db, w.tenant, owner: "runner-elsewhere"))
        #expect(try !CampaignDelivery.acquireLease(client.db, w.tenant, owner: "a-third-runner"))
        let transport = RecordingTransport()
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, makeTransport: { _ in transport })
        #expect(transport.sent.isEmpty)
        #expect(try messages(id).allSatisfy { try $0.string("status") == "queued" })
        // That runner died: once its lease has run out, the delivery goes ahead and lets it go.
        try client.db.execute("UPDATE campaign_send_leases SET locked_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE tenant_id = \(w.tenant)")
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, makeTransport: { _ in transport })
        #expect(transport.sent.map(\.to).sorted() == ["a@x.io", "b@x.io"])
        #expect(try client.db.queryOne("SELECT owner FROM campaign_send_leases WHERE tenant_id = \(w.tenant)")?.optionalString("owner") == nil)
    }

    @Test func aMessageInFlightAtACrashIsNotSentAgain() throws {
        let w = try workspace(["a@x.io", "b@x.io", "c@x.io"])
        let id = create(w.token, segment: w.segment)
        #expect(client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)["queued_messages"] == 3)
        let rows = try messages(id)
        // As a runner that died between "sending" and the relay's answer leaves it.
        try client.db.execute("UPDATE campaign_messages SET status = 'sending', attempts = 1 WHERE id = \(try rows[1].int("id"))")
        let transport = RecordingTransport()
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, makeTransport: { _ in transport })
        #expect(transport.sent.map(\.to) == ["a@x.io", "c@x.io"])
        let after = try messages(id)
        #expect(try after[1].string("status") == "failed")
        #expect(after[1].optionalString("error")?.contains("interrupted") == true)
        let detail = client.send("GET", "/v1/campaigns/\(id)", token: w.token)
        #expect(detail["total_interrupted"] == 1)
        #expect(detail["status"] == "sent")
    }

    @Test func temporaryRefusalsAreRetriedThenBounce() throws {
        let w = try workspace(["slow@x.io", "lost@x.io"])
        let id = create(w.token, segment: w.segment)
        _ = client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)
        let transport = RecordingTransport()
        transport.answers["slow@x.io"] = .temporary("451 try later")
        transport.answers["lost@x.io"] = .unknown("connection reset after the data")
        // A retry base of 0: each retry is due at once, so one run goes through all attempts.
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, retryBase: 0, makeTransport: { _ in transport })
        let rows = try messages(id)
        #expect(try rows[0].string("status") == "bounced")
        #expect(try rows[0].int("attempts") == CampaignDelivery.maxMessageAttempts)
        #expect(try rows[1].string("status") == "failed")
        #expect(try rows[1].int("attempts") == 1)
        // Nobody could be reached: the campaign failed.
        #expect(client.send("GET", "/v1/campaigns/\(id)", token: w.token)["status"] == "failed")
    }

    @Test func aRetryLaterThanNowIsQueuedAsAJob() throws {
        let w = try workspace(["slow@x.io"])
        let id = create(w.token, segment: w.segment)
        _ = client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)
        let transport = RecordingTransport()
        transport.answers["slow@x.io"] = .temporary("421 busy")
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, retryBase: 60, makeTransport: { _ in transport })
        let row = try messages(id)[0]
        #expect(try row.string("status") == "queued")
        #expect(try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM jobs WHERE kind = 'campaigns.deliver' AND tenant_id = \(w.tenant) AND run_at > UTC_TIMESTAMP(6) + INTERVAL 30 SECOND
            """)?.int("n") == 1)
        #expect(client.send("GET", "/v1/campaigns/\(id)", token: w.token)["status"] == "sending")
    }

    @Test func mimeMergeTagsAndHeaders() throws {
        let w = try workspace(["ana@x.io"])
        try client.db.execute("UPDATE customers SET name = '<b>Ana & Čedo</b>' WHERE id = \(w.customers[0])")
        // A subject with a line break is refused at the door (a single-line field)...
        let refused = client.send("POST", "/v1/campaigns", ["name": "Spring Sale", "type": "email", "segment_id": .int(w.segment),
                                                            "subject": "Proljeće {{name}}\r\nBcc: evil@x.io", "body": "<p>x</p>"], token: w.token)
        #expect(refused.status == 422 && refused["errors"]?["subject"] != nil)
        // ...and one already stored (written before the rule) still cannot add a header.
        let id = create(w.token, segment: w.segment, body: "<p>Hello {{name}} from {{city}}, plan {{plan}}, {{missing|friend}}</p>",
                        subject: "Proljeće {{name}}")
        try client.db.execute("UPDATE campaigns SET subject = 'Proljeće {{name}}\r\nBcc: evil@x.io' WHERE id = \(id)")
        _ = client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)
        let transport = RecordingTransport()
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, makeTransport: { _ in transport })
        let raw = try #require(transport.sent.first?.data)
        let head = String(raw[..<raw.range(of: "\r\n\r\n")!.lowerBound])
        #expect(!head.contains("\r\nBcc:"))
        #expect(head.contains("Subject: =?UTF-8?B?"))
        #expect(head.contains("List-Unsubscribe: <https://crm.example/t/u/"))
        #expect(head.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        #expect(head.contains("Message-ID: <c\(id)."))
        #expect(head.contains("multipart/alternative"))
        let message = try #require(try messages(id).first)
        let values = TemplateValues(row: try client.db.queryOne("SELECT * FROM customers WHERE id = \(w.customers[0])"))
        let campaign = try #require(try CampaignStore.find(client.db, w.tenant, id: id))
        let mail = CampaignDelivery.compose(campaign: campaign, to: "ana@x.io", values: values, token: try message.string("token"),
                                            links: links, settings: try MailSettings.load(client.db, w.tenant))
        #expect(mail.html.contains("Hello &lt;b&gt;Ana &amp; Čedo&lt;/b&gt; from Zagreb, plan gold, friend"))
        #expect(mail.html.contains("/t/o/\(try message.string("token")).gif"))
        #expect(mail.text.contains("Hello <b>Ana & Čedo</b> from Zagreb"))
        #expect(!mail.subject.contains("\n"))
    }

    @Test func opensClicksScannersAndUnsubscribes() throws {
        let w = try workspace(["ana@x.io"])
        let id = create(w.token, segment: w.segment)
        _ = client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)
        try CampaignDelivery.deliver(client.db, w.tenant, campaign: id, links: links, makeTransport: { _ in RecordingTransport() })
        // As if delivered a minute ago, so that a click now is not a scanner's by its timing.
        try client.db.execute("UPDATE campaign_messages SET sent_at = UTC_TIMESTAMP(6) - INTERVAL 60 SECOND WHERE campaign_id = \(id)")
        let token = try messages(id)[0].string("token")
        let browser = ["user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"]
        let pixel = client.send("GET", "/t/o/\(token).gif", headers: browser)
        #expect(pixel.status == 200)
        #expect(pixel.response.header("Content-Type") == "image/gif")
        _ = client.send("GET", "/t/o/\(token).gif", headers: ["user-agent": "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"])
        // A scanner's click counts for nothing, and its GET of the unsubscribe link unsubscribes nobody.
        let appLinks = CampaignLinks(base: "https://crm.example", secret: Array("test-secret-test-secret-test-secret!".utf8))
        let url = "https://shop.example/spring?a=1&b=2"
        let signed = appLinks.click(token, url)
        let query = String(signed.split(separator: "?", maxSplits: 1)[1])
        let scanner = client.send("GET", "/t/c/\(token)", headers: ["user-agent": "python-requests/2.31"], query: query)
        #expect(scanner.status == 302)
        #expect(client.send("GET", "/t/u/\(token)", headers: ["user-agent": "Mimecast"]).body.contains("<form method=\"post\""))
        var row = try messages(id)[0]
        #expect(try row.string("status") == "opened")
        #expect(row.optionalDate("clicked_at") == nil)
        #expect(row.optionalDate("unsubscribed_at") == nil)
        // A person's click.
        let click = client.send("GET", "/t/c/\(token)", headers: browser, query: query)
        #expect(click.status == 302)
        #expect(click.response.header("Location") == url)
        // A destination that is not the signed one is refused: no open redirect.
        let forged = query.replacingOccurrences(of: "shop.example", with: "evil.example")
        #expect(client.send("GET", "/t/c/\(token)", headers: browser, query: forged).status == 404)
        row = try messages(id)[0]
        #expect(try row.string("status") == "clicked")
        #expect(row.optionalDate("human_clicked_at") != nil)
        let detail = client.send("GET", "/v1/campaigns/\(id)", token: w.token)
        #expect(detail["open_rate"] == .double(100))
        #expect(detail["click_rate"] == .double(100))
        #expect(detail["human_open_rate"] == .double(100))
        // The timeline has one event per kind (repeats are not stored twice).
        let events = try client.db.query("""
            SELECT name, properties FROM events WHERE tenant_id = \(w.tenant) AND customer_id = \(w.customers[0]) ORDER BY id
            """).map { try $0.string("name") }
        #expect(events == ["email_opened", "email_clicked"])
        // One-click unsubscribe (RFC 8058).
        let post = client.send("POST", "/t/u/\(token)", headers: ["content-type": "application/x-www-form-urlencoded"])
        #expect(post.status == 200)
        #expect(try messages(id)[0].string("status") == "unsubscribed")
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM campaign_unsubscribes WHERE customer_id = \(w.customers[0])")?.int("n") == 1)
        #expect(client.send("GET", "/v1/campaigns/\(id)", token: w.token)["total_unsubscribed"] == 1)
        // The next campaign leaves them out.
        let next = create(w.token, segment: w.segment)
        #expect(client.send("POST", "/v1/campaigns/\(next)/send", token: w.token)["queued_messages"] == 0)
    }

    @Test func ratesArePercentagesOfDeliveredWithOneDecimal() {
        var s = CampaignStats()
        s.delivered = 1240
        #expect(s.rate(682) == 55.0)
        #expect(s.rate(213) == 17.2)
    }

    @Test func userAgentClassification() {
        #expect(EngagementRoutes.classify(userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/120", kind: .click, secondsSinceDelivery: 600) == "human")
        #expect(EngagementRoutes.classify(userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/120", kind: .click, secondsSinceDelivery: 2) == "scanner")
        #expect(EngagementRoutes.classify(userAgent: "Mozilla/5.0 (via ggpht.com GoogleImageProxy)", kind: .open, secondsSinceDelivery: 1) == "proxy")
        #expect(EngagementRoutes.classify(userAgent: "Barracuda Sentinel", kind: .click, secondsSinceDelivery: 600) == "scanner")
        #expect(EngagementRoutes.classify(userAgent: nil, kind: .open, secondsSinceDelivery: nil) == "scanner")
    }

    @Test func scheduledCampaignStartsAtItsTime() throws {
        let w = try workspace(["a@x.io"])
        let at = Date().addingTimeInterval(3600)
        let r = client.send("POST", "/v1/campaigns", ["name": "Later", "segment_id": .int(w.segment), "subject": "s", "body": "<p>b</p>",
                                                      "scheduled_at": .string(RFC3339.format(at))], token: w.token)
        let id = r["id"]!.intValue!
        // Not yet: nothing happens.
        try CampaignDelivery.startScheduled(client.db, w.tenant, campaign: id, planned: RFC3339.parse(RFC3339.format(at)))
        #expect(client.send("GET", "/v1/campaigns/\(id)", token: w.token)["status"] == "scheduled")
        try client.db.execute("UPDATE campaigns SET scheduled_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = \(id)")
        try CampaignDelivery.startScheduled(client.db, w.tenant, campaign: id, planned: nil)
        #expect(client.send("GET", "/v1/campaigns/\(id)", token: w.token)["status"] == "sending")
        #expect(try messages(id).count == 1)
    }

    @Test func adAudienceFileIsHashed() throws {
        let w = try workspace([" Ana@X.io "])
        try client.db.execute("UPDATE customers SET email = 'ana@x.io', phone = '+385 91 234-5678' WHERE id = \(w.customers[0])")
        let r = client.send("POST", "/v1/campaigns", ["name": "Lookalike", "type": "ad", "segment_id": .int(w.segment)], token: w.token)
        let id = r["id"]!.intValue!
        let sent = client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)
        #expect(sent["status"] == "sent")
        let file = client.send("GET", "/v1/campaigns/\(id)/audience.csv", token: w.token)
        #expect(file.status == 200)
        // sha256("ana@x.io") and sha256("385912345678")
        let lines = file.body.split(whereSeparator: \.isNewline).map(String.init)
        #expect(lines.first == "email,phone")
        #expect(lines.count == 2)
        #expect(lines[1].components(separatedBy: ",").map(\.count) == [64, 64])
    }

    @Test func lineEndsAndEncodedWords() {
        #expect(OutboundSMTP.crlf(Array("a\n.b\r\n..c".utf8)) == Array("a\r\n.b\r\n..c\r\n".utf8))
        let words = MailMessage.encodedWords(String(repeating: "č", count: 40))
        #expect(words.components(separatedBy: "\r\n ").allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") })
        #expect(MailTemplate.text(fromHTML: "<h1>Hi</h1><p>See <a href=\"https://x.io/a\">this</a></p>") == "Hi\n\nSee this (https://x.io/a)\n")
    }

    @Test func linksKeepOnlySafeSchemes() {
        let html = """
            <a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a><a href="java&#x09;script:x">c</a>\
            <a href="javascript&#58;x">d</a><a href='data:text/html,<b>'>e</a><a href="vbscript:x">f</a>\
            <a href="mailto:a@x.io">g</a><a href="#top">h</a><a href="/p?x=1:2">i</a><a href="https://x.io/a\r\nb">j</a>
            """
        let out = MailTemplate.rewriteLinks(html) { "T(\($0))" }
        let hrefs = out.components(separatedBy: "href=").dropFirst().map { String($0.dropFirst().prefix { $0 != "\"" && $0 != "'" }) }
        #expect(hrefs == ["#", "#", "#", "#", "#", "#", "mailto:a@x.io", "#top", "/p?x=1:2", "T(https://x.io/ab)"])
        #expect(MailTemplate.isSafeLink("HTTPS://x.io") && !MailTemplate.isSafeLink("&#106;avascript:x"))
    }

    @Test func testSendGoesToTheDevelopmentMailboxOfTheWorkspace() throws {
        let w = try workspace(["ana@x.io"])
        let id = create(w.token, segment: w.segment)
        let r = client.send("POST", "/v1/campaigns/\(id)/test", ["email": "me@x.io"], token: w.token)
        #expect(r.status == 200, "\(r.body)")
        let box = client.send("GET", "/v1/mailbox", token: w.token)
        let item = try #require(box["data"]?.arrayValue?.first)
        #expect(item["to"]?.stringValue?.contains("me@x.io") == true)
        let name = try #require(item["name"]?.stringValue)
        let raw = client.send("GET", "/v1/mailbox/\(name)", token: w.token)
        #expect(raw.status == 200)
        #expect(raw.body.contains("Subject: [Test] Spring for Customer 0"))
        // Another workspace sees neither the list entry nor the message: only the system mail
        // sent to its own account (its verification link).
        let other = client.register()
        let names = client.send("GET", "/v1/mailbox", token: other.token)["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(!names.contains(name) && !names.isEmpty && names.allSatisfy { $0.hasPrefix("account-\(other.userID)-") })
        #expect(client.send("GET", "/v1/mailbox/\(name)", token: other.token).status == 404)
        #expect(client.send("GET", "/v1/mailbox/..%2Fentercrm.env", token: w.token).status == 404)
    }

    @Test func erasingACustomerErasesTheirMessages() throws {
        let w = try workspace(["ana@x.io", "ivan@x.io"])
        let id = create(w.token, segment: w.segment)
        _ = client.send("POST", "/v1/campaigns/\(id)/send", token: w.token)
        #expect(client.send("DELETE", "/v1/customers/\(w.customers[0])", token: w.token).status == 200)
        #expect(try messages(id).map { try $0.string("address") } == ["ivan@x.io"])
    }

    /// The stored SMTP password and SMS signing secret go only where they were set for. A save
    /// that points the relay (host, port, STARTTLS, username) or the webhook elsewhere and leaves
    /// the secret out, as an admin or a stolen admin session would to receive it, is refused
    /// with 422 naming the secret, and nothing changes; saving the same destination keeps it.
    @Test func aStoredSecretNeverFollowsTheSettingsElsewhere() throws {
        let w = client.register()
        func put(_ body: JSON) -> TestClient.Reply { client.send("PUT", "/v1/campaigns/settings", body, token: w.token) }
        func stored() throws -> [String?] {
            let row = try #require(try client.db.queryOne("SELECT * FROM campaign_settings WHERE tenant_id = \(w.tenantID)"))
            return ["smtp_host", "smtp_port", "smtp_starttls", "smtp_username", "smtp_password", "sms_webhook_url", "sms_webhook_secret"]
                .map { row.optionalString($0) }
        }
        let relay: JSON = ["smtp_host": .string(sinkHost), "smtp_port": 2525, "smtp_starttls": false, "smtp_username": "mailer"]
        let webhook = JSON.string("http://\(sinkHost):9/sms")
        func with(_ base: JSON, _ changes: [(String, JSON)]) -> JSON {
            var o = base.objectValue!
            for (k, v) in changes { o[k] = v }
            return .object(o)
        }
        let saved = put(with(relay, [("smtp_password", "hunter2"), ("sms_webhook_url", webhook), ("sms_webhook_secret", "sms-secret")]))
        #expect(saved.status == 200 && saved["smtp_password_set"] == true && saved["sms_webhook_secret_set"] == true, "\(saved.body)")
        let original = try stored()
        #expect(original[4] == "hunter2" && original[6] == "sms-secret")

        // The same relay and URL without the secrets (as the console saves): both kept.
        let same = put(with(relay, [("sms_webhook_url", webhook), ("from_name", "Shop")]))
        #expect(same.status == 200 && same["smtp_password_set"] == true && same["sms_webhook_secret_set"] == true, "\(same.body)")
        #expect(try stored() == original)

        // Elsewhere without the password: refused, naming it; nothing saved.
        for change: (String, JSON) in [("smtp_host", "smtp.attacker.example"), ("smtp_port", 2526), ("smtp_starttls", true),
                                       ("smtp_username", "attacker")] {
            let r = put(with(relay, [change, ("sms_webhook_url", webhook)]))
            #expect(r.status == 422, "\(change.0): \(r.status) \(r.body)")
            #expect(r["errors"]?["smtp_password"]?.arrayValue?.first?.stringValue?.hasPrefix("Enter the password again") == true, "\(change.0): \(r.body)")
            #expect(r["errors"]?["sms_webhook_secret"] == nil, "\(change.0): \(r.body)")
            #expect(try stored() == original, "\(change.0)")
        }
        let moved = put(with(relay, [("sms_webhook_url", .string("http://\(sinkHost):10/sms"))]))
        #expect(moved.status == 422 && moved["errors"]?["sms_webhook_secret"] != nil && moved["errors"]?["smtp_password"] == nil, "\(moved.body)")
        #expect(try stored() == original)

        // With the secret given again, the new destination is saved with it.
        let again = put(with(relay, [("smtp_host", "smtp.example.org"), ("smtp_password", "n3w"), ("sms_webhook_url", webhook)]))
        #expect(again.status == 200, "\(again.body)")
        #expect(try stored()[0] == "smtp.example.org" && stored()[4] == "n3w" && stored()[6] == "sms-secret")

        // No relay or URL left: nothing for a secret to go to, and the stored ones are dropped
        // (a relay set later starts without them).
        let cleared = put([:])
        #expect(cleared.status == 200 && cleared["smtp_password_set"] == false && cleared["sms_webhook_secret_set"] == false, "\(cleared.body)")
        #expect(try stored()[4] == nil && stored()[6] == nil)
        let later = put(with(relay, [("smtp_host", "smtp.attacker.example")]))
        #expect(later.status == 200 && later["smtp_password_set"] == false, "\(later.body)")
    }

    /// The operator's relay account (ENTERCRM_SMTP_USERNAME / _PASSWORD) goes only to the
    /// operator's relay (ENTERCRM_SMTP_HOST): a workspace that types a host of its own, and no
    /// account, gets none, where it used to be given the operator's to send there.
    @Test func theInstanceRelayAccountNeverGoesToAWorkspaceHost() throws {
        let w = client.register()
        let tenant = Tenant(id: w.tenantID)
        let env = ["ENTERCRM_SMTP_HOST": "relay.operator.example", "ENTERCRM_SMTP_USERNAME": "operator",
                   "ENTERCRM_SMTP_PASSWORD": "operator-secret"]
        let instance = try #require(try MailSettings.load(client.db, tenant, env: env).smtp)
        #expect(instance.host == "relay.operator.example" && instance.username == "operator" && instance.password == "operator-secret")
        func put(_ body: JSON) { #expect(client.send("PUT", "/v1/campaigns/settings", body, token: w.token).status == 200) }
        put(["smtp_host": "smtp.attacker.example", "smtp_starttls": false])
        let typed = try #require(try MailSettings.load(client.db, tenant, env: env).smtp)
        #expect(typed.host == "smtp.attacker.example" && typed.username == nil && typed.password == nil, "\(typed)")
        // A workspace's own account goes with its own host.
        put(["smtp_host": "smtp.attacker.example", "smtp_username": "own", "smtp_password": "own-secret"])
        let own = try #require(try MailSettings.load(client.db, tenant, env: env).smtp)
        #expect(own.username == "own" && own.password == "own-secret")
    }
}
