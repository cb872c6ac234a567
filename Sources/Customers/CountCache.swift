import Foundation
import MariaDB
import Platform
import Web
import Core

/// Totals for list pages. Small totals are counted exactly on every request (a count that
/// stops at `exactLimit`, a word search's too); a larger one is counted once and kept for
/// `lifetime` seconds per process, so paging
/// through a large filtered list does not count a million rows per page.
/// An unfiltered customer list reads the trigger-kept per-workspace counter instead.
final class CountCache: Sendable {
    private let entries = Lock<[String: (total: Int, expires: Double)]>([:])
    static let shared = CountCache()
    static let exactLimit = 10_000
    static let lifetime = 30.0

    private func cached(_ key: String) -> Int? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.expires > Date().timeIntervalSince1970 else { return nil }
            return entry.total
        }
    }

    private func store(_ key: String, _ total: Int) {
        entries.withLock { entries in
            if entries.count > 5_000 { entries.removeAll() }
            entries[key] = (total, Date().timeIntervalSince1970 + Self.lifetime)
        }
    }

    /// Every customer of the workspace: the counter the `customers_count_insert/delete` triggers
    /// keep (`schema/005_customer_counts.sql`, 16 rows a workspace), summed. The one reader of it.
    static func workspaceCustomers(_ db: Connection, _ tenant: Tenant) throws -> Int {
        try db.queryOne("SELECT COALESCE(SUM(n), 0) AS n FROM customer_counts WHERE tenant_id = \(tenant)")?.int("n") ?? 0
    }

    /// The number of customers matching `query`.
    func customers(_ db: Connection, _ tenant: Tenant, _ query: CustomerQuery) throws -> Int {
        if query.isUnfiltered {
            return try Self.workspaceCustomers(db, tenant)
        }
        let key = "customers:\(query.whereClause.text):\(query.whereClause.binds)"
        if let total = cached(key) { return total }
        if let matches = query.searchMatches {
            // Only a word search: its matches in the word index, no customer read.
            let capped = try db.queryOne("SELECT COUNT(*) AS n FROM (\(matches) LIMIT \(Self.exactLimit + 1)) x")?.int("n") ?? 0
            if capped <= Self.exactLimit { return capped }
            let total = try db.queryOne("SELECT COUNT(*) AS n FROM (\(matches)) x")?.int("n") ?? 0
            store(key, total)
            return total
        }
        let capped = try db.queryOne("""
            SELECT COUNT(*) AS n FROM (SELECT 1 FROM customers c WHERE \(query.whereClause) LIMIT \(Self.exactLimit + 1)) x
            """)?.int("n") ?? 0
        if capped <= Self.exactLimit { return capped }
        let total = try db.queryOne("SELECT COUNT(*) AS n FROM customers c WHERE \(query.whereClause)")?.int("n") ?? 0
        store(key, total)
        return total
    }
}
