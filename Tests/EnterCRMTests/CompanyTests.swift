@testable import EnterCRM
import FastCGI
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
@testable import Core
@testable import Accounts
@testable import Customers
@testable import Tracking

/// Companies' pure rules: the domain's normalisation (`CompanyDomain`, the one home of what
/// is stored and compared) and the owner filter (`Owners.filter`).
@Suite struct CompanyRuleTests {
    @Test(arguments: [
        ("acme.com", "acme.com"), ("  ACME.COM  ", "acme.com"), ("www.acme.com", "acme.com"),
        ("https://www.acme.com/about?x=1#top", "acme.com"), ("http://Acme.co.uk./", "acme.co.uk"),
        ("//cdn.acme.io/x.js", "cdn.acme.io"), ("shop.acme.com:8443", "shop.acme.com"), ("ftp://files.acme.org", "files.acme.org"),
        ("sales@acme.com", "acme.com"), ("https://user:pass@acme.com/", "acme.com"), ("www2.acme.com", "www2.acme.com"),
        ("wwwacme.com", "wwwacme.com"), ("xn--kovaevi-ifb.hr", "xn--kovaevi-ifb.hr"), ("Kovačević.HR", "kovačević.hr"),
        ("a-b.c-d.com", "a-b.c-d.com"), ("www.www.acme.com", "www.acme.com"),
    ])
    func domainsAreNormalised(raw: String, stored: String) throws {
        let normalized = try CompanyDomain.normalize(raw)
        #expect(normalized == stored)
    }

    @Test func anEmptyDomainIsNone() throws {
        let empty = try CompanyDomain.normalize(""), blank = try CompanyDomain.normalize("   ")
        #expect(empty == nil && blank == nil)
    }

    @Test(arguments: ["acme", "localhost", "https://", "www.", "a..b.com", ".acme.com", "-acme.com", "acme-.com", "ac me.com",
                      "10.0.0.1", "acme.123", "acme_corp.com", "<script>.com", "x.\u{202E}moc"])
    func notAHostName(raw: String) {
        #expect(throws: CompanyDomain.Problem.notAHostName) { try CompanyDomain.normalize(raw) }
    }

    @Test func tooLongAndLabelLimits() {
        #expect(throws: CompanyDomain.Problem.tooLong) { try CompanyDomain.normalize(String(repeating: "a.", count: 100) + "com") }
        #expect(throws: CompanyDomain.Problem.notAHostName) { try CompanyDomain.normalize(String(repeating: "a", count: 64) + ".com") }
        #expect((try? CompanyDomain.normalize(String(repeating: "a", count: 63) + ".com")) != nil)
    }

    @Test func ownerFilters() {
        let session = Principal(tenant: Tenant(id: 1), tenantSlug: "s", tenantName: "S", credential: .session(id: 1, userID: 42, role: .member))
        let key = Principal(tenant: Tenant(id: 1), tenantSlug: "s", tenantName: "S", credential: .apiKey(id: 3, publishable: false))
        var errors = ValidationErrors()
        #expect(Owners.filter("me", principal: session, errors: &errors) == .member(42))
        #expect(Owners.filter(" ME ", principal: session, errors: &errors) == .member(42))
        #expect(Owners.filter("7", principal: key, errors: &errors) == .member(7))
        #expect(Owners.filter("none", principal: key, errors: &errors) == Owners.Filter.none)
        #expect(Owners.filter("", principal: key, errors: &errors) == nil)
        #expect(Owners.filter(nil, principal: key, errors: &errors) == nil)
        #expect(errors.isEmpty)
        #expect(Owners.filter("me", principal: key, errors: &errors) == nil)
        #expect(Owners.filter("-3", principal: session, field: "owner", errors: &errors) == nil)
        #expect(errors.fields.map(\.field) == ["owner_id", "owner"])
    }
}

