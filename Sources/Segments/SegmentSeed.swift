import Foundation
import MariaDB
import Web
import Core

/// The demo workspace's segments, built at once so that `make up` opens on counted
/// segments; the built-in RFM ones follow the first RFM recompute of `entercrm jobs`.
package enum SegmentSeed {
    static let segments: [(name: String, description: String, color: String, filters: JSON)] = [
        ("High Value", "Spent 1,000 or more", "#f472b6", ["clv_total_min": 1000]),
        ("Recent Buyers", "Bought in the last 30 days", "#38bdf8", ["event": "purchase", "within_days": 30]),
        ("Premium in Croatia", "Premium plan customers in Croatia", "#c084fc",
         ["all": [["country": "HR"], ["property": "plan", "equals": "premium"]]]),
        ("Slipping Away", "Bought twice or more but not seen for 30 days", "#fb7185",
         ["purchase_count_min": 2, "inactive_days_min": 30]),
        ("Newcomers", "Joined in the last 60 days", "#a3e635", ["created_within_days": 60]),
        ("VIP or Expo", "Tagged VIP or met at the Zagreb Expo", "#fbbf24", ["tag": ["VIP", "Zagreb Expo 2026"]]),
    ]

    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        try SegmentStore.ensureSystemSegments(db, tenant)
        for s in segments {
            guard try db.queryOne("SELECT id FROM segments WHERE tenant_id = \(tenant) AND name = \(s.name)") == nil else { continue }
            let id = try db.execute("""
                INSERT INTO segments (tenant_id, name, description, color, filters, created_at, updated_at)
                VALUES (\(tenant), \(s.name), \(s.description), \(s.color), \(JSONWriter.string(s.filters)),
                        UTC_TIMESTAMP(6) - INTERVAL 30 DAY, UTC_TIMESTAMP(6))
                """).lastInsertID
            try SegmentStore.rebuild(db, tenant, segment: id)
            let count = try db.queryOne("SELECT customers_count FROM segments WHERE id = \(id)")?.int("customers_count") ?? 0
            log("seed: segment \(s.name) (\(count) customers)")
        }
    }
}
