import Foundation
import MariaDB
import Web
import Tags

/// A filter as SQL: the predicate over `customers c` that the evaluator, the rebuild and the
/// list filters all run, with time conditions measured from the database's clock or a given time.
extension SegmentFilter {
    // MARK: SQL

    /// The predicate over `customers c` (alias `c`); NULL counts as false. Time conditions
    /// read the database's clock.
    var sql: SQL { sql(asOf: nil) }

    /// The predicate with time conditions measured from `asOf` (a bound value) instead of
    /// the database's clock: the automation engine's test clock uses it.
    package func sql(asOf: Date?) -> SQL {
        let now: SQL = asOf.map { "\($0)" } ?? "UTC_TIMESTAMP(6)"
        switch self {
        case .all(let children):
            return children.isEmpty ? "1 = 1" : "(" + SQL.join(children.map { $0.sql(asOf: asOf) }, separator: " AND ") + ")"
        case .any(let children):
            return children.isEmpty ? "1 = 0" : "(" + SQL.join(children.map { $0.sql(asOf: asOf) }, separator: " OR ") + ")"
        case .not(let child):
            return "NOT COALESCE(\(child.sql(asOf: asOf)), 0)"
        case .range(let field, let low, let high):
            let column: SQL
            switch field {
            case .rfmScore: column = "c.rfm_score"
            case .clvTotal: column = "c.clv_total"
            case .clvPredicted: column = "c.clv_predicted"
            case .pAlive: column = "c.p_alive"
            case .purchaseCount: column = "c.clv_order_count"
            }
            var parts: [SQL] = []
            if let low { parts.append("\(column) >= \(low)") }
            if let high { parts.append("\(column) <= \(high)") }
            return "(" + SQL.join(parts, separator: " AND ") + ")"
        case .rfmSegment(let names):
            return "c.rfm_segment IN (\(list: names))"
        case .lastSeenWithinDays(let days):
            return "c.last_seen_at >= \(now) - INTERVAL \(days) DAY"
        case .inactiveDaysMin(let days):
            return "COALESCE(c.last_seen_at, c.created_at) < \(now) - INTERVAL \(days) DAY"
        case .createdWithinDays(let days):
            return "c.created_at >= \(now) - INTERVAL \(days) DAY"
        case .text(let field, let values):
            switch field {
            case .country: return "c.country IN (\(list: values))"
            case .city: return "c.city IN (\(list: values))"
            case .emailDomain: return "SUBSTRING_INDEX(c.email, '@', -1) IN (\(list: values))"
            }
        case .property(let key, let test):
            return Self.propertyTest(document: "c.properties", path: Self.jsonPath(key), test)
        case .event(let e):
            var conditions: [SQL] = ["e.tenant_id = c.tenant_id", "e.customer_id = c.id", "e.name = \(e.name)"]
            if let days = e.withinDays { conditions.append("e.occurred_at >= \(now) - INTERVAL \(days) DAY") }
            for match in e.properties {
                conditions.append(Self.propertyTest(document: "e.properties", path: Self.jsonPath(match.key), .equals(match.value)))
            }
            let whereClause = SQL.join(conditions, separator: " AND ")
            if e.countMin == 1, e.countMax == nil {
                return "EXISTS (SELECT 1 FROM events e WHERE \(whereClause))"
            }
            if e.countMin == 0, e.countMax == 0 {
                return "NOT EXISTS (SELECT 1 FROM events e WHERE \(whereClause))"
            }
            return "(SELECT COUNT(*) FROM events e WHERE \(whereClause)) BETWEEN \(e.countMin) AND \(e.countMax ?? Int(Int32.max))"
        case .inSegment(let id):
            return "EXISTS (SELECT 1 FROM segment_members sm WHERE sm.segment_id = \(id) AND sm.customer_id = c.id)"
        case .owner(let ids):
            return "c.owner_id IN (\(list: ids))"
        case .companyID(let ids):
            return "c.company_id IN (\(list: ids))"
        case .company(let field, let values):
            let column: SQL
            switch field {
            case .industry: column = "co.industry"
            case .size: column = "co.size"
            case .country: column = "co.country"
            case .city: column = "co.city"
            case .domain: column = "co.domain"
            }
            return "EXISTS (SELECT 1 FROM companies co WHERE co.tenant_id = c.tenant_id AND co.id = c.company_id AND \(column) IN (\(list: values)))"
        case .tags(let names):
            return Tags.anyCondition(names, kind: .customer, column: "c.id", tenant: "c.tenant_id")
        }
    }

    /// `$."key"`: keys are letters, digits, _ and - only (checked when parsed).
    static func jsonPath(_ key: String) -> String { "$.\"\(key)\"" }

    /// A test of one JSON property. Numbers compare as numbers only when the stored value is
    /// a JSON number (CASE evaluates lazily, so text is never converted).
    static func propertyTest(document: SQL, path: String, _ test: PropertyTest) -> SQL {
        let numeric: SQL = """
            CASE WHEN JSON_TYPE(JSON_EXTRACT(\(document), \(path))) IN ('INTEGER', 'DOUBLE', 'DECIMAL')
            THEN CAST(JSON_VALUE(\(document), \(path)) AS DOUBLE) END
            """
        let text: SQL = "JSON_VALUE(\(document), \(path))"
        func equality(_ value: JSON) -> SQL {
            switch value {
            case .bool(let b):
                // JSON_VALUE reads a JSON true as 1 and false as 0.
                return "JSON_TYPE(JSON_EXTRACT(\(document), \(path))) = 'BOOLEAN' AND \(text) = \(b ? "1" : "0")"
            case .string(let s): return "\(text) = \(s)"
            default: return "\(numeric) = \(value.doubleValue ?? 0)"
            }
        }
        switch test {
        case .equals(let value): return "(" + equality(value) + ")"
        case .notEquals(let value): return "NOT COALESCE((" + equality(value) + "), 0)"
        case .oneOf(let values): return "\(text) IN (\(list: values))"
        case .range(let low, let high):
            var parts: [SQL] = []
            if let low { parts.append("\(numeric) >= \(low)") }
            if let high { parts.append("\(numeric) <= \(high)") }
            return "(" + SQL.join(parts, separator: " AND ") + ")"
        case .exists(let flag):
            return flag ? "JSON_CONTAINS_PATH(\(document), 'one', \(path)) = 1" : "COALESCE(JSON_CONTAINS_PATH(\(document), 'one', \(path)), 0) = 0"
        }
    }
}
