@testable import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
@testable import Automations

/// The decoded base64 parts (text, then HTML) of a message from the development mailbox.
func mailParts(_ mail: String) -> [String] {
    mail.components(separatedBy: "Content-Transfer-Encoding: base64\r\n\r\n").dropFirst().map { part in
        String(decoding: Data(base64Encoded: part.components(separatedBy: "--").first!.replacingOccurrences(of: "\r\n", with: "")) ?? Data(), as: UTF8.self)
    }
}

@Suite struct EmailTemplateTests {
    static let winBack: JSON = [
        "key": "win-back-1", "name": "Win-back", "subject": "We miss you, {{first_name|friend}}",
        "body_html": "<h1>Hello {{name}}</h1><p>Plan: {{properties.plan|none}}</p><p><a href=\"{{unsubscribe_url}}\">Unsubscribe</a></p>",
    ]

    @Test func crudAndList() throws {
        let w = try AutomationWorkspace()
        let created = w.send("POST", "/v1/email-templates", Self.winBack)
        #expect(created.status == 201, "\(created.body)")
        let id = try #require(created["id"]?.intValue)
        #expect(created["key"] == "win-back-1")
        #expect(created["body_text"] == .null)
        #expect(created["used_by"] == .array([]))
        let second = w.send("POST", "/v1/email-templates", ["key": "welcome-1", "name": "Welcome", "subject": "Hi", "body_html": "<p>Hi</p>",
                                                             "body_text": "Hi"])
        #expect(second.status == 201)
        let list = w.send("GET", "/v1/email-templates", query: "sort=key&order=asc&per_page=1")
        #expect(list.status == 200, "\(list.body)")
        #expect(list["meta"]?["total"] == .int(2))
        #expect(list["data"]?.arrayValue?.count == 1)
        #expect(list["data"]?.arrayValue?.first?["body_html"] == nil, "the list leaves the bodies out")
        let shown = w.send("GET", "/v1/email-templates/\(id)")
        #expect(shown["body_html"] == Self.winBack["body_html"])
        let patched = w.send("PATCH", "/v1/email-templates/\(id)", ["subject": "Come back, {{first_name}}"])
        #expect(patched.status == 200, "\(patched.body)")
        #expect(patched["subject"] == "Come back, {{first_name}}")
        #expect(patched["name"] == "Win-back", "PATCH keeps what it does not name")
        let put = w.send("PUT", "/v1/email-templates/\(id)", ["name": "Win-back 1", "body_text": "Come back"])
        #expect(put["name"] == "Win-back 1")
        #expect(put["body_text"] == "Come back")
        let deleted = w.send("DELETE", "/v1/email-templates/\(id)")
        #expect(deleted.status == 200)
        #expect(w.send("GET", "/v1/email-templates/\(id)").status == 404)
        #expect(try w.db.queryOne("SELECT COUNT(*) AS n FROM email_templates WHERE tenant_id = \(w.tenant)")?.int("n") == 1)
    }

