@testable import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
@testable import Jobs
@testable import Accounts

/// The audit log: what is recorded, who reads it, its filters and pages, that nothing
/// changes it through the API, and the retention job.
@Suite struct AuditLogTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    func actions(_ r: TestClient.Reply) -> [String] {
        r["data"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
    }

    @Test func securityActionsAreRecordedWithWhoWhatAndWhere() throws {
        let w = try RoleWorkspace(client)
        let admin = Caller.role(.admin)
        let customer = w.make("POST", "/v1/customers", ["name": "Ana", "email": "ana@example.com", "country": "HR"])["id"]!.intValue!
        let segment = w.make("POST", "/v1/segments", ["name": "Croatia", "filters": ["country": "HR"]])["id"]!.intValue!
        let campaign = w.make("POST", "/v1/campaigns", ["name": "Spring", "type": "email", "segment_id": .int(segment),
                                                         "subject": "Hi", "body": "<p>Hi</p>"])["id"]!.intValue!
        let draft = w.make("POST", "/v1/campaigns", ["name": "Draft", "type": "email", "subject": "Hi", "body": "<p>Hi</p>"])["id"]!.intValue!
        let automation = w.make("POST", "/v1/automations", ["name": "Welcome", "trigger_type": "customer_created"])["id"]!.intValue!
        w.make("POST", "/v1/automations/\(automation)/design", [
            "nodes": [["id": "1", "type": "trigger", "data": ["label": "Customer created"], "position": ["x": 0, "y": 0]]], "edges": [],
        ])
        let crm = "/api/brands/\(w.tenant)/crm"
        let entity = w.make("POST", crm + "/entities", ["name": "Deals", "slug": "deals", "preset": "deals"])
        let field = w.make("POST", crm + "/entities/\(entity["id"]!.intValue!)/fields", ["name": "Source", "key": "source", "type": "text"])

        func ok(_ r: TestClient.Reply) { #expect((200..<300).contains(r.status), "\(r.status) \(r.body)") }
        let headers = ["user-agent": "AuditTest/1.0"]
        ok(client.send("POST", "/v1/api-keys", ["name": "ci"], token: w.tokens[.admin]!, headers: headers))
        let keyID = try #require(client.send("GET", "/v1/api-keys", token: w.tokens[.admin]!)["data"]?.arrayValue?.first?["id"]?.intValue)
        ok(w.send(admin, "DELETE", "/v1/api-keys/\(keyID)"))
        ok(w.send(admin, "PUT", "/v1/users/\(w.userIDs[.member]!)", ["role": "viewer"]))
        let (leaver, _) = try w.addPerson(.member, name: "Leaving Person")
        ok(w.send(admin, "DELETE", "/v1/users/\(leaver)"))
        ok(w.send(admin, "GET", "/v1/customers/\(customer)/export"))
        ok(w.send(admin, "DELETE", "/v1/customers/\(customer)"))
        ok(w.send(admin, "POST", "/v1/campaigns/\(campaign)/send", [:]))
        ok(w.send(admin, "DELETE", "/v1/campaigns/\(draft)"))
        ok(w.send(admin, "POST", "/v1/automations/\(automation)/activate", [:]))
        ok(w.send(admin, "DELETE", "/v1/automations/\(automation)"))
        ok(w.send(admin, "DELETE", crm + "/fields/\(field["id"]!.intValue!)"))
        ok(w.send(admin, "DELETE", crm + "/entities/\(entity["id"]!.intValue!)", query: "force=true"))
        ok(w.send(admin, "DELETE", "/v1/segments/\(segment)"))
        ok(w.send(admin, "PUT", "/v1/workspace", ["count_browser_revenue": true]))
        ok(w.send(admin, "PUT", "/v1/campaigns/settings", ["from_email": "news@example.com", "smtp_password": "hunter2"]))
        // A secret key's actions are its own.
        ok(w.send(.secretKey, "POST", "/v1/customers", ["name": "Bo", "email": "bo@example.com"]))
        let bo = try #require(try client.db.queryOne("SELECT id FROM customers WHERE tenant_id = \(w.tenant) AND email = 'bo@example.com'")?.int("id"))
        ok(w.send(.secretKey, "DELETE", "/v1/customers/\(bo)"))

        let log = w.send(admin, "GET", "/v1/audit-log", query: "per_page=100")
        #expect(log.status == 200, "\(log.body)")
        let recorded = Set(actions(log))
        for action in ["api_key.created", "api_key.revoked", "member.role_changed", "member.removed", "customer.exported",
                       "customer.erased", "campaign.sent", "campaign.deleted", "automation.activated", "automation.deleted",
                       "field.deleted", "entity.deleted", "segment.deleted", "settings.changed"] {
            #expect(recorded.contains(action), "\(action) is recorded: \(recorded.sorted())")
        }
        let rows = log["data"]!.arrayValue!
        let created = try #require(rows.first { $0["action"] == "api_key.created" })
        #expect(created["actor"]?["type"] == "user")
        #expect(created["actor"]?["id"] == .int(Int64(w.userIDs[.admin]!)))
        #expect(created["actor"]?["email"]?.stringValue?.hasSuffix("@company.com") == true)
        #expect(created["user_agent"] == "AuditTest/1.0")
        #expect(created["ip"] != nil && created["created_at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(created["details"]?["name"] == "ci")
        let role = try #require(rows.first { $0["action"] == "member.role_changed" })
        #expect(role["target"]?["type"] == "user" && role["target"]?["id"] == .int(Int64(w.userIDs[.member]!)))
        #expect(role["details"]?["from"] == "member" && role["details"]?["to"] == "viewer")
        let settings = rows.filter { $0["action"] == "settings.changed" }
        #expect(settings.count == 2)
        #expect(!log.body.contains("hunter2"), "a setting's secret value never reaches the log")
        let byKey = try #require(rows.first { $0["action"] == "customer.erased" && $0["target"]?["id"] == .int(Int64(bo)) })
        #expect(byKey["actor"]?["type"] == "api_key" && byKey["actor"]?["name"] == "server")
        // Newest first, in the /v1 envelope.
        #expect(log["meta"]?["total"]?.intValue == rows.count)
        let times = rows.compactMap { $0["created_at"]?.stringValue }
        #expect(times == times.sorted(by: >))
    }

    @Test func filtersPagesAndWhoMayRead() throws {
        let w = try RoleWorkspace(client)
        // What making the workspace recorded itself (its keys, its sign-ins).
        let made = try #require(w.send(.role(.admin), "GET", "/v1/audit-log")["meta"]?["total"]?.intValue)
        for i in 0..<3 { w.make("POST", "/v1/api-keys", ["name": .string("k\(i)")]) }
        #expect(w.send(.role(.admin), "POST", "/v1/api-keys", ["name": "by admin"]).status == 201)
        // Entries of another day, written as the job that imports them would (directly).
        try client.db.execute("""
            INSERT INTO audit_log (tenant_id, actor_user_id, action, created_at)
            VALUES (\(w.tenant), \(w.owner.userID), 'settings.changed', '2026-01-15 10:00:00')
            """)
        let admin = Caller.role(.admin)
        let all = w.send(admin, "GET", "/v1/audit-log")
        #expect(all["meta"]?["total"]?.intValue == made + 5)
        let byAction = w.send(admin, "GET", "/v1/audit-log", query: "action=settings.changed")
        #expect(actions(byAction) == ["settings.changed"])
        let byActor = w.send(admin, "GET", "/v1/audit-log", query: "actor=\(w.userIDs[.admin]!)")
        #expect(byActor["meta"]?["total"] == 1 && byActor["data"]?.arrayValue?.first?["details"]?["name"] == "by admin")
        let day = w.send(admin, "GET", "/v1/audit-log", query: "from=2026-01-15&to=2026-01-15")
        #expect(actions(day) == ["settings.changed"])
        let before = w.send(admin, "GET", "/v1/audit-log", query: "to=2026-01-14")
        #expect(before["meta"]?["total"] == 0)
        let page = w.send(admin, "GET", "/v1/audit-log", query: "per_page=2&page=2")
        #expect(page["meta"]?["current_page"] == 2 && page["meta"]?["per_page"] == 2 && page["meta"]?["last_page"]?.intValue == (made + 6) / 2)
        #expect(page["data"]?.arrayValue?.count == 2)
        // Bad filters name their field.
        for (query, field) in [("actor=abc", "actor"), ("from=yesterday", "from"), ("to=2026-13-45", "to"), ("per_page=x", "per_page")] {
            let r = w.send(admin, "GET", "/v1/audit-log", query: query)
            #expect(r.status == 422 && r["errors"]?[field] != nil, "\(query): \(r.status) \(r.body)")
        }
        // Owners read it; members, viewers and keys do not.
        #expect(w.send(.role(.owner), "GET", "/v1/audit-log").status == 200)
        for caller in [Caller.role(.member), .role(.viewer), .secretKey, .publishableKey] {
            #expect(w.send(caller, "GET", "/v1/audit-log").status == 403, "\(caller)")
        }
        // Another workspace's admin sees none of it.
        let other = try RoleWorkspace(client)
        let theirs = other.send(.role(.admin), "GET", "/v1/audit-log", query: "per_page=100")
        #expect(theirs["data"]?.arrayValue?.allSatisfy { $0["details"]?["name"] != "by admin" } == true)
        #expect(theirs["meta"]?["total"]?.intValue == made)
    }

    @Test func entriesCannotBeChangedOrDeletedThroughTheAPI() throws {
        let names = client.app.routeTable.map(\.name)
        #expect(names.filter { $0.contains("/v1/audit-log") } == ["GET /v1/audit-log"])
        let w = try RoleWorkspace(client)
        let id = try #require(try client.db.queryOne("SELECT id FROM audit_log WHERE tenant_id = \(w.tenant) LIMIT 1")?.int("id"))
        for (method, path) in [("PUT", "/v1/audit-log/\(id)"), ("PATCH", "/v1/audit-log/\(id)"), ("DELETE", "/v1/audit-log/\(id)"),
                               ("DELETE", "/v1/audit-log"), ("POST", "/v1/audit-log"), ("PUT", "/v1/audit-log")] {
            let r = w.send(.role(.owner), method, path, [:])
            #expect(r.status == 404 || r.status == 405, "\(method) \(path): \(r.status)")
        }
        #expect(try w.count("SELECT COUNT(*) AS n FROM audit_log WHERE id = \(id)") == 1)
    }

    @Test func retentionIsASettingOfOwnersOfAtLeast30Days() throws {
        let w = try RoleWorkspace(client)
        let r = w.send(.role(.owner), "PUT", "/v1/workspace", ["audit_retention_days": 30])
        #expect(r.status == 200 && r["audit_retention_days"] == 30, "\(r.body)")
        #expect(w.send(.role(.viewer), "GET", "/v1/workspace")["audit_retention_days"] == 30)
        for bad: JSON in [0, 1, 29, 3651, 5000, "soon", -1, .null] {
            let invalid = w.send(.role(.owner), "PUT", "/v1/workspace", ["audit_retention_days": bad])
            #expect(invalid.status == 422 && invalid["errors"]?["audit_retention_days"] != nil, "\(bad): \(invalid.body)")
        }
        for caller in [Caller.role(.admin), .role(.member)] {
            #expect(w.send(caller, "PUT", "/v1/workspace", ["audit_retention_days": 60]).status == 403, "\(caller)")
        }
        #expect(try w.count("SELECT COUNT(*) AS n FROM tenants WHERE id = \(w.tenant) AND audit_retention_days = 30") == 1)
    }

    /// A workspace set below the floor before there was one (migration 026 raises it; the job
    /// applies the floor whatever is stored) keeps at least 30 days of entries.
    @Test func theRetentionJobKeepsAtLeast30Days() throws {
        let w = try RoleWorkspace(client)
        try client.db.execute("UPDATE tenants SET audit_retention_days = 1 WHERE id = \(w.tenant)")
        for age in [2, 29, 31] {
            try client.db.execute("""
                INSERT INTO audit_log (tenant_id, action, details, created_at)
                VALUES (\(w.tenant), 'test.aged', \("{\"age\": \(age)}"), UTC_TIMESTAMP(6) - INTERVAL \(age) DAY)
                """)
        }
        try AuditRetention.pruneAll(client.db)
        let ages = try client.db.query("""
            SELECT JSON_VALUE(details, '$.age') AS age FROM audit_log WHERE tenant_id = \(w.tenant) AND action = 'test.aged' ORDER BY 1
            """).map { Int(try $0.string("age"))! }
        #expect(ages == [2, 29])
    }

    @Test func theRetentionJobDeletesOnlyOldEntriesOfEachWorkspace() throws {
        let short = try RoleWorkspace(client)
        let long = try RoleWorkspace(client)
        #expect(short.send(.role(.owner), "PUT", "/v1/workspace", ["audit_retention_days": 30]).status == 200)
        for (w, age) in [(short, 40), (short, 10), (long, 40), (long, 400)] {
            try client.db.execute("""
                INSERT INTO audit_log (tenant_id, action, details, created_at)
                VALUES (\(w.tenant), 'test.aged', \("{\"age\": \(age)}"), UTC_TIMESTAMP(6) - INTERVAL \(age) DAY)
                """)
        }
        func ages(_ w: RoleWorkspace) throws -> [Int] {
            try client.db.query("""
                SELECT JSON_VALUE(details, '$.age') AS age FROM audit_log WHERE tenant_id = \(w.tenant) AND action = 'test.aged' ORDER BY 1
                """).map { Int(try $0.string("age"))! }
        }
        let recentBefore = try short.count("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = \(short.tenant) AND action <> 'test.aged'")
        // As the job runner runs it: the registered kind, on a schedule.
        let registry = JobKinds.registry()
        #expect(registry.schedules.contains { $0.kind == AuditRetention.kind && $0.intervalSeconds <= 86_400 })
        let handler = try #require(registry.entries[AuditRetention.kind]?.handler)
        let job = try Job(row: try #require(try client.db.queryOne("""
            SELECT 1 AS id, NULL AS tenant_id, \(AuditRetention.kind) AS kind, '{}' AS payload, 1 AS attempts, 3 AS max_attempts
            """)))
        try handler(JobContext(job: job, db: client.db, runnerID: "test/1"))
        #expect(try ages(short) == [10])
        #expect(try ages(long) == [40])
        #expect(try short.count("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = \(short.tenant) AND action <> 'test.aged'") == recentBefore)
    }
}
