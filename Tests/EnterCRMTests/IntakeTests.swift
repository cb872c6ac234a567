import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web

/// Issue 20, what comes in: publishable keys only append (identify fills only what is empty,
/// browser purchases count only where the workspace says so), JSON endpoints take only JSON,
/// single-line fields refuse control characters, customer properties have limits.
@Suite struct IntakeTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    func key(_ owner: String, type: String = "secret") -> String {
        client.send("POST", "/v1/api-keys", ["name": "k", "type": .string(type)], token: owner)["key"]!.stringValue!
    }

    // MARK: Publishable keys

    @Test func aPublishableIdentifyCannotRewriteAnIdentifiedCustomer() throws {
        let owner = client.register()
        let pub = key(owner.token, type: "publishable"), secret = key(owner.token)
        let made = client.send("POST", "/v1/customers", ["name": "Ana Kovač", "email": "ana@shop.example", "phone": "+385 91 123",
                                                        "properties": ["plan": "gold", "vip": true]], token: owner.token)
        let id = made["id"]!.intValue!
        // The attack: the browser names the customer's email and sends other traits.
        let r = client.send("POST", "/v1/track/identify", ["email": "ana@shop.example", "anonymous_id": "evil-1", "traits": [
            "name": "Mallory", "phone": "+1 555 0000", "city": "Zagreb",
            "properties": ["plan": "free", "vip": nil, "referrer": "ad"]]], key: pub)
        #expect(r.status == 200 && r["customer_id"]?.intValue == id)
        let p = client.send("GET", "/v1/customers/\(id)", token: owner.token)
        #expect(p["name"] == "Ana Kovač" && p["email"] == "ana@shop.example" && p["phone"] == "+385 91 123")
        // Only what was empty is filled: the city, and a property whose key was absent.
        #expect(p["city"] == "Zagreb")
        #expect(p["properties"] == ["plan": "gold", "vip": true, "referrer": "ad"])
        // The secret key keeps full rights.
        let s = client.send("POST", "/v1/track/identify", ["email": "ana@shop.example", "traits": [
            "name": "Ana K.", "properties": ["plan": "silver", "vip": nil]]], key: secret)
        #expect(s.status == 200)
        let q = client.send("GET", "/v1/customers/\(id)", token: owner.token)
        #expect(q["name"] == "Ana K." && q["properties"] == ["plan": "silver", "referrer": "ad"])
        // A new customer made by a browser takes the traits: every field was empty.
        let fresh = client.send("POST", "/v1/track/identify", ["email": "new@shop.example", "traits": ["name": "New Visitor"]], key: pub)
        #expect(client.send("GET", "/v1/customers/\(fresh["customer_id"]!.intValue!)", token: owner.token)["name"] == "New Visitor")
    }

    @Test func browserPurchasesCountOnlyWhereTheWorkspaceSaysSo() throws {
        let owner = client.register()
        let pub = key(owner.token, type: "publishable"), secret = key(owner.token)
        func purchase(_ k: String, _ email: String, _ amount: Int, batch: Bool = false) {
            let event: JSON = ["customer_email": .string(email), "event": "purchase", "properties": ["amount": .int(amount), "currency": "EUR"]]
            let r = batch ? client.send("POST", "/v1/track/batch", ["events": [event]], key: k)
                          : client.send("POST", "/v1/track/event", event, key: k)
            #expect(r.status == 200, "\(r.body)")
        }
        func customer(_ email: String) -> JSON {
            client.send("GET", "/v1/customers", token: owner.token, query: "email=\(email)")["data"]!.arrayValue![0]
        }
        #expect(client.send("GET", "/v1/workspace", token: owner.token)["count_browser_revenue"] == false)
        // The attack: a browser reports purchases of an existing customer and of a new one.
        client.send("POST", "/v1/customers", ["email": "buyer@shop.example"], token: owner.token)
        purchase(pub, "buyer@shop.example", 500)
        purchase(pub, "buyer@shop.example", 700, batch: true)
        purchase(pub, "ghost@shop.example", 900)
        var buyer = customer("buyer@shop.example")
        #expect(buyer["clv_total"] == .double(0) && buyer["clv_order_count"] == 0 && buyer["events_count"] == 2)
        #expect(customer("ghost@shop.example")["clv_total"] == .double(0))
        // Stored all the same: the timeline shows them with their amounts.
        let timeline = client.send("GET", "/v1/customers/\(buyer["id"]!.intValue!)/events", token: owner.token)["data"]!.arrayValue!
        #expect(timeline.filter { $0["event"] == "purchase" }.compactMap { $0["properties"]?["amount"]?.intValue }.sorted() == [500, 700])
        // The secret key always counts.
        purchase(secret, "buyer@shop.example", 100)
        buyer = customer("buyer@shop.example")
        #expect(buyer["clv_total"] == .double(100) && buyer["clv_order_count"] == 1)
        // Turned on by an owner, browser purchases count.
        let on = client.send("PUT", "/v1/workspace", ["count_browser_revenue": true], token: owner.token)
        #expect(on.status == 200 && on["count_browser_revenue"] == true)
        purchase(pub, "buyer@shop.example", 40)
        purchase(pub, "buyer@shop.example", 60, batch: true)
        buyer = customer("buyer@shop.example")
        #expect(buyer["clv_total"] == .double(200) && buyer["clv_order_count"] == 3)
        // The change is in the audit log, with the workspace's name unchanged.
        let audit = try client.db.query("""
            SELECT action, details FROM audit_log WHERE tenant_id = \(owner.tenantID) AND action = 'settings.changed'
            """)
        #expect(audit.count == 1)
        #expect(try audit.first?.string("details").contains("count_browser_revenue") == true)
        #expect(client.send("GET", "/v1/workspace", token: owner.token)["name"] != .null)
        // A setting that does not change is not logged again; a bad value names the field.
        #expect(client.send("PUT", "/v1/workspace", ["count_browser_revenue": true], token: owner.token).status == 200)
        #expect(try client.db.query("SELECT id FROM audit_log WHERE tenant_id = \(owner.tenantID) AND action = 'settings.changed'").count == 1)
        let bad = client.send("PUT", "/v1/workspace", ["count_browser_revenue": "yes"], token: owner.token)
        #expect(bad.status == 422 && bad["errors"]?["count_browser_revenue"] != nil)
        // Nothing given changes nothing; a name given must be one.
        let name = client.send("GET", "/v1/workspace", token: owner.token)["name"]
        #expect(client.send("PUT", "/v1/workspace", [:], token: owner.token)["name"] == name)
        #expect(client.send("PUT", "/v1/workspace", ["name": ""], token: owner.token)["errors"]?["name"] != nil)
        // null is no value for a setting without one (the schema says string, boolean, integer;
        // it was taken as "unchanged" with 200): 422 naming the field, nothing changed.
        for field in ["count_browser_revenue", "audit_retention_days", "name"] {
            let r = client.send("PUT", "/v1/workspace", [field: .null], token: owner.token)
            #expect(r.status == 422 && r["errors"]?[field] != nil, "\(field): \(r.status) \(r.body)")
        }
        let after = client.send("GET", "/v1/workspace", token: owner.token)
        #expect(after["count_browser_revenue"] == true && after["audit_retention_days"] == 365 && after["name"] == name)
    }

    // MARK: Content-Type

    @Test func jsonEndpointsRefuseOtherContentTypes() throws {
        let owner = client.register()
        let pub = key(owner.token, type: "publishable")
        let body: JSON = ["name": "Typed", "email": "typed@shop.example"]
        for type in ["text/html", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"] {
            let r = client.send("POST", "/v1/customers", body, token: owner.token, headers: ["content-type": type])
            #expect(r.status == 415, "\(type): \(r.body)")
            #expect(r["errors"]?["content_type"] != nil && r["message"]?.stringValue?.contains("application/json") == true)
        }
        // No Content-Type at all, with a body: refused too.
        let bare = Request(method: "POST", path: "/v1/customers", headers: ["authorization": "Bearer \(owner.token)"],
                           body: JSONWriter.bytes(body))
        let response = ErrorResponses.run(bare) { try client.app.handle(bare, state: client.db).settled() }
        #expect(response.status == 415)
        #expect(client.send("GET", "/v1/customers", token: owner.token)["meta"]?["total"] == 0)
        // JSON under its other spellings is JSON.
        for type in ["application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"] {
            #expect(client.send("POST", "/v1/echo", ["name": "x"], headers: ["content-type": type]).status == 200, "\(type)")
        }
        // The tracking endpoints take text/plain (sendBeacon), and still refuse HTML.
        let beacon = client.send("POST", "/v1/track/pageview", ["anonymous_id": "b", "url": "https://shop.example/"], key: pub,
                                 headers: ["content-type": "text/plain;charset=UTF-8"])
        #expect(beacon.status == 200, "\(beacon.body)")
        let html = client.send("POST", "/v1/track/event", ["anonymous_id": "b", "event": "x"], key: pub, headers: ["content-type": "text/html"])
        #expect(html.status == 415 && html["message"]?.stringValue?.contains("text/plain") == true)
        // Requests without a body are not concerned.
        #expect(client.send("GET", "/v1/workspace", token: owner.token).status == 200)
    }

    // MARK: Control characters

    @Test func singleLineFieldsRefuseControlCharacters() {
        for bad in ["a\u{0}b", "a\nb", "a\rb", "a\tb", "a\u{1B}[31mb", "a\u{7F}b", "a\u{85}b", "a\u{9F}b", "a\u{2028}b",
                    "a\u{202E}gpj.exe", "a\u{2066}b"] {
            #expect(Input.controlCharacterProblem(bad) != nil, "\(bad.unicodeScalars.map { $0.value })")
        }
        for good in ["Ana Kovač", "日本語 ✓ 🚀", "عربي", "a\u{200F}b", "Ω ≠ ∞", "\u{A0}x\u{A0}"] {
            #expect(Input.controlCharacterProblem(good) == nil, "\(good)")
        }
        #expect(Input.controlCharacterProblem("line one\nline two\r\n\tindented", .multi) == nil)
        #expect(Input.controlCharacterProblem("a\u{0}b", .multi) != nil)
        #expect(Input.controlCharacterProblem("a\u{1B}b", .multi) != nil)
    }

    @Test func namesWithControlCharactersAre422NamingTheField() throws {
        let owner = client.register()
        let customer = client.send("POST", "/v1/customers", ["name": "Eve\r\nBcc: victim@evil.example", "email": "eve@shop.example"], token: owner.token)
        #expect(customer.status == 422 && customer["errors"]?["name"] != nil)
        let nul = client.send("POST", "/v1/customers", ["name": "Eve\u{0}", "email": "eve@shop.example"], token: owner.token)
        #expect(nul.status == 422 && nul["errors"]?["name"] != nil)
        #expect(client.send("GET", "/v1/customers", token: owner.token)["meta"]?["total"] == 0)
        let segment = client.send("POST", "/v1/segments", ["name": "VIP\u{202E}", "filters": [:]], token: owner.token)
        #expect(segment.status == 422 && segment["errors"]?["name"] != nil)
        let workspace = client.send("PUT", "/v1/workspace", ["name": "Acme\nInc"], token: owner.token)
        #expect(workspace.status == 422 && workspace["errors"]?["name"] != nil)
        // A description is multi-line.
        let described = client.send("POST", "/v1/segments", ["name": "VIP", "description": "Line one\nLine two", "filters": [:]], token: owner.token)
        #expect(described.status == 201, "\(described.body)")
        // Trailing whitespace is trimmed, not refused.
        #expect(client.send("POST", "/v1/customers", ["name": "Ana\n", "email": "ana@shop.example"], token: owner.token)["name"] == "Ana")
    }

    // MARK: Property limits

    @Test func customerPropertiesHaveLimits() throws {
        let owner = client.register()
        let pub = key(owner.token, type: "publishable")
        let big = String(repeating: "x", count: 9 * 1024)
        var created = client.send("POST", "/v1/customers", ["email": "p@shop.example", "properties": ["notes": .string(big)]], token: owner.token)
        #expect(created.status == 422 && created["errors"]?["properties.notes"] != nil, "\(created.body)")
        var many = JSONObject()
        for i in 0..<9 { many["k\(i)"] = .string(String(repeating: "y", count: 7_500)) }
        created = client.send("POST", "/v1/customers", ["email": "p@shop.example", "properties": .object(many)], token: owner.token)
        #expect(created.status == 422 && created["errors"]?["properties"] != nil, "\(created.body)")
        #expect(client.send("GET", "/v1/customers", token: owner.token)["meta"]?["total"] == 0)
        // Within the limits; then updates that would pass them, one value or the merged whole.
        var some = JSONObject()
        for i in 0..<5 { some["k\(i)"] = .string(String(repeating: "y", count: 7_500)) }
        created = client.send("POST", "/v1/customers", ["email": "p@shop.example", "properties": .object(some)], token: owner.token)
        #expect(created.status == 201)
        let id = created["id"]!.intValue!
        var update = client.send("PATCH", "/v1/customers/\(id)", ["properties": ["notes": .string(big)]], token: owner.token)
        #expect(update.status == 422 && update["errors"]?["properties.notes"] != nil)
        var more = JSONObject()
        for i in 5..<9 { more["k\(i)"] = .string(String(repeating: "z", count: 7_500)) }
        update = client.send("PATCH", "/v1/customers/\(id)", ["properties": .object(more)], token: owner.token)
        #expect(update.status == 422 && update["errors"]?["properties"] != nil, "\(update.body)")
        #expect(client.send("GET", "/v1/customers/\(id)", token: owner.token)["properties"]?.objectValue?.count == 5)
        // Identify: the same limits, named under traits.
        let identify = client.send("POST", "/v1/track/identify", ["email": "q@shop.example", "traits": ["properties": ["bio": .string(big)]]], key: pub)
        #expect(identify.status == 422 && identify["errors"]?["traits.properties.bio"] != nil, "\(identify.body)")
        let merged = client.send("POST", "/v1/track/identify", ["email": "p@shop.example", "traits": ["properties": .object(more)]],
                                 key: key(owner.token))
        #expect(merged.status == 422 && merged["errors"]?["traits.properties"] != nil, "\(merged.body)")
    }
}
