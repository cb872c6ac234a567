import EnterCRM
import FastCGI
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
import Tracking

@Suite struct CustomerTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    func key(_ owner: String, type: String = "secret") -> String {
        client.send("POST", "/v1/api-keys", ["name": "k", "type": .string(type)], token: owner)["key"]!.stringValue!
    }

    @Test func seedExamplesCreateUpdateShowList() throws {
        let owner = client.register()
        let created = client.send("POST", "/v1/customers", [
            "name": "Marko Horvatić", "email": "marko@example.com", "phone": "+385921234567", "city": "Zagreb", "country": "HR",
        ], token: owner.token)
        #expect(created.status == 201)
        #expect(Array(created.json.objectValue!.keys.prefix(7)) == ["id", "name", "email", "phone", "city", "country", "created_at"])
        #expect(created["name"] == "Marko Horvatić")
        let id = created["id"]!.intValue!

        let updated = client.send("PUT", "/v1/customers/\(id)", ["city": "Split", "phone": "+385981234567"], token: owner.token)
        #expect(updated.status == 200)
        #expect(Array(updated.json.objectValue!.keys.prefix(6)) == ["id", "name", "email", "city", "phone", "updated_at"])
        #expect(updated["city"] == "Split" && updated["name"] == "Marko Horvatić" && updated["country"] == "HR")

        let profile = client.send("GET", "/v1/customers/\(id)", token: owner.token)
        #expect(Array(profile.json.objectValue!.keys.prefix(11)) == ["id", "name", "email", "rfm_score", "rfm_segment", "clv_total",
            "clv_predicted", "clv_average_order", "clv_order_count", "events_count", "segments"])
        #expect(profile["rfm_score"] == .null && profile["clv_predicted"] == .null && profile["segments"] == [])
        #expect(profile["clv_total"] == .double(0) && profile["events_count"] == 0)
        #expect(profile.body.contains(#""clv_total":0.00,"#), "money keeps its two decimals on the wire")

        let list = client.send("GET", "/v1/customers", token: owner.token, query: "page=1&per_page=25")
        #expect(list["meta"] == ["current_page": 1, "per_page": 25, "total": 1, "last_page": 1])
        let item = try #require(list["data"]?.arrayValue?.first)
        for field in ["id", "name", "email", "phone", "rfm_score", "rfm_segment", "clv_total", "clv_predicted", "last_seen_at",
                      "created_at", "clv_average_order", "clv_order_count", "events_count", "segments"] {
            #expect(item[field] != nil, "list item lacks \(field)")
        }
    }

    /// The list's plans on a workspace large enough to take each one (CustomerStore.listPage):
    /// a few matches sorted after the filter, many matches read in the sort's index order, and
    /// a filter correlated with the sort, whose walk runs out of budget and is read again.
    /// Every page is the one the plain query (ordered by the column and the id) gives.
    @Test func filteredSortedPagesAreTheSameWhicheverPlanReadsThem() throws {
        let owner = client.register()
        let tenant = owner.tenantID
        // 30,000 customers: DE one in five (6,000) and all with events_count above the HR
        // customers' (a walk of the events_count index ascending meets 24,000 HR first);
        // Lyon one in a hundred (300); Champions with a score of 13 or more.
        try client.db.execute("""
            INSERT INTO customers (tenant_id, name, email, city, country, rfm_score, rfm_segment, clv_total, events_count,
                                   last_seen_at, created_at, updated_at)
            SELECT \(tenant), CONCAT('Name ', LPAD(CRC32(seq) % 100000, 5, '0')), CONCAT('p', seq, '@plan.example'),
                   IF(seq % 100 = 0, 'Lyon', 'Zagreb'), IF(seq % 5 = 0, 'DE', 'HR'),
                   IF(seq % 3 = 0, NULL, IF(seq % 7 = 0, 13 + seq % 3, 3 + seq % 9)), IF(seq % 7 = 0 AND seq % 3 <> 0, 'Champions', NULL),
                   (CRC32(CONCAT('v', seq)) % 100000) / 100, IF(seq % 5 = 0, 1000 + seq % 50, seq % 50),
                   '2026-01-01' + INTERVAL seq MINUTE, '2025-01-01' + INTERVAL seq MINUTE, UTC_TIMESTAMP(6)
            FROM seq_1_to_30000
            """)
        try client.db.execute("ANALYZE TABLE customers")
        let cases = [
            "country=DE&sort=events_count&order=asc",            // correlated: the walk's budget runs out
            "country=DE&sort=events_count&order=asc&page=7",
            "country=HR&sort=clv_total&order=desc&page=3",       // many matches: the sort's index
            "city=Lyon&sort=name&order=asc&page=2",              // few: filter, then sort
            "rfm_segment=Champions&sort=rfm_score&order=asc",    // few, nulls first in the index
            "rfm_segment=Champions&sort=created_at&order=desc&page=4",
            "created_after=2025-01-10T00:00:00Z&sort=last_seen_at&order=asc&page=2",
            "country=DE&city=Lyon&sort=events_count&order=desc",
            "created_after=2025-01-03T00:00:00Z&created_before=2025-01-05T00:00:00Z&sort=created_at&order=asc&page=5",
            "country=HR&sort=rfm_score&order=asc&page=2",
        ]
        let truths: [SQL] = [
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND country = 'DE' ORDER BY events_count, id LIMIT 25",
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND country = 'DE' ORDER BY events_count, id LIMIT 25 OFFSET 150",
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND country = 'HR' ORDER BY clv_total DESC, id DESC LIMIT 25 OFFSET 50",
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND city = 'Lyon' ORDER BY name, id LIMIT 25 OFFSET 25",
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND rfm_segment = 'Champions' ORDER BY rfm_score, id LIMIT 25",
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND rfm_segment = 'Champions' ORDER BY created_at DESC, id DESC LIMIT 25 OFFSET 75",
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND created_at >= '2025-01-10' ORDER BY last_seen_at, id LIMIT 25 OFFSET 25",
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND country = 'DE' AND city = 'Lyon' ORDER BY events_count DESC, id DESC LIMIT 25",
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND created_at >= '2025-01-03' AND created_at < '2025-01-05' ORDER BY created_at, id LIMIT 25 OFFSET 100",
            "SELECT id FROM customers WHERE tenant_id = \(tenant) AND country = 'HR' ORDER BY rfm_score, id LIMIT 25 OFFSET 25",
        ]
        for (query, truth) in zip(cases, truths) {
            let expected = try client.db.query(truth).map { try $0.int("id") }
            #expect(expected.count == 25, "\(query): the case needs a full page")
            let page = client.send("GET", "/v1/customers", token: owner.token, query: query)
            #expect(page.status == 200)
            let got = page["data"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            #expect(got == expected, "\(query)")
        }
    }

    @Test func emailsAreUniqueCaseInsensitivelyAfterTrimming() {
        let owner = client.register()
        #expect(client.send("POST", "/v1/customers", ["email": "  Ana.Kovac@Example.com "], token: owner.token)["email"] == "ana.kovac@example.com")
        let dup = client.send("POST", "/v1/customers", ["email": "ana.kovac@example.com"], token: owner.token)
        #expect(dup.status == 422 && dup["errors"]?["email"] != nil)
        let other = client.register()
        #expect(client.send("POST", "/v1/customers", ["email": "ana.kovac@example.com"], token: other.token).status == 201, "per workspace")
    }

    @Test func invalidInputIs422NamingFields() {
        let owner = client.register()
        let r = client.send("POST", "/v1/customers", ["email": "nope", "phone": "call me", "properties": "x", "country": .int(7)], token: owner.token)
        #expect(r.status == 422)
        #expect(Set(r["errors"]?.objectValue?.keys ?? []) == ["email", "phone", "properties", "country"])
        #expect(client.send("POST", "/v1/customers", [:], token: owner.token).status == 422)
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "sort=password").status == 422)
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "created_after=yesterday")["errors"]?["created_after"] != nil)
        #expect(client.send("GET", "/v1/customers/abc", token: owner.token).status == 404)
    }

    @Test func propertiesMergeOnUpdate() {
        let owner = client.register()
        let id = client.send("POST", "/v1/customers", ["email": "p@example.com", "properties": ["plan": "pro", "seats": 3]], token: owner.token)["id"]!.intValue!
        let r = client.send("PUT", "/v1/customers/\(id)", ["properties": ["seats": 5, "plan": nil, "vip": true]], token: owner.token)
        #expect(r["properties"] == ["seats": 5, "vip": true])
    }

    @Test func filtersSortingAndPaging() throws {
        let owner = client.register()
        let people: [(String, String, String, String)] = [
            ("Ana Kovač", "ana@example.com", "Zagreb", "HR"), ("Ivan Blažević", "ivan@example.com", "Split", "HR"),
            ("Marta Schulz", "marta@example.de", "Berlin", "DE"), ("Anastasia Petrova", "anastasia@example.com", "Zagreb", "HR"),
        ]
        for p in people {
            client.send("POST", "/v1/customers", ["name": .string(p.0), "email": .string(p.1), "city": .string(p.2), "country": .string(p.3)], token: owner.token)
        }
        func names(_ query: String) -> [String] {
            client.send("GET", "/v1/customers", token: owner.token, query: query)["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        }
        #expect(names("country=HR&sort=name&order=asc") == ["Ana Kovač", "Anastasia Petrova", "Ivan Blažević"])
        #expect(names("city=Zagreb&sort=name&order=desc") == ["Anastasia Petrova", "Ana Kovač"])
        #expect(Set(names("q=ana")) == ["Ana Kovač", "Anastasia Petrova"])
        #expect(names("q=Blaž") == ["Ivan Blažević"])
        #expect(names("q=marta@") == ["Marta Schulz"])
        #expect(names("email=IVAN@example.com") == ["Ivan Blažević"])
        let page = client.send("GET", "/v1/customers", token: owner.token, query: "per_page=3&page=2&sort=name&order=asc")
        #expect(page["meta"] == ["current_page": 2, "per_page": 3, "total": 4, "last_page": 2])
        #expect(page["data"]?.arrayValue?.count == 1)
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "per_page=1000")["meta"]?["per_page"] == 100)
        #expect(names("created_after=2000-01-01T00:00:00Z&created_before=2000-01-02T00:00:00Z").isEmpty)
    }

    @Test func unfilteredTotalsFollowInsertsAndErasures() throws {
        let owner = client.register()
        let k = key(owner.token)
        func total(_ query: String = "") -> Int? { client.send("GET", "/v1/customers", token: owner.token, query: query)["meta"]?["total"]?.intValue }
        #expect(total() == 0)
        let id = client.send("POST", "/v1/customers", ["email": "one@example.com"], token: owner.token)["id"]!.intValue!
        client.send("POST", "/v1/track/batch", ["events": [["customer_email": "two@example.com", "event": "a"],
                                                           ["customer_email": "three@example.com", "event": "a"],
                                                           ["customer_email": "one@example.com", "event": "a"]]], key: k)
        client.send("POST", "/v1/track/identify", ["email": "four@example.com"], key: k)
        #expect(total() == 4)
        #expect(total("email=two@example.com") == 1)
        client.send("DELETE", "/v1/customers/\(id)", token: owner.token)
        #expect(total() == 3)
        let counted = try client.db.queryOne("SELECT COUNT(*) AS n FROM customers WHERE tenant_id = \(owner.tenantID)")?.int("n")
        #expect(counted == 3)
    }

    @Test func erasureRemovesTheCustomerAndEveryEvent() throws {
        let owner = client.register()
        let k = key(owner.token)
        client.send("POST", "/v1/track/pageview", ["anonymous_id": "browser-1", "url": "https://shop.example/a"], key: k)
        client.send("POST", "/v1/track/identify", ["anonymous_id": "browser-1", "email": "gone@example.com"], key: k)
        let tracked = client.send("POST", "/v1/track/event", ["customer_email": "gone@example.com", "event": "signup"], key: k)
        let id = tracked["customer_id"]!.intValue!
        let erased = client.send("DELETE", "/v1/customers/\(id)", token: owner.token)
        #expect(erased.status == 200 && erased["events_deleted"] == 2)
        #expect(client.send("GET", "/v1/customers/\(id)", token: owner.token).status == 404)
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM events WHERE customer_id = \(id) OR anonymous_id = 'browser-1' AND tenant_id = \(owner.tenantID)")?.int("n") == 0)
        #expect(client.send("DELETE", "/v1/customers/\(id)", token: owner.token).status == 404)
    }

    @Test func timelineAndExport() throws {
        let owner = client.register()
        let k = key(owner.token)
        for (i, name) in ["signup", "trial_started", "purchase"].enumerated() {
            var props: JSONObject = JSONObject()
            if name == "purchase" { props["amount"] = 49.5 }
            client.send("POST", "/v1/track/event", ["customer_email": "t@example.com", "event": .string(name), "properties": .object(props),
                                                    "occurred_at": .string("2026-03-0\(i + 1)T10:00:00Z")], key: k)
        }
        let id = client.send("GET", "/v1/customers", token: owner.token)["data"]!.arrayValue![0]["id"]!.intValue!
        let timeline = client.send("GET", "/v1/customers/\(id)/events", token: owner.token, query: "per_page=2")
        #expect(timeline["data"]?.arrayValue?.compactMap { $0["event"]?.stringValue } == ["purchase", "trial_started"])
        #expect(timeline["meta"]?["total"] == 3)
        let export = client.send("GET", "/v1/customers/\(id)/export", token: owner.token)
        #expect(export["events"]?.arrayValue?.count == 3)
        #expect(export["customer"]?["clv_total"] == .double(49.50))
        #expect(export.response.header("Content-Disposition")?.contains("customer-\(id).json") == true)
    }

    @Test func anotherWorkspacesCustomersAreNotFound() throws {
        let a = client.register(), b = client.register()
        let id = client.send("POST", "/v1/customers", ["email": "secret@a.io"], token: a.token)["id"]!.intValue!
        for (method, path, body) in [("GET", "/v1/customers/\(id)", nil), ("PUT", "/v1/customers/\(id)", ["name": "x"]),
                                     ("DELETE", "/v1/customers/\(id)", nil), ("GET", "/v1/customers/\(id)/events", nil),
                                     ("GET", "/v1/customers/\(id)/export", nil)] as [(String, String, JSON?)] {
            #expect(client.send(method, path, body, token: b.token).status == 404, "\(method) \(path)")
        }
        #expect(client.send("GET", "/v1/customers", token: b.token, query: "email=secret@a.io")["meta"]?["total"] == 0)
        let bKey = key(b.token)
        let r = client.send("POST", "/v1/track/event", ["customer_id": .int(id), "event": "hijack"], key: bKey)
        #expect(r.status == 422)
        #expect(try client.db.queryOne("SELECT events_count FROM customers WHERE id = \(id)")?.int("events_count") == 0)
    }
}