/// Companies against the database: the free-mail list's one home, and the companies' totals,
/// kept exact by every write that changes a customer's company or clv_total (schema/030).
@Suite struct CompanyTotalsTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    @Test func freeMailNeverGivesADomain() throws {
        let cases: [(String, String?)] = [
            ("a@gmail.com", nil), ("a@GoogleMail.com", nil), ("a@outlook.com", nil), ("a@outlook.de", nil), ("a@hotmail.co.uk", nil),
            ("a@live.com", nil), ("a@yahoo.com", nil), ("a@yahoo.co.jp", nil), ("a@icloud.com", nil), ("a@me.com", nil),
            ("a@aol.com", nil), ("a@proton.me", nil), ("a@protonmail.com", nil), ("a@gmx.de", nil), ("a@gmx.net", nil),
            ("a@web.de", nil), ("a@mail.ru", nil), ("a@yandex.ru", nil), ("a@yandex.com", nil), ("a@net.hr", nil),
            ("a@acme.com", "acme.com"), ("a@Acme.COM", "acme.com"), ("a@sub.acme.com", "sub.acme.com"), ("a@gmail.acme.com", "gmail.acme.com"),
            ("a@mail.com.acme.hr", "mail.com.acme.hr"), ("a@acme.com.", "acme.com"), ("no-at-sign", nil), ("a@localhost", nil),
        ]
        for (email, domain) in cases {
            let row = try client.db.queryOne("SELECT email_company_domain(\(email)) AS d")
            #expect(row?.optionalString("d") == domain, "\(email)")
        }
    }

    func key(_ token: String) -> String {
        client.send("POST", "/v1/api-keys", ["name": "k"], token: token)["key"]!.stringValue!
    }

    /// What the totals must be: a count of the customers and a sum of their clv_total, by company.
    func recount(_ tenant: Int) throws -> [Int: String] {
        var result: [Int: String] = [:]
        for row in try client.db.query("""
            SELECT co.id, CONCAT(co.customers_count, ' ', co.revenue_total) AS kept,
                   CONCAT(COUNT(c.id), ' ', CAST(COALESCE(SUM(c.clv_total), 0) AS DECIMAL(16,2))) AS counted
            FROM companies co LEFT JOIN customers c ON c.tenant_id = co.tenant_id AND c.company_id = co.id
            WHERE co.tenant_id = \(tenant) GROUP BY co.id
            """) {
            let id = try row.int("id"), kept = try row.string("kept"), counted = try row.string("counted")
            #expect(kept == counted, "company \(id): kept \(kept), counted \(counted)")
            result[id] = kept
        }
        return result
    }

    /// The company side of `CustomerAggregateTests`: the same five events, written by each
    /// path that adds events to customers (one at a time, a batch by email, a batch by id, the
    /// seed's EventRecorder.record, anonymous history joined by identify), each path's
    /// customer in a company of their own (linked by their email's domain as they were
    /// created, or, by id, made with it): every company's revenue is what the customer's
    /// clv_total is, 25.26.
    @Test func theSameEventsGiveTheSameCompanyRevenueWhicheverPathWroteThem() throws {
        let owner = client.register()
        let k = key(owner.token)
        let tenant = owner.tenantID
        #expect(client.send("PUT", "/v1/workspace", ["link_customers_by_email_domain": true], token: owner.token).status == 200)
        let paths = ["single", "batch", "byid", "seed", "identified"]
        var companies: [String: Int] = [:]
        for path in paths {
            companies[path] = client.send("POST", "/v1/companies", ["name": .string(path), "domain": .string("\(path).paths.example")],
                                          token: owner.token)["id"]?.intValue
        }
        func event(_ e: JSON, _ identity: JSON) -> JSON {
            var body = e.objectValue!
            for (k, v) in identity.objectValue! { body[k] = v }
            return .object(body)
        }
        for e in CustomerAggregateTests.events {
            client.send("POST", e["type"] == "pageview" ? "/v1/track/pageview" : "/v1/track/event",
                        event(e, ["customer_email": "a@single.paths.example"]), key: k)
        }
        client.send("POST", "/v1/track/batch", ["events": .array(CustomerAggregateTests.events.map { event($0, ["customer_email": "a@batch.paths.example"]) })], key: k)
        let made = try #require(client.send("POST", "/v1/customers", ["email": "a@elsewhere.example", "company_id": .int(Int64(companies["byid"]!))],
                                            token: owner.token)["id"]?.intValue)
        client.send("POST", "/v1/track/batch", ["events": .array(CustomerAggregateTests.events.map { event($0, ["customer_id": .int(Int64(made))]) })], key: k)
        let request = Request(method: "POST", path: "/v1/track/batch", queryString: "", headers: [:], body: [], remoteAddress: "127.0.0.1")
        let tracked = try CustomerAggregateTests.events.map {
            try TrackedEvent(event($0, ["customer_email": "a@seed.paths.example"]).objectValue!, kind: $0["type"] == "pageview" ? .pageview : .event,
                             request: request, now: Date())
        }
        _ = try EventRecorder.record(client.db, Tenant(id: tenant), tracked)
        for e in CustomerAggregateTests.events {
            client.send("POST", e["type"] == "pageview" ? "/v1/track/pageview" : "/v1/track/event", event(e, ["anonymous_id": "anon-paths"]), key: k)
        }
        let identified = client.send("POST", "/v1/track/identify", ["anonymous_id": "anon-paths", "email": "a@identified.paths.example"], key: k)
        #expect(identified["merged_events"] == 5, "\(identified.body)")
        for path in paths {
            let company = try #require(client.send("GET", "/v1/companies/\(companies[path]!)", token: owner.token).json.objectValue)
            #expect(company["customers_count"] == 1 && company["revenue_total"]?.doubleValue == 25.26, "the \(path) path: \(company)")
        }
        _ = try recount(tenant)
    }

    /// A random mix of every write that changes a company's totals, checked after each step
    /// against a recount: events one at a time and in batches (by email and by id, new
    /// customers and known ones), the seed's direct EventRecorder.record, anonymous
    /// history joined by identify (the rebuild), moves, unlinks, erasures, customers created
    /// with a company or linked by their domain, and a company deleted.
    @Test func totalsStayExactThroughEveryWrite() throws {
        let owner = client.register()
        let k = key(owner.token)
        let tenant = owner.tenantID
        #expect(client.send("PUT", "/v1/workspace", ["link_customers_by_email_domain": true], token: owner.token).status == 200)
        var companies: [Int] = []
        for i in 0..<4 {
            let r = client.send("POST", "/v1/companies", ["name": .string("Co \(i)"), "domain": .string("co\(i).example")], token: owner.token)
            #expect(r.status == 201, "\(r.body)")
            companies.append(r["id"]!.intValue!)
        }
        var generator = SeededGenerator(seed: 24)
        func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &generator)] }
        func amount() -> JSON { .string(String(format: "%.3f", Double.random(in: 0...250, using: &generator))) }
        func customers() throws -> [Int] {
            try client.db.query("SELECT id FROM customers WHERE tenant_id = \(tenant)").map { try $0.int("id") }
        }
        let request = Request(method: "POST", path: "/v1/track/batch", queryString: "", headers: [:], body: [], remoteAddress: "127.0.0.1")
        for step in 0..<120 {
            let email = "p\(Int.random(in: 0..<30, using: &generator))@co\(Int.random(in: 0..<5, using: &generator)).example"
            let known = try customers()
            switch Int.random(in: 0..<11, using: &generator) {
            case 0, 1:
                let r = client.send("POST", "/v1/track/event", ["customer_email": .string(email), "event": "purchase",
                                                                "properties": ["amount": amount()]], key: k)
                #expect(r.status == 200, "\(r.body)")
            case 2:
                var events: [JSON] = []
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    let who: JSON = known.isEmpty || Bool.random(using: &generator)
                        ? ["customer_email": .string("p\(Int.random(in: 0..<30, using: &generator))@co\(Int.random(in: 0..<5, using: &generator)).example")]
                        : ["customer_id": .int(Int64(pick(known)))]
                    var event = who.objectValue!
                    event["event"] = "purchase"
                    event["properties"] = ["amount": amount()]
                    events.append(.object(event))
                }
                #expect(client.send("POST", "/v1/track/batch", ["events": .array(events)], key: k).status == 200)
            case 3:
                let body: JSON = ["customer_email": .string(email), "event": "purchase", "properties": ["amount": amount()]]
                let tracked = try TrackedEvent(body.objectValue!, kind: .event, request: request, now: Date())
                _ = try EventRecorder.record(client.db, Tenant(id: tenant), [tracked])
            case 4:
                let anon = "anon-\(step)"
                client.send("POST", "/v1/track/event", ["anonymous_id": .string(anon), "event": "purchase", "properties": ["amount": amount()]], key: k)
                let r = client.send("POST", "/v1/track/identify", ["anonymous_id": .string(anon), "email": .string(email)], key: k)
                #expect(r.status == 200, "\(r.body)")
            case 5 where !known.isEmpty, 6 where !known.isEmpty:
                let target: JSON = Int.random(in: 0..<5, using: &generator) == 0 ? .null : .int(Int64(pick(companies)))
                let r = client.send("PUT", "/v1/customers/\(pick(known))", ["company_id": target], token: owner.token)
                #expect(r.status == 200, "\(r.body)")
            case 7 where !known.isEmpty:
                #expect(client.send("DELETE", "/v1/customers/\(pick(known))", token: owner.token).status == 200)
            case 8:
                let r = client.send("POST", "/v1/customers", ["email": .string("made\(step)@elsewhere.example"),
                                                              "company_id": .int(Int64(pick(companies)))], token: owner.token)
                #expect(r.status == 201, "\(r.body)")
            case 9 where step == 90:
                let gone = companies.removeLast()
                #expect(client.send("DELETE", "/v1/companies/\(gone)", token: owner.token).status == 200)
                let left = try client.db.queryOne("SELECT COUNT(*) AS n FROM customers WHERE tenant_id = \(tenant) AND company_id = \(gone)")?.int("n")
                #expect(left == 0)
            default:
                let r = client.send("POST", "/v1/track/event", ["customer_email": .string(email), "event": "signup"], key: k)
                #expect(r.status == 200, "\(r.body)")
            }
            _ = try recount(tenant)
        }
        let totals = try recount(tenant)
        #expect(totals.values.contains { !$0.hasPrefix("0 ") }, "some company has customers: \(totals)")
        let linked = try client.db.queryOne("SELECT COUNT(*) AS n FROM customers WHERE tenant_id = \(tenant) AND company_id IS NOT NULL")?.int("n") ?? 0
        #expect(linked > 0)
    }

    /// Concurrent writers over the same customers and companies: batches of purchases whose
    /// customers belong to different companies in every order, single events, customers
    /// moved between the companies, and new customers linked by their domain. Companies are
    /// locked after customers and in id order (company_add_totals), so the batches do not
    /// deadlock each other; whatever does (a move against a batch) is run again. The totals
    /// equal a recount at the end, and every request answered 200.
    @Test func concurrentWritersKeepTotalsExact() throws {
        let owner = client.register()
        let k = key(owner.token)
        let tenant = owner.tenantID
        #expect(client.send("PUT", "/v1/workspace", ["link_customers_by_email_domain": true], token: owner.token).status == 200)
        var companies: [Int] = []
        for i in 0..<3 {
            companies.append(client.send("POST", "/v1/companies", ["name": .string("Busy \(i)"), "domain": .string("busy\(i).example")],
                                         token: owner.token)["id"]!.intValue!)
        }
        // 18 customers, linked by their domain as they are made: six per company.
        for i in 0..<18 {
            #expect(client.send("POST", "/v1/track/event", ["customer_email": .string("c\(i)@busy\(i % 3).example"), "event": "signup"], key: k).status == 200)
        }
        let ids = try client.db.query("SELECT id FROM customers WHERE tenant_id = \(tenant) ORDER BY id").map { try $0.int("id") }
        let targets = companies
        let app = client.app
        let config = try TestDatabase.configuration()
        var threads: [JoinableThread] = []
        for t in 0..<5 {
            threads.append(try JoinableThread {
                let db = Connection(configuration: config)
                func send(_ method: String, _ path: String, _ body: JSON, auth: (String, String)) {
                    let request = Request(method: method, path: path, headers: [auth.0: auth.1, "content-type": "application/json"],
                                          body: JSONWriter.bytes(body))
                    let response = ErrorResponses.run(request) { try app.handle(request, state: db).settled() }
                    if response.status != 200 && response.status != 201 {
                        Issue.record("\(method) \(path): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
                    }
                }
                for round in 0..<8 {
                    switch t {
                    case 0, 1, 2:
                        // 24 purchases over all 18 customers, in a different order each time.
                        let items: [JSON] = (0..<24).map { i in
                            ["customer_email": .string("c\((i * 5 + t * 7 + round) % 18)@busy\((i * 5 + t * 7 + round) % 18 % 3).example"),
                             "event": "purchase", "properties": ["amount": 1.25]]
                        }
                        send("POST", "/v1/track/batch", ["events": .array(items)], auth: ("x-api-key", k))
                    case 3:
                        // Customers move: each to the next company, or to none.
                        for i in 0..<4 {
                            let target: JSON = (round + i) % 4 == 3 ? .null : .int(Int64(targets[(round + i) % 3]))
                            send("PUT", "/v1/customers/\(ids[(round * 4 + i) % ids.count])", ["company_id": target],
                                 auth: ("authorization", "Bearer \(owner.token)"))
                        }
                    default:
                        for i in 0..<4 {
                            send("POST", "/v1/track/event", ["customer_email": .string("new\(round)-\(i)@busy\(i % 3).example"), "event": "purchase",
                                                             "properties": ["amount": 3.5]], auth: ("x-api-key", k))
                            send("POST", "/v1/track/event", ["customer_email": .string("c\((round + i) % 18)@busy\((round + i) % 18 % 3).example"),
                                                             "event": "purchase", "properties": ["amount": 0.75]], auth: ("x-api-key", k))
                        }
                    }
                }
                db.disconnect()
            })
        }
        for t in threads { t.join() }
        let totals = try recount(tenant)
        let revenue = try client.db.queryOne("SELECT SUM(clv_total) AS s FROM customers WHERE tenant_id = \(tenant)")?.decimal("s")
        #expect(revenue == String(format: "%.2f", 3 * 8 * 24 * 1.25 + 8 * 4 * 3.5 + 8 * 4 * 0.75), "every purchase counted: \(totals)")
    }
}
