import Foundation
import MariaDB
import Web

/// The condition node's seam: the segment filter language evaluated on one customer.
///
/// A small evaluator of its own over the customer's columns for now:
/// `{"all": […]}`, `{"any": […]}`, `{"not": …}` and conditions named by `field`
/// (`rfm_score`, `clv_total`, `purchase_count` with `min`/`max`; `country`, `city` with
/// `value` or `in`; `property` with `key` and `value`; `last_seen_within_days` with `days`;
/// `event` with `name`, `within_days`, `count_min`; `in_segment` with `segment_id`).
/// After the segments branch is merged, `matches` is to call its filter compiler instead.
enum AutomationConditions {
    static let fields = ["rfm_score", "clv_total", "purchase_count", "country", "city", "property",
                         "last_seen_within_days", "event", "in_segment"]

    /// Why a filter cannot be evaluated, or nil.
    static func problem(_ filter: JSON?) -> String? {
        guard let filter, let o = filter.objectValue, !o.isEmpty else { return "give the filters to test (for example {\"all\": [{\"field\": \"purchase_count\", \"min\": 1}]})." }
        if let list = (o["all"] ?? o["any"])?.arrayValue {
            for item in list { if let p = problem(item) { return p } }
            return nil
        }
        if let inner = o["not"] { return problem(inner) }
        let field = (o["field"] ?? o["type"])?.stringValue ?? ""
        guard fields.contains(field) else { return "unknown filter field '\(field)'. Known: \(fields.joined(separator: ", "))." }
        switch field {
        case "property": return o["key"]?.stringValue == nil ? "a property filter needs a key." : nil
        case "event": return o["name"]?.stringValue == nil && o["event"]?.stringValue == nil ? "an event filter needs the event name." : nil
        case "in_segment": return o["segment_id"]?.intValue == nil ? "an in_segment filter needs a segment_id." : nil
        case "last_seen_within_days": return o["days"]?.intValue == nil ? "last_seen_within_days needs days." : nil
        default: return nil
        }
    }

    /// Whether the customer matches `filters` at `now`. A customer that no longer exists
    /// matches nothing.
    static func matches(_ db: Connection, _ tenant: Tenant, customerID: Int, _ filters: JSON, now: Date = Date()) throws -> Bool {
        guard let row = try db.queryOne("""
            SELECT id, rfm_score, clv_total, clv_order_count, country, city, properties, last_seen_at
            FROM customers WHERE tenant_id = \(tenant) AND id = \(customerID)
            """) else { return false }
        return try evaluate(db, tenant, row, filters, now: now)
    }

    private static func evaluate(_ db: Connection, _ tenant: Tenant, _ c: Row, _ filter: JSON, now: Date) throws -> Bool {
        guard let o = filter.objectValue else { return false }
        if let list = o["all"]?.arrayValue { return try list.allSatisfy { try evaluate(db, tenant, c, $0, now: now) } }
        if let list = o["any"]?.arrayValue { return try list.contains { try evaluate(db, tenant, c, $0, now: now) } }
        if let inner = o["not"] { return try !evaluate(db, tenant, c, inner, now: now) }
        func range(_ value: Double?) -> Bool {
            guard let value else { return false }
            if let min = o["min"]?.doubleValue, value < min { return false }
            if let max = o["max"]?.doubleValue, value > max { return false }
            if let eq = o["value"]?.doubleValue, value != eq { return false }
            return true
        }
        func text(_ value: String?) -> Bool {
            let v = value?.lowercased()
            if let list = o["in"]?.arrayValue { return list.contains { $0.stringValue?.lowercased() == v } }
            return o["value"]?.stringValue?.lowercased() == v
        }
        switch (o["field"] ?? o["type"])?.stringValue ?? "" {
        case "rfm_score": return range(c.optionalDouble("rfm_score"))
        case "clv_total": return range(c.optionalDecimal("clv_total").flatMap(Double.init))
        case "purchase_count": return range(c.optionalDouble("clv_order_count"))
        case "country": return text(c.optionalString("country"))
        case "city": return text(c.optionalString("city"))
        case "property":
            let properties = (try? JSONParser.parse(c.optionalString("properties") ?? "{}")) ?? [:]
            guard let key = o["key"]?.stringValue else { return false }
            let value = properties[key] ?? .null
            if let expected = o["value"] {
                if let a = value.doubleValue, let b = expected.doubleValue { return a == b }
                return value == expected
            }
            return !value.isNull
        case "last_seen_within_days":
            guard let seen = c.optionalDate("last_seen_at"), let days = o["days"]?.intValue else { return false }
            return seen >= now.addingTimeInterval(-Double(days) * 86400)
        case "event":
            guard let name = (o["name"] ?? o["event"])?.stringValue else { return false }
            let since = now.addingTimeInterval(-Double(o["within_days"]?.intValue ?? 36500) * 86400)
            let n = try db.queryOne("""
                SELECT COUNT(*) AS n FROM events WHERE tenant_id = \(tenant) AND customer_id = \(try c.int("id"))
                AND name = \(name) AND occurred_at >= \(since) AND occurred_at <= \(now)
                """)?.int("n") ?? 0
            return n >= (o["count_min"]?.intValue ?? 1)
        case "in_segment":
            guard let segment = o["segment_id"]?.intValue else { return false }
            return try db.queryOne("""
                SELECT 1 AS x FROM segment_members WHERE tenant_id = \(tenant) AND segment_id = \(segment) AND customer_id = \(try c.int("id"))
                """) != nil
        default: return false
        }
    }
}