    /// `_` and `%` in a search match only themselves (SQL.likePattern), not any character.
    @Test func searchTakesWildcardsLiterally() throws {
        let w = try AutomationWorkspace()
        for (key, name) in [("axb", "Plain axb"), ("a-b", "Under a_b"), ("p50", "Half 50% off"), ("p5", "Five 500")] {
            #expect(w.send("POST", "/v1/email-templates", ["key": .string(key), "name": .string(name), "subject": "S", "body_html": "<p>x</p>"]).status == 201)
        }
        func found(_ search: String) -> [String] {
            let list = w.send("GET", "/v1/email-templates", query: "sort=key&order=asc&search=" + search.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            return list["data"]?.arrayValue?.compactMap { $0["key"]?.stringValue } ?? []
        }
        #expect(found("a_b") == ["a-b"])
        #expect(found("50%") == ["p50"])
        #expect(found("axb") == ["axb"])
    }

    @Test func validation() throws {
        let w = try AutomationWorkspace()
        let empty = w.send("POST", "/v1/email-templates", [:])
        #expect(empty.status == 422)
        for field in ["key", "name", "subject", "body_html"] { #expect(empty["errors"]?[field] != nil, "\(field): \(empty.body)") }
        var bad = Self.winBack.objectValue!
        bad["key"] = "Win Back!"
        let badKey = w.send("POST", "/v1/email-templates", .object(bad))
        #expect(badKey.status == 422)
        #expect(badKey["errors"]?["key"] != nil)
        bad["key"] = "win-back-1"
        bad["body_html"] = "   "
        #expect(w.send("POST", "/v1/email-templates", .object(bad))["errors"]?["body_html"] != nil)
        #expect(w.send("POST", "/v1/email-templates", Self.winBack).status == 201)
        let duplicate = w.send("POST", "/v1/email-templates", Self.winBack)
        #expect(duplicate.status == 422)
        #expect(duplicate["errors"]?["key"] != nil, "\(duplicate.body)")
        let other = w.send("POST", "/v1/email-templates", ["key": "other", "name": "Other", "subject": "S", "body_html": "<p>x</p>"])
        let id = other["id"]!.intValue!
        let rekey = w.send("PATCH", "/v1/email-templates/\(id)", ["key": "win-back-1"])
        #expect(rekey.status == 422)
        #expect(rekey["errors"]?["key"] != nil)
        #expect(w.send("PATCH", "/v1/email-templates/\(id)", ["subject": .null])["errors"]?["subject"] != nil)
        let blank = w.send("PATCH", "/v1/email-templates/\(id)", ["name": "  ", "body_html": ""])
        #expect(blank.status == 422)
        #expect(blank["errors"]?["name"] != nil && blank["errors"]?["body_html"] != nil, "\(blank.body)")
    }

    @Test func anotherWorkspacesTemplateIsNotFound() throws {
        let a = try AutomationWorkspace()
        let b = try AutomationWorkspace()
        let id = a.send("POST", "/v1/email-templates", Self.winBack)["id"]!.intValue!
        #expect(b.send("GET", "/v1/email-templates/\(id)").status == 404)
        #expect(b.send("PUT", "/v1/email-templates/\(id)", ["name": "Mine"]).status == 404)
        #expect(b.send("DELETE", "/v1/email-templates/\(id)").status == 404)
        #expect(b.send("POST", "/v1/email-templates/\(id)/preview", [:]).status == 404)
        #expect(b.send("GET", "/v1/email-templates")["meta"]?["total"] == .int(0))
        // The same key is free in another workspace.
        #expect(b.send("POST", "/v1/email-templates", Self.winBack).status == 201)
        // And a's customer cannot be previewed from b.
        let customer = a.customer(TestDatabase.unique("a") + "@example.com")
        let bID = b.send("GET", "/v1/email-templates")["data"]!.arrayValue!.first!["id"]!.intValue!
        let p = b.send("POST", "/v1/email-templates/\(bID)/preview", ["customer_id": .int(customer)])
        #expect(p.status == 422)
        #expect(p["errors"]?["customer_id"] != nil)
    }

    @Test func previewForACustomerAndASample() throws {
        let w = try AutomationWorkspace()
        let id = w.send("POST", "/v1/email-templates", Self.winBack)["id"]!.intValue!
        let customer = w.customer(TestDatabase.unique("zoe") + "@example.com", name: "Zoe <b>Quinn</b>")
        try w.db.execute("UPDATE customers SET properties = '{\"plan\":\"gold\"}' WHERE id = \(customer)")
        let p = w.send("POST", "/v1/email-templates/\(id)/preview", ["customer_id": .int(customer)])
        #expect(p.status == 200, "\(p.body)")
        #expect(p["subject"] == "We miss you, Zoe")
        let html = p["html"]?.stringValue ?? ""
        #expect(html.contains("<h1>Hello Zoe &lt;b&gt;Quinn&lt;/b&gt;</h1>"), "values are escaped: \(html)")
        #expect(html.contains("Plan: gold"))
        #expect(p["text"]?.stringValue?.contains("Hello Zoe <b>Quinn</b>") == true)
        let sample = w.send("POST", "/v1/email-templates/\(id)/preview")
        #expect(sample.status == 200, "\(sample.body)")
        #expect(sample["subject"] == "We miss you, Alex")
        #expect(sample["customer"] == .null)
        let draft = w.send("POST", "/v1/email-templates/preview", ["subject": "Hi {{first_name|you}}", "body_html": "<p>{{city}}</p>"])
        #expect(draft["subject"] == "Hi Alex")
        #expect(draft["html"] == "<p>Lisbon</p>")
    }

    /// The seed's win-back flow with the saved template: its subject and HTML rendered with
    /// the customer's merge tags, through the campaigns delivery (List-Unsubscribe kept).
    @Test func automationSendsTheTemplate() throws {
        let w = try AutomationWorkspace()
        let template = w.send("POST", "/v1/email-templates", Self.winBack)["id"]!.intValue!
        let id = w.automation("Win-Back Campaign", trigger: "customer_inactive", config: ["inactive_days": 60], nodes: [
            node("1", "trigger", ["label": "Customer Inactive"]),
            node("2", "action", ["label": "Send Email", "email_template": "win-back-1"]),
        ], edges: [edge("1", "2")])
        let quiet = w.customer(TestDatabase.unique("quiet") + "@example.com", name: "Quincy Adams")
        let now = Date()
        try w.db.execute("UPDATE customers SET last_seen_at = \(now.addingTimeInterval(-90 * 86400)), properties = '{\"plan\":\"pro\"}' WHERE id = \(quiet)")
        #expect(try AutomationTriggers.scan(w.db, tenant: w.tenant, now: now) == 1)
        try w.engine(now).runDue(w.db, tenant: w.tenant)
        let mail = try #require(w.mails().first)
        #expect(mail.contains("Subject: We miss you, Quincy\r\n"), "\(mail.prefix(800))")
        #expect(mail.contains("\r\nList-Unsubscribe: <https://crm.example/"))
        let parts = mailParts(mail)
        #expect(parts.last?.contains("<h1>Hello Quincy Adams</h1><p>Plan: pro</p>") == true, "\(parts)")
        #expect(parts.last?.contains("<a href=\"https://crm.example/") == true, "{{unsubscribe_url}} is the message's link")
        #expect(try w.enrolments(id).first?.string("state") == "completed")

        // A template an active automation sends is not deleted, nor re-keyed, under it.
        let refused = w.send("DELETE", "/v1/email-templates/\(template)")
        #expect(refused.status == 409)
        #expect(refused["message"]?.stringValue?.contains("Win-Back Campaign (\(id))") == true, "\(refused.body)")
        #expect(w.send("PATCH", "/v1/email-templates/\(template)", ["key": "win-back-2"]).status == 409)
        #expect(w.send("GET", "/v1/email-templates/\(template)")["used_by"]?.arrayValue?.first?["id"] == .int(id))
        #expect(w.send("POST", "/v1/automations/\(id)/deactivate").status == 200)
        #expect(w.send("DELETE", "/v1/email-templates/\(template)").status == 200)
        // Activating it again with the template gone: 422 naming the node.
        let activate = w.send("POST", "/v1/automations/\(id)/activate")
        #expect(activate.status == 422)
        #expect(activate["errors"]?["nodes.2"] != nil, "\(activate.body)")
    }

    /// By id (`email_template_id`); an unknown key is refused when it would run.
    @Test func templateByIDAndUnknownKeys() throws {
        let w = try AutomationWorkspace()
        let made = w.send("POST", "/v1/email-templates", Self.winBack)
        let template = try #require(made["id"]?.intValue, "\(made.body)")
        let byID = w.automation("Welcome", trigger: "customer_created", nodes: [
            node("1", "trigger", ["label": "Customer Created"]),
            node("2", "action", ["label": "Send Email", "action": "send_email", "email_template_id": .int(template)]),
        ], edges: [edge("1", "2")])
        let now = Date()
        w.customer(TestDatabase.unique("new") + "@example.com", name: "Nina Simone")
        try AutomationTriggers.intake(w.db, tenant: w.tenant, now: now, settle: 0)
        try w.engine(now).runDue(w.db, tenant: w.tenant)
        #expect(w.mails().first?.contains("Subject: We miss you, Nina\r\n") == true)
        #expect(try w.enrolments(byID).count == 1)

        // A draft may name a template that does not exist yet (the contract's example) …
        let r = w.send("POST", "/v1/automations", ["name": "Draft", "trigger_type": "customer_created"])
        let draft = r["id"]!.intValue!
        let design: JSON = ["nodes": [node("1", "trigger"), node("2", "action", ["label": "Send Email", "email_template": "nope-1"])],
                            "edges": [edge("1", "2")]]
        #expect(w.send("POST", "/v1/automations/\(draft)/design", design).status == 200)
        // … but it is not activated, and an active automation's design does not take one.
        let a = w.send("POST", "/v1/automations/\(draft)/activate")
        #expect(a.status == 422)
        #expect(a.body.contains("nope-1"), "\(a.body)")
        let active = w.send("POST", "/v1/automations/\(byID)/design", design)
        #expect(active.status == 422)
        #expect(active["errors"]?["nodes.2"] != nil)
        let created = w.send("POST", "/v1/automations", ["name": "On", "trigger_type": "customer_created", "is_active": true, "design": design])
        #expect(created.status == 422)
    }
}
