@testable import EnterCRM
import FastCGI
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
@testable import Jobs
@testable import Segments

/// Segments against the real MariaDB: the filter language (every condition, nested groups),
/// counts checked against a brute-force evaluation in Swift over the same rows, incremental
/// membership after tracking, time-based exits, the built-in RFM segments, history, export.
@Suite struct SegmentTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    // MARK: Helpers

    func key(_ owner: String) -> String {
        client.send("POST", "/v1/api-keys", ["name": "k", "type": "secret"], token: owner)["key"]!.stringValue!
    }

    /// Runs queued rebuilds here until the segment is ready.
    func waitBuilt(_ token: String, _ id: Int) throws {
        let runner = JobRunner(registry: JobKinds.registry(), database: try TestDatabase.configuration(), kinds: ["segments.rebuild"])
        for _ in 0..<400 {
            if client.send("GET", "/v1/segments/\(id)", token: token, query: "per_page=1")["status"] == "ready" { return }
            if try !runner.runNext(client.db) { Thread.sleep(forTimeInterval: 0.05) }
        }
        Issue.record("segment \(id) was not built")
    }

    /// What the evaluator loop of `entercrm jobs` does, run here until no customer is dirty.
    func evaluateDirty() throws {
        let loop = try #require(JobKinds.registry().loops.first { $0.name == "segment-evaluator" })
        while try loop.handler(client.db) {}
    }

    func create(_ token: String, _ name: String, _ filters: JSON, color: String = "#60a5fa") -> TestClient.Reply {
        client.send("POST", "/v1/segments", ["name": .string(name), "color": .string(color), "filters": filters], token: token)
    }

    func members(_ segment: Int) throws -> Set<Int> {
        Set(try client.db.query("SELECT customer_id FROM segment_members WHERE segment_id = \(segment)").map { try $0.int("customer_id") })
    }

    // MARK: A workspace of varied customers, and the brute-force oracle

    struct Customer {
        var id = 0
        var rfmScore: Int?, rfmSegment: String?, clvTotal: Double, clvPredicted: Double?, pAlive: Double?, orders: Int
        var lastSeenDaysAgo: Double?, createdDaysAgo: Double
        var country: String?, city: String?, email: String
        var properties: JSONObject
    }

    struct Event {
        var customer: Int
        var name: String
        var daysAgo: Double
        var properties: JSONObject
    }

    /// 60 customers and their events, written straight into the tables.
    func fill(_ tenant: Int) throws -> ([Customer], [Event]) {
        var customers: [Customer] = [], events: [Event] = []
        let segments = ["Champions", "Loyal Customers", "At Risk", "Lost", nil]
        let places: [(String?, String?)] = [("HR", "Zagreb"), ("HR", "Split"), ("DE", "Berlin"), ("SI", "Ljubljana"), (nil, nil)]
        let domains = ["example.com", "shop.hr", "mail.de"]
        let plans: [JSON] = ["pro", "basic", .int(3), .bool(true), .null]
        for i in 0..<60 {
            let scored = i % 6 != 0
            var props = JSONObject()
            let plan = plans[i % plans.count]
            if plan != .null { props["plan"] = plan }
            if i % 4 == 0 { props["seats"] = .int(Int64(i % 13)) }
            var c = Customer(rfmScore: scored ? 3 + (i * 7) % 13 : nil, rfmSegment: segments[i % segments.count],
                             clvTotal: Double((i * 37) % 900) + 0.5, clvPredicted: scored ? Double((i * 53) % 1200) : nil,
                             pAlive: scored ? Double((i * 17) % 100) / 100 + 0.005 : nil, orders: (i * 5) % 14,
                             lastSeenDaysAgo: i % 7 == 0 ? nil : Double((i * 11) % 120) + 0.5, createdDaysAgo: Double((i * 13) % 400) + 0.5,
                             country: places[i % places.count].0, city: places[i % places.count].1,
                             email: "c\(i)@\(domains[i % domains.count])", properties: props)
            c.id = try client.db.execute("""
                INSERT INTO customers (tenant_id, name, email, city, country, properties, rfm_score, rfm_segment, clv_total, clv_predicted,
                    p_alive, clv_order_count, last_seen_at, created_at, updated_at)
                VALUES (\(tenant), \("Customer \(i)"), \(c.email), \(c.city), \(c.country), \(JSONWriter.string(.object(c.properties))),
                    \(c.rfmScore), \(c.rfmSegment), \(SQLDecimal(String(format: "%.2f", c.clvTotal))), \(c.clvPredicted.map { SQLDecimal(String(format: "%.2f", $0)) }),
                    \(c.pAlive), \(c.orders), \(c.lastSeenDaysAgo.map { Date().addingTimeInterval(-$0 * 86_400) }),
                    \(Date().addingTimeInterval(-c.createdDaysAgo * 86_400)), UTC_TIMESTAMP(6))
                """).lastInsertID
            customers.append(c)
            for e in 0..<(i % 5) {
                let name = e % 2 == 0 ? "purchase" : "signup"
                let product = ["prod_a", "prod_b"][(i + e) % 2]
                let ev = Event(customer: c.id, name: name, daysAgo: Double((i * 3 + e * 29) % 90) + 0.5,
                               properties: name == "purchase" ? JSONObject([("product_id", .string(product)), ("amount", .int(Int64(10 * (e + 1))))]) : JSONObject())
                events.append(ev)
                try client.db.execute("""
                    INSERT INTO events (tenant_id, public_id, customer_id, type, name, properties, occurred_at, received_at)
                    VALUES (\(tenant), \("evt_" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16)).lowercased()),
                        \(c.id), 'event', \(name), \(JSONWriter.string(.object(ev.properties))),
                        \(Date().addingTimeInterval(-ev.daysAgo * 86_400)), UTC_TIMESTAMP(6))
                    """)
            }
        }
        return (customers, events)
    }

    /// An independent evaluation of a filter document over the customers in Swift.
    func brute(_ filter: JSON, _ c: Customer, _ events: [Event], segments: [Int: Set<Int>]) -> Bool {
        guard let object = filter.objectValue else { return false }
        func num(_ v: Double?, _ bound: JSON, _ atLeast: Bool) -> Bool {
            guard let v, let b = bound.doubleValue else { return false }
            return atLeast ? v >= b : v <= b
        }
        func list(_ v: JSON) -> [String] { v.stringValue.map { [$0] } ?? v.arrayValue!.map { $0.stringValue! } }
        if let property = object["property"]?.stringValue {
            let value = c.properties[property]
            for (option, expected) in object where option != "property" {
                switch option {
                case "equals":
                    if let e = expected.stringValue { if value?.stringValue != e { return false } }
                    else if let b = expected.boolValue { if value?.boolValue != b { return false } }
                    else if value?.doubleValue == nil || value?.boolValue != nil || value!.doubleValue != expected.doubleValue { return false }
                case "min": if value?.boolValue != nil || !num(value?.doubleValue, expected, true) { return false }
                case "max": if value?.boolValue != nil || !num(value?.doubleValue, expected, false) { return false }
                case "in": if !(value?.stringValue.map { list(expected).contains($0) } ?? false) { return false }
                case "exists": if (value != nil) != expected.boolValue! { return false }
                default: fatalError(option)
                }
            }
            return true
        }
        if let name = object["event"]?.stringValue {
            let within = object["within_days"]?.doubleValue
            let matching = events.filter { e in
                e.customer == c.id && e.name == name && (within.map { e.daysAgo <= $0 } ?? true)
                    && (object["properties"]?.objectValue ?? JSONObject()).allSatisfy { e.properties[$0.key] == $0.value }
            }
            let low = object["count_min"]?.intValue ?? (object["count_max"] == nil ? 1 : 0)
            return matching.count >= low && matching.count <= (object["count_max"]?.intValue ?? Int.max)
        }
        for (key, value) in object {
            let ok: Bool
            switch key {
            case "all": ok = value.arrayValue!.allSatisfy { brute($0, c, events, segments: segments) }
            case "any": ok = value.arrayValue!.contains { brute($0, c, events, segments: segments) }
            case "not": ok = !brute(value, c, events, segments: segments)
            case "rfm_score_min", "rfm_score_max": ok = num(c.rfmScore.map(Double.init), value, key.hasSuffix("min"))
            case "clv_total_min", "clv_total_max": ok = num(c.clvTotal, value, key.hasSuffix("min"))
            case "clv_predicted_min", "clv_predicted_max": ok = num(c.clvPredicted, value, key.hasSuffix("min"))
            case "p_alive_min", "p_alive_max": ok = num(c.pAlive, value, key.hasSuffix("min"))
            case "purchase_count_min", "purchase_count_max": ok = num(Double(c.orders), value, key.hasSuffix("min"))
            case "rfm_segment": ok = c.rfmSegment.map { list(value).contains($0) } ?? false
            case "last_seen_within_days": ok = c.lastSeenDaysAgo.map { $0 <= value.doubleValue! } ?? false
            case "inactive_days_min": ok = (c.lastSeenDaysAgo ?? c.createdDaysAgo) > value.doubleValue!
            case "created_within_days": ok = c.createdDaysAgo <= value.doubleValue!
            case "country": ok = c.country.map { list(value).contains($0) } ?? false
            case "city": ok = c.city.map { list(value).contains($0) } ?? false
            case "email_domain": ok = list(value).contains(String(c.email.split(separator: "@").last!))
            case "in_segment": ok = segments[value.intValue!]?.contains(c.id) ?? false
            default: fatalError(key)
            }
            if !ok { return false }
        }
        return true
    }

    // MARK: Tests

    @Test func seedExampleAndShapes() throws {
        let owner = client.register()
        let created = create(owner.token, "Champions Club", ["rfm_score_min": 12, "purchase_count_min": 10], color: "#34d399")
        #expect(created.status == 201, "\(created.body)")
        #expect(Array(created.json.objectValue!.keys.prefix(6)) == ["id", "name", "description", "color", "customers_count", "created_at"])
        #expect(created["status"] == "building" && created["system"] == false)
        let id = created["id"]!.intValue!
        for (i, (score, orders)) in [(14, 12), (13, 10), (12, 9), (11, 20)].enumerated() {
            try client.db.execute("""
                INSERT INTO customers (tenant_id, name, email, rfm_score, clv_order_count, clv_total, created_at, updated_at)
                VALUES (\(owner.tenantID), \("C\(i)"), \("c\(i)@example.com"), \(score), \(orders), \(SQLDecimal("\(1000 * (i + 1)).00")), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """)
        }
        // The build queued at creation may have run before the rows: build again.
        #expect(client.send("PUT", "/v1/segments/\(id)", ["filters": ["purchase_count_min": 10, "rfm_score_min": 12]], token: owner.token).status == 200)
        try waitBuilt(owner.token, id)
        let detail = client.send("GET", "/v1/segments/\(id)", token: owner.token, query: "sort=clv_total&order=desc")
        #expect(Array(detail.json.objectValue!.keys.prefix(5)) == ["id", "name", "filters", "customers_count", "customers"])
        #expect(detail["customers_count"] == 2)
        #expect(detail["filters"] == ["purchase_count_min": 10, "rfm_score_min": 12])
        let first = try #require(detail["customers"]?.arrayValue?.first)
        for field in ["id", "name", "email", "rfm_score", "clv_total"] { #expect(first[field] != nil) }
        #expect(first["name"] == "C1" && first["clv_total"] == .double(2000))
        let list = client.send("GET", "/v1/segments", token: owner.token)
        let mine = try #require(list["data"]?.arrayValue?.first { $0["id"]?.intValue == id })
        #expect(mine["customers_count"] == 2 && mine["color"] == "#34d399")
        let paged = client.send("GET", "/v1/segments/\(id)", token: owner.token, query: "page=2&per_page=1")
        #expect(paged["customers"]?.arrayValue?.count == 1 && paged["meta"]?["last_page"] == 2)
        // The profile lists the segment by name.
        let cid = first["id"]!.intValue!
        #expect(client.send("GET", "/v1/customers/\(cid)", token: owner.token)["segments"]?.arrayValue?.contains("Champions Club") == true)
    }

    @Test func everyConditionMatchesABruteForceEvaluation() throws {
        let owner = client.register()
        let (customers, events) = try fill(owner.tenantID)
        let base = create(owner.token, "Base HR", ["country": "HR"])
        let baseID = try #require(base["id"]?.intValue)
        try waitBuilt(owner.token, baseID)
        let stored: [Int: Set<Int>] = [baseID: try members(baseID)]
        let filters: [JSON] = [
            ["rfm_score_min": 12], ["rfm_score_max": 6], ["rfm_score_min": 5, "rfm_score_max": 9],
            ["rfm_segment": ["Champions", "At Risk"]], ["rfm_segment": "Lost"],
            ["clv_total_min": 300], ["clv_total_max": 120.5], ["clv_predicted_min": 600], ["clv_predicted_max": 100],
            ["p_alive_min": 0.5], ["p_alive_max": 0.2], ["purchase_count_min": 10], ["purchase_count_max": 3],
            ["last_seen_within_days": 30], ["inactive_days_min": 60], ["created_within_days": 100],
            ["country": "HR"], ["country": ["DE", "SI"]], ["city": "Zagreb"], ["city": ["Split", "Berlin"]],
            ["email_domain": "shop.hr"], ["email_domain": ["mail.de", "example.com"]],
            ["property": "plan", "equals": "pro"], ["property": "plan", "equals": true], ["property": "plan", "equals": 3],
            ["property": "seats", "min": 4], ["property": "seats", "max": 6], ["property": "plan", "in": ["pro", "basic"]],
            ["property": "seats", "exists": true], ["property": "plan", "exists": false],
            ["event": "purchase"], ["event": "purchase", "within_days": 30], ["event": "purchase", "count_min": 2],
            ["event": "purchase", "within_days": 60, "count_min": 2], ["event": "signup", "count_max": 0],
            ["event": "purchase", "properties": ["product_id": "prod_b"]],
            ["in_segment": .int(baseID)],
            // Nested groups.
            ["any": [["country": "DE"], ["all": [["rfm_score_min": 10], ["purchase_count_min": 5]]]]],
            ["all": [["country": "HR"], ["not": ["city": "Zagreb"]]]],
            ["not": ["any": [["rfm_segment": "Lost"], ["inactive_days_min": 90]]]],
            ["rfm_score_min": 8, "any": [["event": "purchase", "within_days": 45], ["property": "plan", "equals": "pro"]]],
            ["not": ["rfm_score_min": 10]],
            ["all": []], ["any": []],
        ]
        for (i, filter) in filters.enumerated() {
            let expected = Set(customers.filter { brute(filter, $0, events, segments: stored) }.map(\.id))
            let preview = client.send("POST", "/v1/segments/preview", ["filters": filter], token: owner.token)
            #expect(preview.status == 200, "\(filter): \(preview.body)")
            #expect(preview["customers_count"]?.intValue == expected.count, "preview of \(JSONWriter.string(filter))")
            let made = create(owner.token, "S\(i)", filter)
            #expect(made.status == 201, "\(made.body)")
            guard let id = made["id"]?.intValue else { continue }
            try waitBuilt(owner.token, id)
            #expect(try members(id) == expected, "members of \(JSONWriter.string(filter))")
            #expect(client.send("GET", "/v1/segments/\(id)", token: owner.token)["customers_count"]?.intValue == expected.count)
        }
        // Incremental evaluation of every customer agrees with the rebuilds: nothing moves.
        let before = try client.db.queryOne("SELECT COUNT(*) AS n FROM segment_changes WHERE tenant_id = \(owner.tenantID)")!.int("n")
        try client.db.execute("""
            INSERT INTO segment_dirty (tenant_id, customer_id, marked_at)
            SELECT tenant_id, id, UTC_TIMESTAMP(6) FROM customers WHERE tenant_id = \(owner.tenantID)
            """)
        try evaluateDirty()
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM segment_changes WHERE tenant_id = \(owner.tenantID)")!.int("n") == before)
    }

    @Test func invalidFiltersAre422NamingTheProblem() throws {
        let owner = client.register()
        let unknown = create(owner.token, "X", ["all": [["rfm_score_min": 3], ["favourite_colour": "red"]]])
        #expect(unknown.status == 422)
        #expect(unknown["errors"]?["filters.all[1].favourite_colour"] != nil, "\(unknown.body)")
        let wrongType = create(owner.token, "X", ["rfm_score_min": "high"])
        #expect(wrongType.status == 422 && wrongType["errors"]?["filters.rfm_score_min"] != nil)
        #expect(create(owner.token, "X", ["event": "purchase", "within_days": -1])["errors"]?["filters.within_days"] != nil)
        #expect(create(owner.token, "X", ["property": "plan"]).status == 422)
        #expect(create(owner.token, "X", ["property": "bad key!", "equals": 1]).status == 422)
        #expect(create(owner.token, "X", "not an object").status == 422)
        #expect(client.send("POST", "/v1/segments", ["name": "No filters"], token: owner.token)["errors"]?["filters"] != nil)
        #expect(create(owner.token, "X", [:], color: "red").status == 422)
        #expect(client.send("POST", "/v1/segments/preview", ["filters": ["any": "x"]], token: owner.token)["errors"]?["filters.any"] != nil)

        // Cycles are refused.
        let a = create(owner.token, "A", ["country": "HR"])["id"]!.intValue!
        let b = create(owner.token, "B", ["in_segment": .int(a)])["id"]!.intValue!
        let c = create(owner.token, "C", ["any": [["in_segment": .int(b)]]])["id"]!.intValue!
        let cycle = client.send("PUT", "/v1/segments/\(a)", ["filters": ["in_segment": .int(c)]], token: owner.token)
        #expect(cycle.status == 422 && cycle.body.contains("cycle"), "\(cycle.body)")
        #expect(client.send("PUT", "/v1/segments/\(a)", ["filters": ["in_segment": .int(a)]], token: owner.token).status == 422)
        // A segment in use cannot go.
        #expect(client.send("DELETE", "/v1/segments/\(b)", token: owner.token).status == 409)
        #expect(create(owner.token, "A", [:]).status == 422, "names are unique")

        // Another workspace's segment: 404 everywhere, 422 inside filters.
        let other = client.register()
        for (method, path) in [("GET", "/v1/segments/\(a)"), ("PUT", "/v1/segments/\(a)"), ("DELETE", "/v1/segments/\(a)"),
                               ("GET", "/v1/segments/\(a)/history"), ("GET", "/v1/segments/\(a)/export.csv")] {
            #expect(client.send(method, path, method == "PUT" ? ["name": "mine"] : nil, token: other.token).status == 404, "\(method) \(path)")
        }
        let leak = create(other.token, "Leak", ["in_segment": .int(a)])
        #expect(leak.status == 422 && !leak.body.contains("\"A\""))
        #expect(client.send("POST", "/v1/segments/preview", ["filters": ["in_segment": .int(a)]], token: other.token).status == 422)
    }

    /// An event moves a customer into a segment within 5 seconds, with no rebuild: the
    /// evaluator loop runs as in `entercrm jobs`.
    @Test func trackedEventMovesACustomerInWithinSeconds() throws {
        let owner = client.register()
        let k = key(owner.token)
        let ana = client.send("POST", "/v1/track/event", ["customer_email": "ana@example.com", "event": "purchase",
                                                          "properties": ["amount": 20]], key: k)
        let customer = try #require(ana["customer_id"]?.intValue)
        let id = try #require(create(owner.token, "Repeat buyers", ["event": "purchase", "within_days": 30, "count_min": 2])["id"]?.intValue)
        try waitBuilt(owner.token, id)
        #expect(try members(id).isEmpty)
        let rebuilds = try client.db.queryOne("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = \(owner.tenantID) AND kind = 'segments.rebuild'")!.int("n")

        let stop = AtomicFlag()
        let runner = JobRunner(registry: JobKinds.registry(), database: try TestDatabase.configuration(), kinds: ["none"])
        let thread = try JoinableThread { try? runner.run(concurrency: 0, stop: stop) }
        defer { stop.set(); thread.join() }
        let sent = Date()
        #expect(client.send("POST", "/v1/track/event", ["customer_email": "ana@example.com", "event": "purchase",
                                                        "properties": ["amount": 30]], key: k).status == 200)
        var seconds: Double?
        while Date().timeIntervalSince(sent) < 5 {
            if try members(id).contains(customer) { seconds = Date().timeIntervalSince(sent); break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(seconds != nil, "the customer entered the segment within 5 s")
        #expect(client.send("GET", "/v1/segments/\(id)", token: owner.token)["customers_count"] == 1)
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = \(owner.tenantID) AND kind = 'segments.rebuild'")!.int("n") == rebuilds,
                "no rebuild")
        let change = try #require(try client.db.queryOne("SELECT event FROM segment_changes WHERE segment_id = \(id) AND customer_id = \(customer)"))
        #expect(try change.string("event") == "segment_entered")
        #expect(client.send("GET", "/v1/customers/\(customer)", token: owner.token)["segments"] == ["Repeat buyers"])
        let feed = client.send("GET", "/v1/segments/changes", token: owner.token, query: "customer_id=\(customer)")
        #expect(feed["data"]?.arrayValue?.first?["event"] == "segment_entered")
        #expect(feed["data"]?.arrayValue?.first?["segment_name"] == "Repeat buyers")
        #expect(client.send("GET", "/v1/segments/changes", token: client.register().token, query: "customer_id=\(customer)")["data"] == [],
                "another workspace sees nothing")

        // An update of the customer moves them too (a property condition).
        let pro = try #require(create(owner.token, "Pro plan", ["property": "plan", "equals": "pro"])["id"]?.intValue)
        try waitBuilt(owner.token, pro)
        #expect(client.send("PUT", "/v1/customers/\(customer)", ["properties": ["plan": "pro"]], token: owner.token).status == 200)
        let updated = Date()
        while Date().timeIntervalSince(updated) < 5, try !members(pro).contains(customer) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try members(pro).contains(customer))
        // A new customer is evaluated too.
        let everyone = try #require(create(owner.token, "Everyone", [:])["id"]?.intValue)
        try waitBuilt(owner.token, everyone)
        let newID = try #require(client.send("POST", "/v1/customers", ["email": "new@example.com"], token: owner.token)["id"]?.intValue)
        let made = Date()
        while Date().timeIntervalSince(made) < 5, try !members(everyone).contains(newID) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try members(everyone).contains(newID))
        // A customer made by tracking is evaluated against every segment, not only those
        // that tracking can change.
        let tracked = try #require(client.send("POST", "/v1/track/event", ["customer_email": "brand.new@example.com", "event": "signup"], key: k)["customer_id"]?.intValue)
        let trackedAt = Date()
        while Date().timeIntervalSince(trackedAt) < 5, try !members(everyone).contains(tracked) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(try members(everyone).contains(tracked))
        // Erasing the customer takes them out, with their exit counted.
        #expect(client.send("DELETE", "/v1/customers/\(newID)", token: owner.token).status == 200)
        #expect(client.send("GET", "/v1/segments/\(everyone)", token: owner.token)["customers_count"] == 2)
    }

    /// A single tracked event (the one-round-trip procedure, schema/027) marks its customer
    /// in the same transaction: every segment for a customer whose only event it is (new, or
    /// made earlier without events), the activity segments for the others; nothing while the
    /// workspace has no segment.
    @Test func singleEventsMarkTheirCustomerDirty() throws {
        let owner = client.register()
        let k = key(owner.token)
        func reasons(_ id: Int) throws -> Int? {
            try client.db.queryOne("SELECT reasons FROM segment_dirty WHERE customer_id = \(id)")?.int("reasons")
        }
        let before = try #require(client.send("POST", "/v1/track/event", ["customer_email": "early@example.com", "event": "visit"], key: k)["customer_id"]?.intValue)
        #expect(try reasons(before) == nil, "no segment yet: no mark")
        _ = try #require(create(owner.token, "Everyone", [:])["id"]?.intValue)
        try client.db.execute("DELETE FROM segment_dirty WHERE tenant_id = \(owner.tenantID)")
        let made = try #require(client.send("POST", "/v1/customers", ["email": "made@example.com"], token: owner.token)["id"]?.intValue)
        try client.db.execute("DELETE FROM segment_dirty WHERE tenant_id = \(owner.tenantID)")

        let fresh = try #require(client.send("POST", "/v1/track/event", ["customer_email": "fresh@example.com", "event": "signup"], key: k)["customer_id"]?.intValue)
        #expect(try reasons(fresh) == 3, "a customer made by this event: every segment")
        #expect(client.send("POST", "/v1/track/event", ["customer_email": "MADE@example.com ", "event": "visit"], key: k)["customer_id"]?.intValue == made)
        #expect(try reasons(made) == 3, "their first event: every segment")
        #expect(client.send("POST", "/v1/track/event", ["customer_email": "early@example.com", "event": "visit"], key: k)["customer_id"]?.intValue == before)
        #expect(try reasons(before) == 2, "a customer with events before: the activity segments")
        let p = client.send("GET", "/v1/customers/\(before)", token: owner.token)
        #expect(p["events_count"] == 2 && p["clv_order_count"] == 0 && p["clv_average_order"] == .null && p["currency"] == .null)
    }

    /// "Seen within N days" ends by time alone: the boundary sweep finds the customer whose
    /// last visit crossed now - N days and the evaluator takes them out.
    @Test func timeBasedExit() throws {
        let owner = client.register()
        let customer = try client.db.execute("""
            INSERT INTO customers (tenant_id, email, last_seen_at, created_at, updated_at)
            VALUES (\(owner.tenantID), 'fading@example.com', UTC_TIMESTAMP(6) - INTERVAL 10 DAY + INTERVAL 60 SECOND,
                    UTC_TIMESTAMP(6) - INTERVAL 20 DAY, UTC_TIMESTAMP(6))
            """).lastInsertID
        let id = try #require(create(owner.token, "Active", ["last_seen_within_days": 10])["id"]?.intValue)
        let inactive = try #require(create(owner.token, "Dormant", ["inactive_days_min": 10])["id"]?.intValue)
        try waitBuilt(owner.token, id)
        try waitBuilt(owner.token, inactive)
        #expect(try members(id) == [customer] && members(inactive).isEmpty)
        // Time passes: the last visit is now 10 days and a second ago (written behind the
        // evaluator's back, as time moves), and this test's own sweep clock last ran two minutes
        // ago (a clock of its own: the shared one moves whenever another test sweeps).
        try client.db.execute("UPDATE customers SET last_seen_at = UTC_TIMESTAMP(6) - INTERVAL 10 DAY - INTERVAL 1 SECOND WHERE id = \(customer)")
        let clock = "test-\(owner.tenantID)"
        try client.db.execute("INSERT INTO segment_clock (name, checked_at) VALUES (\(clock), UTC_TIMESTAMP(6) - INTERVAL 120 SECOND)")
        #expect(try SegmentStore.markBoundaryCrossings(client.db, name: clock) >= 1)
        try evaluateDirty()
        #expect(try members(id).isEmpty, "left by time alone")
        #expect(try members(inactive) == [customer], "entered by time alone")
        let events = try client.db.query("SELECT segment_id, event FROM segment_changes WHERE customer_id = \(customer) ORDER BY segment_id, id")
            .map { "\(try $0.int("segment_id")):\(try $0.string("event"))" }
        #expect(events == ["\(id):segment_entered", "\(id):segment_exited", "\(inactive):segment_entered"])
        let history = client.send("GET", "/v1/segments/\(id)/history", token: owner.token, query: "days=7")
        #expect(history["data"]?.arrayValue?.count == 7)
        #expect(history["data"]?.arrayValue?.last?["customers_count"] == 0 && history["data"]?.arrayValue?.last?["entered"] == 1)
    }

    @Test func builtInRFMSegments() throws {
        let owner = client.register()
        let list = client.send("GET", "/v1/segments", token: owner.token)
        let system = list["data"]!.arrayValue!.filter { $0["system"] == true }
        #expect(system.count == 11)
        let champions = try #require(system.first { $0["name"] == "Champions" })
        #expect(champions["color"] == "#34d399")
        #expect(system.first { $0["name"] == "At Risk" }?["color"] == "#fbbf24")
        let id = champions["id"]!.intValue!
        #expect(client.send("PUT", "/v1/segments/\(id)", ["name": "Mine"], token: owner.token).status == 403)
        #expect(client.send("DELETE", "/v1/segments/\(id)", token: owner.token).status == 403)
        try waitBuilt(owner.token, id)
        // A recompute's output: the built-in segments follow it.
        let customer = try client.db.execute("""
            INSERT INTO customers (tenant_id, email, created_at, updated_at) VALUES (\(owner.tenantID), 'champ@example.com', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        try client.db.execute("UPDATE customers SET rfm_segment = 'Champions', rfm_score = 15 WHERE id = \(customer)")
        let k = key(owner.token)
        let r = client.send("POST", "/v1/track/event", ["customer_email": "champ@example.com", "event": "purchase",
                                                        "properties": ["amount": 99]], key: k)
        #expect(r.status == 200)
        try client.db.execute("UPDATE customers SET rfm_segment = 'Champions' WHERE id = \(customer)")
        try evaluateDirty()
        #expect(try members(id) == [customer])
        #expect(client.send("GET", "/v1/segments/\(id)", token: owner.token)["system"] == true)
    }

    @Test func exportIsCSV() throws {
        let owner = client.register()
        for (i, name) in ["Ana Kovač", "=cmd|' /C calc'!A0", "Comma, \"Quoted\""].enumerated() {
            try client.db.execute("""
                INSERT INTO customers (tenant_id, name, email, country, created_at, updated_at)
                VALUES (\(owner.tenantID), \(name), \("e\(i)@example.com"), 'HR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """)
        }
        let id = try #require(create(owner.token, "Croatia", ["country": "HR"])["id"]?.intValue)
        try waitBuilt(owner.token, id)
        let csv = client.send("GET", "/v1/segments/\(id)/export.csv", token: owner.token)
        #expect(csv.status == 200 && csv.response.header("Content-Type")?.hasPrefix("text/csv") == true)
        let lines = csv.body.split(separator: "\r\n")
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("id,name,email"))
        #expect(csv.body.contains("Ana Kovač") && csv.body.contains("'=cmd") && csv.body.contains("\"Comma, \"\"Quoted\"\"\""))
    }
}
