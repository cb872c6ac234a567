@testable import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
@testable import Core
@testable import Segments

/// Segment entries and exits on the customer's timeline (GET /v1/customers/{id}/events),
/// merged from `segment_changes` with the tracked events, paginated as one list.
@Suite struct SegmentTimelineTests {
    @Test func entriesAndExitsMergeIntoTheEventsTimeline() throws {
        let client = try TestClient()
        let owner = client.register()
        let key = client.send("POST", "/v1/api-keys", ["name": "k", "type": "secret"], token: owner.token)["key"]!.stringValue!
        let email = TestDatabase.unique("timeline") + "@example.com"
        let base = Date().addingTimeInterval(-3600)
        var customer = 0
        for (i, minutes) in [0.0, 20, 40].enumerated() {
            let r = client.send("POST", "/v1/track/event", ["customer_email": .string(email), "event": .string("step\(i)"),
                                                            "occurred_at": .string(RFC3339.format(base.addingTimeInterval(minutes * 60)))], key: key)
            #expect(r.status == 200, "\(r.body)")
            customer = r["customer_id"]?.intValue ?? 0
        }
        let tenant = Tenant(id: owner.tenantID)
        let segment = try #require(client.send("POST", "/v1/segments", ["name": "Timeline VIP", "filters": ["country": "HR"]], token: owner.token)["id"]?.intValue)
        try SegmentStore.apply(client.db, tenant, entered: [[segment, customer]], exited: [])
        try SegmentStore.apply(client.db, tenant, entered: [], exited: [[segment, customer]])
        // Entered 10 minutes in, left 30 minutes in: between the tracked events.
        let changes = try client.db.query("SELECT id FROM segment_changes WHERE segment_id = \(segment) ORDER BY id").map { try $0.int("id") }
        try #require(changes.count == 2)
        try client.db.execute("UPDATE segment_changes SET occurred_at = \(base.addingTimeInterval(600)) WHERE id = \(changes[0])")
        try client.db.execute("UPDATE segment_changes SET occurred_at = \(base.addingTimeInterval(1800)) WHERE id = \(changes[1])")

        var seen: [JSON] = []
        for page in 1...3 {
            let r = client.send("GET", "/v1/customers/\(customer)/events", token: owner.token, query: "per_page=2&page=\(page)")
            #expect(r.status == 200)
            #expect(r["meta"]?["total"] == 5)
            #expect(r["meta"]?["last_page"] == 3)
            seen += r["data"]?.arrayValue ?? []
        }
        #expect(seen.compactMap { $0["type"]?.stringValue == "event" ? $0["event"]?.stringValue : $0["type"]?.stringValue }
                == ["step2", "segment_exited", "step1", "segment_entered", "step0"], "newest first, merged")
        let entered = try #require(seen.first { $0["type"] == "segment_entered" })
        #expect(entered["properties"]?["segment_id"] == .int(segment))
        #expect(entered["properties"]?["segment_name"] == "Timeline VIP")
        #expect(entered["event_id"]?.stringValue?.hasPrefix("segchg_") == true)
        #expect(Set(seen.compactMap { $0["event_id"]?.stringValue }).count == 5, "no item twice across pages")
        let oldest = client.send("GET", "/v1/customers/\(customer)/events", token: owner.token, query: "per_page=2&order=asc")
        #expect(oldest["data"]?.arrayValue?.map { $0["event"]?.stringValue ?? "" } == ["step0", "segment_entered"])
        // Nothing stored twice: the events table still holds only the tracked events.
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM events WHERE customer_id = \(customer)")!.int("n") == 3)
        #expect(client.send("GET", "/v1/customers/\(customer)/events", token: client.register().token).status == 404)
    }
}
