import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web

/// Totals of large filtered entry lists (past EntryQuery.countLimit): counted exactly, kept
/// in crm_list_totals (schema/019_list_totals.sql) for every process, at most 30 s old,
/// recounted in the background past 10 s.
@Suite struct ListTotalsTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    struct Loaded {
        let ws: CRMWorkspace
        let entity: JSON
        let stage: Int
        let field: Int
    }

    /// 24,000 entries in the first stage, loaded straight into MariaDB as crm_bench.sh loads
    /// them; every fifth a Google lead, the others Facebook ones (19,200).
    func loaded() throws -> Loaded {
        let ws = CRMWorkspace(client)
        ws.preset("leads")
        let field = ws.send("POST", "/entities/1/fields", [
            "name": "Lead Source", "key": "lead_source", "type": "select", "options": ["Facebook", "Google"],
        ])
        precondition(field.status == 201, field.body)
        let entity = ws.send("GET", "/entities/1").json
        let stage = ws.stages(entity)[0]
        let tenant = ws.owner.tenantID, entityID = entity["id"]!.intValue!, pipeline = ws.pipeline(entity)
        let fieldID = field["id"]!.intValue!
        let prefix = "t" + TestDatabase.unique("").dropFirst().prefix(7)
        try client.db.execute("""
            INSERT INTO crm_entries (uid, tenant_id, entity_id, pipeline_id, stage_id, title, data, search_text, created_at, updated_at)
            SELECT CONCAT(\(prefix), LPAD(seq, 12, '0')), \(tenant), \(entityID), \(pipeline), \(stage), CONCAT('Bulk ', seq),
                   JSON_OBJECT(\(String(fieldID)), IF(seq % 5 = 0, 'Google', 'Facebook')),
                   CONCAT('Bulk ', seq, ' ', IF(seq % 5 = 0, 'Google', 'Facebook')),
                   UTC_TIMESTAMP(6) - INTERVAL 1 DAY + INTERVAL seq SECOND, UTC_TIMESTAMP(6) - INTERVAL 1 DAY + INTERVAL seq SECOND
            FROM seq_1_to_24000
            """)
        try client.db.execute("""
            INSERT INTO crm_entry_values (entry_id, field_id, seq, tenant_id, value_text)
            SELECT id, \(fieldID), 0, tenant_id, IF(CAST(SUBSTRING(title, 6) AS UNSIGNED) % 5 = 0, 'Google', 'Facebook')
            FROM crm_entries WHERE tenant_id = \(tenant) AND entity_id = \(entityID)
            """)
        try client.db.execute("""
            INSERT INTO crm_stage_counts (tenant_id, stage_id, entity_id, pipeline_id, entries)
            VALUES (\(tenant), \(stage), \(entityID), \(pipeline), 24000) ON DUPLICATE KEY UPDATE entries = entries + 24000
            """)
        return Loaded(ws: ws, entity: entity, stage: stage, field: fieldID)
    }

    func total(_ l: Loaded, _ query: String) -> Int? {
        let r = l.ws.send("GET", "/entities/1/entries", query: "per_page=1&" + query)
        precondition(r.status == 200, r.body)
        return r["total"]?.intValue
    }

    /// The same list counted by brute force.
    func facebookInStage(_ l: Loaded) throws -> Int {
        try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM crm_entries e JOIN crm_entry_values v ON v.entry_id = e.id AND v.field_id = \(l.field)
            WHERE e.tenant_id = \(l.ws.owner.tenantID) AND e.stage_id = \(l.stage) AND v.value_text = 'Facebook'
            """)?.int("n") ?? -1
    }

    func stored(_ l: Loaded) throws -> [(total: Int?, age: Double?)] {
        try client.db.query("""
            SELECT total, TIMESTAMPDIFF(MICROSECOND, computed_at, UTC_TIMESTAMP(6)) / 1e6 AS age
            FROM crm_list_totals WHERE tenant_id = \(l.ws.owner.tenantID)
            """).map { ($0.optionalInt("total"), $0.optionalDouble("age")) }
    }

    /// Makes the stored totals of the workspace `seconds` older.
    func age(_ l: Loaded, _ seconds: Int) throws {
        try client.db.execute("""
            UPDATE crm_list_totals SET computed_at = computed_at - INTERVAL \(seconds) SECOND WHERE tenant_id = \(l.ws.owner.tenantID)
            """)
    }

    @Test func largeTotalsAreExactSharedAndFollowWritesOnceTheirTimeHasPassed() throws {
        let l = try loaded()
        let query = "stage_id=\(l.stage)&values[lead_source]=Facebook"
        #expect(try facebookInStage(l) == 19_200)
        #expect(total(l, query) == 19_200, "counted in full: past countLimit")
        #expect(try stored(l).map(\.total) == [19_200], "and stored for every process")

        // Three more Facebook leads and one Google lead through the API.
        for i in 0..<3 { l.ws.entry(l.entity, title: "New \(i)", stage: l.stage, values: ["lead_source": "Facebook"]) }
        l.ws.entry(l.entity, title: "New Google", stage: l.stage, values: ["lead_source": "Google"])
        #expect(try facebookInStage(l) == 19_203)
        // Younger than ListTotals.refreshAfter: the stored count (of a moment ago) is served.
        #expect(total(l, query) == 19_200)
        // Past ListTotals.lifetime: never served again; the request counts afresh, exactly.
        try age(l, 31)
        #expect(total(l, query) == 19_203)
        #expect(try stored(l).map(\.total) == [19_203])
        #expect(try stored(l).allSatisfy { ($0.age ?? 99) < 5 })

        // Past refreshAfter but not lifetime: the previous count is served at once, and the
        // background counter stores a new one.
        l.ws.entry(l.entity, title: "Newer", stage: l.stage, values: ["lead_source": "Facebook"])
        try age(l, 15)
        #expect(total(l, query) == 19_203, "the previous count, while it is recounted")
        var refreshed = false
        for _ in 0..<100 where !refreshed {
            usleep(100_000)
            refreshed = try stored(l).map(\.total) == [19_204]
        }
        #expect(refreshed, "recounted in the background")
        #expect(total(l, query) == 19_204)

        // A list another counter holds the lease of: the request waits for that count.
        try client.db.execute("""
            UPDATE crm_list_totals SET computed_at = computed_at - INTERVAL 1 HOUR, counting_until = UTC_TIMESTAMP(6) + INTERVAL 60 SECOND
            WHERE tenant_id = \(l.ws.owner.tenantID)
            """)
        let other = client.db.configuration, tenant = l.ws.owner.tenantID
        let counter = Thread {
            Connection.initializeThread()
            let db = Connection(configuration: other)
            usleep(300_000)
            // The other counter's result (a made-up number, so that the test sees whose it is).
            _ = try? db.execute("""
                UPDATE crm_list_totals SET total = 777, computed_at = UTC_TIMESTAMP(6), counting_until = NULL
                WHERE tenant_id = \(tenant)
                """)
            db.disconnect()
            Connection.finishThread()
        }
        counter.start()
        #expect(total(l, query) == 777, "one counter at a time: the waiting request takes its count")
        try age(l, 31)
        #expect(total(l, query) == 19_204)

        // Small lists are always counted afresh, never stored.
        #expect(total(l, "stage_id=\(l.stage)&values[lead_source]=Google") == 4_801)
        #expect(try stored(l).count == 1)
    }
}
