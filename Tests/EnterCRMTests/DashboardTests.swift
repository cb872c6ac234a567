@testable import Dashboard
import Core
import Foundation
import MariaDB
import Testing
import TestSupport
import Web

/// The home dashboard's rollups (schema/033_dashboard.sql) and its count of active customers
/// past `DashboardStore.exactLimit`: stored per range, served while fresh, counted again by the
/// job runner once old. (GET /v1/dashboard's figures are checked end to end in
/// Tests/e2e/test_dashboard.py.)
@Suite struct DashboardTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    /// A workspace with customers active on given days (events tracked with those days).
    func workspace(_ days: [(email: String, at: String)]) throws -> Tenant {
        let owner = client.register()
        let key = client.send("POST", "/v1/api-keys", ["name": "Server"], token: owner.token)["key"]!.stringValue!
        let events: [JSON] = days.map { ["event": "visit", "customer_email": .string($0.email), "occurred_at": .string($0.at)] }
        let r = client.send("POST", "/v1/track/batch", ["events": .array(events)], key: key)
        precondition(r.status == 200, r.body)
        return Tenant(id: owner.tenantID)
    }

    @Test func customerDaysAreCountedOncePerCustomerAndDay() throws {
        let tenant = try workspace([("a@dash.test", "2025-03-11T08:00:00Z"), ("a@dash.test", "2025-03-11T09:00:00Z"),
                                    ("a@dash.test", "2025-03-12T09:00:00Z"), ("b@dash.test", "2025-03-11T10:00:00Z")])
        let range = DashboardRange(from: DashboardRange.parseDay("2025-03-11")!, to: DashboardRange.parseDay("2025-03-13")!, interval: .day)
        let totals = try DashboardStore.totals(client.db, tenant, range)
        #expect(totals.events.current == 4)
        #expect(totals.customerDays == 3)
        let active = try #require(try DashboardStore.activeCustomers(client.db, tenant, range, customerDays: totals.customerDays))
        #expect(active.current == 2 && active.previous == 0 && active.countedAt == nil)
    }

    @Test func largeRangesAreStoredAndCountedAgainByTheJobRunner() throws {
        let tenant = try workspace([("a@dash.test", "2025-03-11T08:00:00Z"), ("b@dash.test", "2025-03-04T08:00:00Z")])
        let range = DashboardRange(from: DashboardRange.parseDay("2025-03-10")!, to: DashboardRange.parseDay("2025-03-17")!, interval: .day)
        let large = DashboardStore.exactLimit + 1
        let first = try #require(try DashboardStore.activeCustomers(client.db, tenant, range, customerDays: large))
        #expect(first.current == 1 && first.previous == 1 && first.countedAt != nil)

        // New activity in the range: the stored count is served while fresh …
        try client.db.execute("""
            INSERT INTO customer_active_days (tenant_id, day, customer_id)
            SELECT tenant_id, '2025-03-12', id FROM customers WHERE tenant_id = \(tenant) AND email = 'b@dash.test'
            """)
        #expect(try DashboardStore.activeCustomers(client.db, tenant, range, customerDays: large)?.current == 1)
        #expect(try DashboardStore.countActive(client.db, tenant, range).current == 2)

        // … and once old, still served, with a recount queued (once a minute).
        try client.db.execute("UPDATE dashboard_active SET computed_at = UTC_TIMESTAMP(6) - INTERVAL 2 MINUTE WHERE tenant_id = \(tenant)")
        #expect(try DashboardStore.activeCustomers(client.db, tenant, range, customerDays: large)?.current == 1)
        _ = try DashboardStore.activeCustomers(client.db, tenant, range, customerDays: large)
        let queued = try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM jobs WHERE kind = \(DashboardStore.jobKind) AND tenant_id = \(tenant) AND status = 'queued'
            """)?.int("n")
        #expect(queued == 1)
        try DashboardStore.recount(client.db, tenant, range)
        #expect(try DashboardStore.activeCustomers(client.db, tenant, range, customerDays: large)?.current == 2)
    }

    @Test func aHugeRangeNeverCountedIsLeftToTheJobRunner() throws {
        let tenant = try workspace([("a@dash.test", "2025-03-11T08:00:00Z")])
        let range = DashboardRange(from: DashboardRange.parseDay("2025-03-10")!, to: DashboardRange.parseDay("2025-03-17")!, interval: .day)
        #expect(try DashboardStore.activeCustomers(client.db, tenant, range, customerDays: DashboardStore.synchronousLimit + 1) == nil)
        let queued = try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM jobs WHERE kind = \(DashboardStore.jobKind) AND tenant_id = \(tenant) AND status = 'queued'
            """)?.int("n")
        #expect(queued == 1)
    }

    @Test func rangesAndBuckets() throws {
        let week = try #require(DashboardRange.parseDay("2025-03-12"))
        #expect(DashboardRange.text(DashboardRange.bucket(of: week, .week)) == "2025-03-10")
        #expect(DashboardRange.text(DashboardRange.bucket(of: week, .month)) == "2025-03-01")
        #expect(DashboardRange.text(DashboardRange.next(DashboardRange.parseDay("2025-12-01")!, .month)) == "2026-01-01")
        #expect(DashboardRange.parseDay("2025-02-29") == nil && DashboardRange.parseDay("2024-02-29") != nil)
        #expect(DashboardRange.parseDay("2025-3-01") == nil && DashboardRange.parseDay("+025-03-01") == nil)
        let today = try #require(DashboardRange.parseDay("2026-12-07"))
        let fallback = try DashboardRange.parse([:], today: today)
        #expect(DashboardRange.text(fallback.from) == "2026-11-08" && DashboardRange.text(fallback.to) == "2026-12-08")
        #expect(fallback.interval == .day && fallback.buckets.count == 30)
        let year = try DashboardRange.parse(["from": "2025-12-01", "to": "2026-12-08"], today: today)
        #expect(year.interval == .month && year.buckets.count == 13)
    }
}