@Suite struct TrackingTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    func key(_ owner: String, type: String = "secret") -> String {
        client.send("POST", "/v1/api-keys", ["name": "k", "type": .string(type)], token: owner)["key"]!.stringValue!
    }

    func customer(_ owner: String, _ email: String) -> JSON {
        let id = client.send("GET", "/v1/customers", token: owner, query: "email=\(email)")["data"]!.arrayValue![0]["id"]!.intValue!
        return client.send("GET", "/v1/customers/\(id)", token: owner).json
    }

    @Test func seedTrackingExamples() throws {
        let owner = client.register()
        let k = key(owner.token)
        let event = client.send("POST", "/v1/track/event", [
            "customer_email": "ana.kovac@example.com", "event": "purchase",
            "properties": ["amount": 149.99, "currency": "EUR", "product_id": "prod_abc123", "product_name": "Premium Plan"],
        ], key: k)
        #expect(event.status == 200)
        #expect(event.json.objectValue?.keys == ["recorded", "event_id", "customer_id"])
        #expect(event["recorded"] == true)
        let eventID = try #require(event["event_id"]?.stringValue)
        #expect(eventID.hasPrefix("evt_") && eventID.count == 20)
        let pageview = client.send("POST", "/v1/track/pageview", [
            "customer_email": "ana.kovac@example.com", "url": "https://yoursite.com/pricing",
            "referrer": "https://google.com", "user_agent": "Mozilla/5.0...",
        ], key: k)
        #expect(pageview.status == 200 && pageview["recorded"] == true && pageview["event_id"]?.stringValue?.hasPrefix("evt_") == true)
        #expect(pageview["customer_id"] == event["customer_id"])
        let profile = customer(owner.token, "ana.kovac@example.com")
        #expect(profile["events_count"] == 2)
        #expect(profile["clv_total"] == .double(149.99) && profile["clv_order_count"] == 1 && profile["clv_average_order"] == .double(149.99))
    }

    @Test func purchasesKeepExactAggregatesAndOrderDates() throws {
        let owner = client.register()
        let k = key(owner.token)
        for (amount, day) in [("0.10", "05"), ("0.20", "01"), ("100.005", "09")] as [(String, String)] {
            let r = client.send("POST", "/v1/track/event", ["customer_email": "buyer@example.com", "event": "purchase",
                "properties": ["amount": .string(amount), "currency": "eur"], "occurred_at": .string("2026-02-\(day)T12:00:00Z")], key: k)
            #expect(r.status == 200)
        }
        let p = customer(owner.token, "buyer@example.com")
        #expect(p["clv_total"] == .double(100.31), "0.10 + 0.20 + 100.01 exactly")
        #expect(p["clv_order_count"] == 3 && p["clv_average_order"] == .double(33.44))
        #expect(p["first_order_at"] == "2026-02-01T12:00:00Z" && p["last_order_at"] == "2026-02-09T12:00:00Z")
        #expect(p["last_seen_at"] == "2026-02-09T12:00:00Z")
        let bad = client.send("POST", "/v1/track/event", ["customer_email": "buyer@example.com", "event": "purchase", "properties": ["amount": "lots"]], key: k)
        #expect(bad.status == 422 && bad["errors"]?["properties.amount"] != nil)
    }

    @Test func messageIDsDeduplicate() throws {
        let owner = client.register()
        let k = key(owner.token)
        let body: JSON = ["customer_email": "d@example.com", "event": "purchase", "message_id": "order-1001", "properties": ["amount": 20]]
        let first = client.send("POST", "/v1/track/event", body, key: k)
        let second = client.send("POST", "/v1/track/event", body, key: k)
        #expect(second.status == 200 && second["recorded"] == true)
        #expect(first["event_id"] == second["event_id"])
        let p = customer(owner.token, "d@example.com")
        #expect(p["events_count"] == 1 && p["clv_total"] == .double(20.00))
        let batch = client.send("POST", "/v1/track/batch", ["events": [body, ["customer_email": "d@example.com", "event": "x", "message_id": "m2"],
                                                                       ["customer_email": "d@example.com", "event": "x", "message_id": "m2"]]], key: k)
        #expect(batch.json == ["recorded": 1, "duplicates": 2, "errors": []])
    }

    @Test func batchesStoreTheValidItemsAndNameTheInvalid() throws {
        let owner = client.register()
        let k = key(owner.token)
        let r = client.send("POST", "/v1/track/batch", ["events": [
            ["customer_email": "b1@example.com", "event": "signup"],
            ["event": "orphan"],
            ["type": "pageview", "customer_email": "b1@example.com", "url": "https://shop.example/"],
            "not an object",
            ["type": "pageview", "customer_email": "b2@example.com"],
            ["customer_email": "b2@example.com", "event": "purchase", "properties": ["amount": 10]],
        ]], key: k)
        #expect(r.status == 200)
        #expect(r["recorded"] == 3 && r["duplicates"] == 0)
        #expect(r["errors"]?.arrayValue?.compactMap { $0["index"]?.intValue } == [1, 3, 4])
        #expect(r["errors"]?.arrayValue?[0]["message"]?.stringValue?.contains("customer_email") == true)
        #expect(customer(owner.token, "b1@example.com")["events_count"] == 2)
        #expect(customer(owner.token, "b2@example.com")["clv_total"] == .double(10.00))
        let tooMany = JSON.array(Array(repeating: ["customer_email": "x@example.com", "event": "e"], count: 501))
        #expect(client.send("POST", "/v1/track/batch", ["events": tooMany], key: k).status == 422)
        #expect(client.send("POST", "/v1/track/batch", ["events": "nope"], key: k).status == 422)
    }

    @Test func eventsWithoutIdentityAre422() {
        let owner = client.register()
        let r = client.send("POST", "/v1/track/event", ["event": "purchase"], key: key(owner.token))
        #expect(r.status == 422 && r["errors"]?["customer_email"] != nil)
        #expect(client.send("POST", "/v1/track/pageview", ["customer_email": "a@b.co"], key: key(owner.token))["errors"]?["url"] != nil)
    }

    @Test func identifyJoinsAnonymousHistoryButNeverMergesIdentifiedCustomers() throws {
        let owner = client.register()
        let k = key(owner.token, type: "publishable")
        for page in ["/", "/pricing", "/checkout"] {
            let r = client.send("POST", "/v1/track/pageview", ["anonymous_id": "anon-42", "url": .string("https://shop.example\(page)")], key: k)
            #expect(r["customer_id"] == .null)
        }
        client.send("POST", "/v1/track/event", ["anonymous_id": "anon-42", "event": "purchase", "properties": ["amount": 30]], key: k)
        let identified = client.send("POST", "/v1/track/identify", ["anonymous_id": "anon-42", "email": "Visitor@Example.com",
            "traits": ["name": "Petra Horvat", "city": "Rijeka", "properties": ["newsletter": true]]], key: k)
        #expect(identified.status == 200 && identified["merged_events"] == 4)
        let id = identified["customer_id"]!.intValue!
        var p = client.send("GET", "/v1/customers/\(id)", token: owner.token)
        #expect(p["email"] == "visitor@example.com" && p["name"] == "Petra Horvat" && p["properties"] == ["newsletter": true])
        // The browser's purchase is on the timeline, but not in the lifetime value: the
        // workspace does not count revenue reported by browsers (the default).
        #expect(p["events_count"] == 4 && p["clv_total"] == .double(0) && p["clv_order_count"] == 0)
        // Later anonymous events go straight to the customer.
        #expect(client.send("POST", "/v1/track/pageview", ["anonymous_id": "anon-42", "url": "https://shop.example/thanks"], key: k)["customer_id"]?.intValue == id)
        p = client.send("GET", "/v1/customers/\(id)", token: owner.token)
        #expect(p["events_count"] == 5)
        // The same browser identifying as someone else does not merge the two.
        let other = client.send("POST", "/v1/track/identify", ["anonymous_id": "anon-42", "email": "partner@example.com"], key: k)
        #expect(other["customer_id"]?.intValue != id && other["merged_events"] == 0)
        #expect(client.send("GET", "/v1/customers/\(id)", token: owner.token)["events_count"] == 5)
        #expect(client.send("GET", "/v1/customers", token: owner.token)["meta"]?["total"] == 2)
    }

    @Test func publishableKeysTrackButReadNothing() throws {
        let owner = client.register()
        let pub = key(owner.token, type: "publishable")
        #expect(client.send("POST", "/v1/track/event", ["anonymous_id": "a", "event": "click"], key: pub).status == 200)
        #expect(client.send("POST", "/v1/track/event", ["anonymous_id": "a", "event": "click"], query: "key=\(pub)").status == 200)
        #expect(client.send("GET", "/v1/customers", key: pub).status == 403)
        #expect(client.send("POST", "/v1/customers", ["email": "x@y.io"], key: pub).status == 403)
        #expect(client.send("GET", "/v1/customers", query: "key=\(pub)").status == 401, "the URL key is for tracking only")
    }

    @Test func corsOnPreflightsAndOnErrors() {
        let pre = client.send("OPTIONS", "/v1/track/event", headers: ["origin": "https://shop.example"])
        #expect(pre.status == 204)
        #expect(pre.response.header("Access-Control-Allow-Origin") == "*")
        #expect(pre.response.header("Access-Control-Allow-Headers")?.contains("Content-Type") == true)
        let denied = client.send("POST", "/v1/track/event", ["event": "x"])
        #expect(denied.status == 401 && denied.response.header("Access-Control-Allow-Origin") == "*")
        #expect(client.send("OPTIONS", "/v1/customers").status == 405)
    }

    /// Many connections tracking the same customer at once lose no update.
    @Test func concurrentTrackingKeepsAggregatesExact() throws {
        let owner = client.register()
        let k = key(owner.token)
        let app = client.app
        let config = try TestDatabase.configuration()
        var threads: [JoinableThread] = []
        for t in 0..<8 {
            threads.append(try JoinableThread {
                let db = Connection(configuration: config)
                for i in 0..<40 {
                    let body: JSON = ["customer_email": "hot@example.com", "event": "purchase", "message_id": .string("t\(t)-\(i)"),
                                      "properties": ["amount": 10.01]]
                    let request = Request(method: "POST", path: "/v1/track/event", headers: ["x-api-key": k, "content-type": "application/json"], body: JSONWriter.bytes(body))
                    let response = ErrorResponses.run(request) { try app.handle(request, state: db).settled() }
                    if response.status != 200 { Issue.record("status \(response.status): \(String(decoding: response.body, as: UTF8.self))") }
                }
                db.disconnect()
            })
        }
        for t in threads { t.join() }
        let p = customer(owner.token, "hot@example.com")
        #expect(p["events_count"] == 320)
        #expect(p["clv_order_count"] == 320)
        #expect(p["clv_total"] == .double(3203.20))
        #expect(p["clv_average_order"] == .double(10.01))
    }

    /// Single events sent at once from many connections are written in shared transactions
    /// (TrackingGroupCommit): two workspaces, new and known customers, purchases, anonymous
    /// events and message ids repeated across connections. Every answer names its own event
    /// and customer, each repeated message id is stored once and answered with the first
    /// event's id, and every aggregate is exact.
    @Test func concurrentSingleEventsShareTransactionsAndStayExact() throws {
        let owners = [client.register(), client.register()]
        let keys = owners.map { key($0.token) }
        let app = client.app
        let config = try TestDatabase.configuration()
        let before = TrackingGroupCommit.shared.statistics
        final class Answers: @unchecked Sendable { // written under `lock` only
            let lock = NSLock()
            var items: [(workspace: Int, email: String?, message: String?, eventID: String, customerID: Int?)] = []
        }
        let answers = Answers()
        var threads: [JoinableThread] = []
        for t in 0..<12 {
            threads.append(try JoinableThread {
                let db = Connection(configuration: config)
                for i in 0..<30 {
                    let w = (t + i) % 2
                    let email = i % 5 == 4 ? nil : "c\((t * 7 + i) % 9)@example.com"
                    let base: JSON = ["event": "purchase", "properties": ["amount": 1.25, "currency": "EUR"]]
                    var body = base.objectValue!
                    if let email { body["customer_email"] = .string(email) } else { body["anonymous_id"] = .string("anon-\(t)") }
                    let message = i % 3 == 0 ? "shared-\(i)" : nil // the same ids from every thread
                    if let message { body["message_id"] = .string(message) }
                    let request = Request(method: "POST", path: "/v1/track/event", headers: ["x-api-key": keys[w], "content-type": "application/json"],
                                          body: JSONWriter.bytes(.object(body)))
                    let response = ErrorResponses.run(request) { try app.handle(request, state: db).settled() }
                    guard response.status == 200, let json = try? JSONParser.parse(response.body),
                          let id = json["event_id"]?.stringValue else {
                        Issue.record("status \(response.status): \(String(decoding: response.body, as: UTF8.self))")
                        continue
                    }
                    answers.lock.lock()
                    answers.items.append((w, email, message, id, json["customer_id"]?.intValue))
                    answers.lock.unlock()
                }
                db.disconnect()
            })
        }
        for t in threads { t.join() }
        let after = TrackingGroupCommit.shared.statistics
        #expect(after.groups > before.groups, "some events shared a transaction")
        #expect(answers.items.count == 360)

        let db = Connection(configuration: config)
        defer { db.disconnect() }
        for (w, owner) in owners.enumerated() {
            let mine = answers.items.filter { $0.workspace == w }
            // A repeated message id: one event, every answer its id.
            let byMessage = Dictionary(grouping: mine.filter { $0.message != nil }, by: { $0.message! })
            for (message, items) in byMessage {
                #expect(Set(items.map(\.eventID)).count == 1, "\(message) answered with one event id")
                let n = try db.queryOne("SELECT COUNT(*) AS n FROM events WHERE tenant_id = \(owner.tenantID) AND message_id = \(message)")?.int("n")
                #expect(n == 1)
            }
            // Every answer's event is stored, with the customer it was answered with.
            let stored = Dictionary(uniqueKeysWithValues: try db.query("""
                SELECT public_id, customer_id FROM events WHERE tenant_id = \(owner.tenantID)
                """).map { (try $0.string("public_id"), $0.optionalInt("customer_id")) })
            for item in mine {
                #expect(stored[item.eventID] != nil, "event \(item.eventID) stored")
                if let customer = stored[item.eventID] { #expect(customer == item.customerID) }
            }
            let unique = Set(mine.map(\.eventID))
            #expect(stored.count == unique.count, "nothing stored twice")
            // No event names a customer that does not exist (a lost id stored 0 once).
            let orphans = try db.queryOne("""
                SELECT COUNT(*) AS n FROM events e LEFT JOIN customers c ON c.id = e.customer_id
                WHERE e.tenant_id = \(owner.tenantID) AND e.customer_id IS NOT NULL AND c.id IS NULL
                """)?.int("n")
            #expect(orphans == 0)
            // Aggregates: each customer's count and total equal their stored events.
            for row in try db.query("""
                SELECT c.id, c.email, c.events_count, c.clv_order_count, c.clv_total,
                       (SELECT COUNT(*) FROM events e WHERE e.tenant_id = c.tenant_id AND e.customer_id = c.id) AS n,
                       (SELECT COALESCE(SUM(amount), 0) FROM events e WHERE e.tenant_id = c.tenant_id AND e.customer_id = c.id) AS total
                FROM customers c WHERE c.tenant_id = \(owner.tenantID)
                """) {
                let email = try row.string("email")
                #expect(try row.int("events_count") == row.int("n"), "\(email) events_count \((try? row.int("events_count")) ?? -1) vs \((try? row.int("n")) ?? -1)")
                #expect(try row.int("clv_order_count") == row.int("n"), "\(email) orders")
                #expect(try row.string("clv_total") == row.string("total"), "\(email) total")
                let id = try row.int("id")
                let answered = Set(mine.filter { $0.customerID == id }.map(\.eventID)).count
                #expect(try row.int("n") == answered, "\(email): one stored event per distinct answer")
            }
        }
    }

    /// Batches over the same customers from many connections at once (an import on several
    /// connections): customers made by one batch and added to by the others, every aggregate
    /// exact, nothing answered 503.
    @Test func concurrentBatchesOverTheSameCustomersKeepAggregatesExact() throws {
        let owner = client.register()
        let k = key(owner.token)
        let app = client.app
        let config = try TestDatabase.configuration()
        var threads: [JoinableThread] = []
        for t in 0..<6 {
            threads.append(try JoinableThread {
                let db = Connection(configuration: config)
                for round in 0..<5 {
                    // 40 items over 12 customers, in a different order in each batch.
                    let items: [JSON] = (0..<40).map { i in
                        let who = (i * 7 + t * 5 + round) % 12
                        return ["customer_email": .string("buyer\(who)@example.com"), "event": "purchase",
                                "occurred_at": .string("2026-01-\(String(format: "%02d", 1 + (i + t) % 28))T10:00:00Z"),
                                "properties": ["amount": 2.50, "currency": "EUR"]]
                    }
                    let request = Request(method: "POST", path: "/v1/track/batch", headers: ["x-api-key": k, "content-type": "application/json"],
                                          body: JSONWriter.bytes(["events": .array(items)]))
                    let response = ErrorResponses.run(request) { try app.handle(request, state: db).settled() }
                    if response.status != 200 { Issue.record("status \(response.status): \(String(decoding: response.body, as: UTF8.self))") }
                }
                db.disconnect()
            })
        }
        for t in threads { t.join() }
        let rows = try client.db.query("""
            SELECT COUNT(*) AS n, SUM(events_count) AS events, SUM(clv_order_count) AS orders, SUM(clv_total) AS total,
                   MIN(first_order_at) AS first_order, MAX(last_order_at) AS last_order
            FROM customers WHERE tenant_id = \(owner.tenantID)
            """)
        let r = try #require(rows.first)
        #expect(try r.int("n") == 12)
        #expect(try r.int("events") == 6 * 5 * 40 && r.int("orders") == 6 * 5 * 40)
        #expect(try r.decimal("total") == "3000.00")
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM events WHERE tenant_id = \(owner.tenantID)")?.int("n") == 6 * 5 * 40)
        let p = customer(owner.token, "buyer0@example.com")
        #expect(p["clv_average_order"] == .double(2.50) && p["first_order_at"] == "2026-01-01T10:00:00Z")
    }

    /// Batch against batch on the same customers, known by email and by customer_id, with
    /// message ids that several concurrent batches repeat: each message id is stored once,
    /// the duplicates are answered as such, and the aggregates (counts, totals, averages,
    /// last_seen_at, first and last order dates) equal what the stored events add up to.
    @Test func concurrentBatchesByIDAndEmailWithSharedMessageIDsStayExact() throws {
        let owner = client.register()
        let k = key(owner.token)
        let app = client.app
        let config = try TestDatabase.configuration()
        var ids: [Int] = []
        for n in 0..<6 {
            ids.append(client.send("POST", "/v1/customers", ["email": .string("known\(n)@example.com")], token: owner.token)["id"]!.intValue!)
        }
        let threads = 6, rounds = 4, perBatch = 30
        let customerIDs = ids
        final class Tally: @unchecked Sendable { let lock = NSLock(); var recorded = 0, duplicates = 0 }
        let tally = Tally()
        var workers: [JoinableThread] = []
        for t in 0..<threads {
            workers.append(try JoinableThread {
                let db = Connection(configuration: config)
                for round in 0..<rounds {
                    let items: [JSON] = (0..<perBatch).map { i in
                        let who = (i * 5 + t + round) % 6
                        // Half the items carry a message id that every thread sends in this round.
                        let day = String(format: "%02d", 1 + (i * 3 + t) % 27)
                        let amount = Double(1 + i % 4) + 0.25
                        var item = JSONObject()
                        item["event"] = "purchase"
                        item["occurred_at"] = .string("2026-02-" + day + "T08:30:00Z")
                        let properties: JSON = ["amount": .double(amount), "currency": "EUR"]
                        item["properties"] = properties
                        if i % 2 == 0 { item["customer_id"] = .int(Int64(customerIDs[who])) } else { item["customer_email"] = .string("known\(who)@example.com") }
                        if i % 3 == 0 { item["message_id"] = .string("shared-\(round)-\(i)") }
                        if i % 5 == 4 { item["type"] = "pageview"; item["url"] = "https://shop.example/p"; item["properties"] = [:] }
                        return .object(item)
                    }
                    let request = Request(method: "POST", path: "/v1/track/batch", headers: ["x-api-key": k, "content-type": "application/json"],
                                          body: JSONWriter.bytes(["events": .array(items)]))
                    let response = ErrorResponses.run(request) { try app.handle(request, state: db).settled() }
                    if response.status != 200 { Issue.record("status \(response.status): \(String(decoding: response.body, as: UTF8.self))"); continue }
                    guard let answer = try? JSONParser.parse(response.body) else { Issue.record("not JSON"); continue }
                    if answer["errors"]?.arrayValue?.isEmpty != true { Issue.record("errors: \(answer)") }
                    tally.lock.lock()
                    tally.recorded += answer["recorded"]?.intValue ?? 0
                    tally.duplicates += answer["duplicates"]?.intValue ?? 0
                    tally.lock.unlock()
                }
                db.disconnect()
            })
        }
        for w in workers { w.join() }
        // Per round: 10 shared message ids stored once (and answered as duplicates by the
        // other threads), 20 items of each thread stored.
        let shared = (0..<perBatch).filter { $0 % 3 == 0 }.count
        let recorded = tally.recorded, duplicates = tally.duplicates
        #expect(recorded == rounds * (shared + threads * (perBatch - shared)))
        #expect(duplicates == rounds * shared * (threads - 1))
        let events = try client.db.queryOne("SELECT COUNT(*) AS n FROM events WHERE tenant_id = \(owner.tenantID)")
        #expect(try events?.int("n") == recorded)
        // Every customer's aggregates are those its events add up to.
        let mismatched = try client.db.query("""
            SELECT c.id FROM customers c LEFT JOIN (
                SELECT customer_id, COUNT(*) AS n, MAX(occurred_at) AS seen, COALESCE(SUM(amount), 0) AS total, COUNT(amount) AS orders,
                       MIN(IF(amount IS NULL, NULL, occurred_at)) AS first_order, MAX(IF(amount IS NULL, NULL, occurred_at)) AS last_order
                FROM events WHERE tenant_id = \(owner.tenantID) GROUP BY customer_id
            ) e ON e.customer_id = c.id
            WHERE c.tenant_id = \(owner.tenantID) AND NOT (c.events_count <=> e.n AND c.last_seen_at <=> e.seen AND c.clv_total <=> e.total
                AND c.clv_order_count <=> e.orders AND c.first_order_at <=> e.first_order AND c.last_order_at <=> e.last_order
                AND c.clv_average_order <=> IF(e.orders > 0, ROUND(e.total / e.orders, 2), NULL))
            """)
        #expect(mismatched.isEmpty, "customers whose aggregates differ from their events: \(mismatched.count)")
        let sums = try #require(try client.db.queryOne("SELECT SUM(events_count) AS n FROM customers WHERE tenant_id = \(owner.tenantID)"))
        #expect(try sums.int("n") == recorded)
    }

    @Test func recentEventsForTheConsole() {
        let owner = client.register()
        let k = key(owner.token)
        for i in 0..<3 { client.send("POST", "/v1/track/event", ["customer_email": "r@example.com", "event": .string("e\(i)")], key: k) }
        let r = client.send("GET", "/v1/events", token: owner.token, query: "limit=2")
        #expect(r["data"]?.arrayValue?.compactMap { $0["event"]?.stringValue } == ["e2", "e1"])
        #expect(r["data"]?.arrayValue?.first?["customer_email"] == "r@example.com")
    }
}
