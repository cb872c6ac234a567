@testable import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
@testable import Core
@testable import Tracking

/// A customer's aggregates have one home (`customer_add_events`, schema/027): whichever path
/// wrote their events (one event at a time, a batch by email or by id, the seed's direct
/// `EventRecorder.record`, anonymous history joined by identify, or a mix), the same events
/// give the same aggregates, to the cent and the microsecond.
@Suite struct CustomerAggregateTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    func key(_ owner: String) -> String {
        client.send("POST", "/v1/api-keys", ["name": "k"], token: owner)["key"]!.stringValue!
    }

    /// The same five events, out of time order: a purchase without a currency before those
    /// with one, an amount that rounds, an average that rounds half up.
    static let events: [JSON] = [
        ["type": "pageview", "url": "https://shop.example/", "occurred_at": "2026-03-05T10:00:00.123456Z"],
        ["event": "purchase", "properties": ["amount": "19.99"], "occurred_at": "2026-03-02T08:30:00Z"],
        ["event": "purchase", "properties": ["amount": "0.255", "currency": "usd"], "occurred_at": "2026-03-09T23:59:59.999999Z"],
        ["event": "signup", "occurred_at": "2026-03-01T00:00:00Z"],
        ["event": "purchase", "properties": ["amount": 5.01, "currency": "EUR"], "occurred_at": "2026-03-04T12:00:00Z"],
    ]

    func event(_ e: JSON, _ identity: JSON) -> JSON {
        var body = e.objectValue!
        for (k, v) in identity.objectValue! { body[k] = v }
        return .object(body)
    }

    func aggregates(_ tenant: Int, _ id: Int) throws -> [String] {
        let row = try #require(try client.db.queryOne("""
            SELECT events_count, DATE_FORMAT(last_seen_at, '%Y-%m-%d %H:%i:%s.%f') AS seen, clv_total, clv_order_count,
                   clv_average_order, DATE_FORMAT(first_order_at, '%Y-%m-%d %H:%i:%s.%f') AS first_order,
                   DATE_FORMAT(last_order_at, '%Y-%m-%d %H:%i:%s.%f') AS last_order, currency
            FROM customers WHERE tenant_id = \(tenant) AND id = \(id)
            """))
        return ["events_count", "seen", "clv_total", "clv_order_count", "clv_average_order", "first_order", "last_order", "currency"]
            .map { "\($0)=\(row.optionalString($0) ?? "NULL")" }
    }

    @Test func theSameEventsGiveTheSameAggregatesWhicheverPathWroteThem() throws {
        let owner = client.register()
        let k = key(owner.token)
        let tenant = owner.tenantID
        var ids: [String: Int] = [:]

        // 1. One event at a time: the track_one_event procedure.
        for e in Self.events {
            let r = client.send("POST", e["type"] == "pageview" ? "/v1/track/pageview" : "/v1/track/event",
                                event(e, ["customer_email": "single@example.com"]), key: k)
            #expect(r.status == 200, "\(r.body)")
            ids["single"] = r["customer_id"]?.intValue
        }
        // 2. One batch by email, the customer new.
        let batch = client.send("POST", "/v1/track/batch", ["events": .array(Self.events.map { event($0, ["customer_email": "batch@example.com"]) })], key: k)
        #expect(batch["recorded"] == 5, "\(batch.body)")
        ids["batch"] = try #require(try client.db.queryOne("SELECT id FROM customers WHERE tenant_id = \(tenant) AND email = 'batch@example.com'")?.int("id"))
        // 3. One batch by customer_id, the customer made beforehand without events.
        let made = try #require(client.send("POST", "/v1/customers", ["email": "byid@example.com"], token: owner.token)["id"]?.intValue)
        let byID = client.send("POST", "/v1/track/batch", ["events": .array(Self.events.map { event($0, ["customer_id": .int(Int64(made))]) })], key: k)
        #expect(byID["recorded"] == 5, "\(byID.body)")
        ids["byid"] = made
        // 4. Two single events, then a batch of the rest onto the existing customer.
        for e in Self.events.prefix(2) {
            let r = client.send("POST", e["type"] == "pageview" ? "/v1/track/pageview" : "/v1/track/event",
                                event(e, ["customer_email": "mixed@example.com"]), key: k)
            ids["mixed"] = r["customer_id"]?.intValue
        }
        let rest = client.send("POST", "/v1/track/batch", ["events": .array(Self.events.dropFirst(2).map { event($0, ["customer_email": "mixed@example.com"]) })], key: k)
        #expect(rest["recorded"] == 3, "\(rest.body)")
        // 5. The seed's path: EventRecorder.record called directly, in chunks of two.
        let request = Request(method: "POST", path: "/v1/track/batch", queryString: "", headers: [:], body: [], remoteAddress: "127.0.0.1")
        let tracked = try Self.events.map { try TrackedEvent(event($0, ["customer_email": "seed@example.com"]).objectValue!,
                                                             kind: $0["type"] == "pageview" ? .pageview : .event, request: request, now: Date()) }
        for chunk in stride(from: 0, to: tracked.count, by: 2) {
            _ = try EventRecorder.record(client.db, Tenant(id: tenant), Array(tracked[chunk..<min(chunk + 2, tracked.count)]))
        }
        ids["seed"] = try #require(try client.db.queryOne("SELECT id FROM customers WHERE tenant_id = \(tenant) AND email = 'seed@example.com'")?.int("id"))
        // 6. Anonymous history (a secret key: its revenue counts), joined by identify.
        for e in Self.events {
            let r = client.send("POST", e["type"] == "pageview" ? "/v1/track/pageview" : "/v1/track/event",
                                event(e, ["anonymous_id": "anon-aggregates"]), key: k)
            #expect(r.status == 200 && r["customer_id"] == .null)
        }
        let identified = client.send("POST", "/v1/track/identify", ["anonymous_id": "anon-aggregates", "email": "identified@example.com"], key: k)
        #expect(identified["merged_events"] == 5, "\(identified.body)")
        ids["identified"] = identified["customer_id"]?.intValue

        let expected = ["events_count=5", "seen=2026-03-09 23:59:59.999999", "clv_total=25.26", "clv_order_count=3",
                        "clv_average_order=8.42", "first_order=2026-03-02 08:30:00.000000", "last_order=2026-03-09 23:59:59.999999",
                        "currency=USD"]
        for (path, id) in ids.sorted(by: { $0.key < $1.key }) {
            #expect(try aggregates(tenant, id) == expected, "the \(path) path")
        }
        #expect(ids.count == 6)
    }

    /// identify writes the profile (and, merging, the activity): its customer is marked for
    /// every segment, by the mark's one home, as a profile write through the API is.
    @Test func identifyMarksItsCustomerForEverySegment() throws {
        let owner = client.register()
        let k = key(owner.token)
        #expect(client.send("POST", "/v1/segments", ["name": "Everyone", "filters": [:]], token: owner.token).status == 201)
        client.send("POST", "/v1/track/pageview", ["anonymous_id": "anon-mark", "url": "https://shop.example/"], key: k)
        let merged = client.send("POST", "/v1/track/identify", ["anonymous_id": "anon-mark", "email": "merged@example.com"], key: k)
        let plain = client.send("POST", "/v1/track/identify", ["email": "plain@example.com", "traits": ["city": "Zadar"]], key: k)
        for reply in [merged, plain] {
            let id = try #require(reply["customer_id"]?.intValue)
            let reasons = try client.db.queryOne("SELECT reasons FROM segment_dirty WHERE tenant_id = \(owner.tenantID) AND customer_id = \(id)")?.int("reasons")
            #expect(reasons == 3, "\(reply.body)")
        }
    }

    /// The home answers how many of the customers it was given it found (fewer: one was
    /// erased meanwhile, and the batch starts again), read from its OUT parameter.
    @Test func addingEventsAnswersHowManyCustomersWereFound() throws {
        let owner = client.register()
        let a = try #require(client.send("POST", "/v1/customers", ["email": "a@example.com"], token: owner.token)["id"]?.intValue)
        let b = try #require(client.send("POST", "/v1/customers", ["email": "b@example.com"], token: owner.token)["id"]?.intValue)
        let request = Request(method: "POST", path: "/v1/track/event", queryString: "", headers: [:], body: [], remoteAddress: "127.0.0.1")
        let e = try TrackedEvent((["customer_email": "a@example.com", "event": "purchase", "properties": ["amount": 7]] as JSON).objectValue!, kind: .event,
                                 request: request, now: Date())
        let found = try client.db.transaction {
            try EventRecorder.addEvents(client.db, Tenant(id: owner.tenantID), [(a, e), (a, e), (b, e), (b + 1_000_000, e)])
        }
        #expect(found == 2)
        let totals = try aggregates(owner.tenantID, a)
        #expect(totals[0] == "events_count=2" && totals[2] == "clv_total=14.00" && totals[3] == "clv_order_count=2")
    }
}
