import Foundation
import MariaDB
import Web
import Core
import Segments

/// The condition node: a filter in the segments filter language (`SegmentFilter`), tested
/// on one customer with the segments compiler's own SQL.
enum AutomationConditions {
    /// Parses a condition node's `filters`; the segments parser's problems are added to
    /// `errors` under `nodes.{id}`, each naming the node and the path inside the filters.
    static func parse(_ filters: JSON?, node: String, errors: inout ValidationErrors) -> SegmentFilter? {
        let key = "nodes.\(node)"
        guard let filters, !filters.isNull else {
            errors.add(key, "Condition \(node): give the filters to test, in the segments filter language (for example {\"purchase_count_min\": 1}).")
            return nil
        }
        if let o = filters.objectValue, o.isEmpty {
            errors.add(key, "Condition \(node): the filters are empty; add at least one condition.")
            return nil
        }
        var problems = ValidationErrors()
        let filter = SegmentFilter.parse(filters, errors: &problems)
        for (path, messages) in problems.fields {
            for message in messages { errors.add(key, "Condition \(node): \(path): \(message)") }
        }
        if filter == .all([]) {
            errors.add(key, "Condition \(node): the filters hold no condition; add at least one.")
            return nil
        }
        return filter
    }

    /// The design's condition nodes checked against the workspace: every segment named by
    /// `in_segment` must exist (as when a segment is saved). Adds problems to `errors`.
    static func checkReferences(_ db: Connection, _ tenant: Tenant, design: AutomationDesign,
                                errors: inout ValidationErrors) throws {
        for node in design.nodes where node.type == .condition {
            var ignored = ValidationErrors()
            guard let filter = parse(node.data["filters"] ?? node.data["filter"], node: node.id, errors: &ignored) else { continue }
            var problems = ValidationErrors()
            try SegmentStore.checkReferences(db, tenant, filter: filter, selfID: nil, errors: &problems)
            for (path, messages) in problems.fields {
                for message in messages { errors.add("nodes.\(node.id)", "Condition \(node.id): \(path): \(message)") }
            }
        }
    }

    /// Whether the customer matches `filters`, with time conditions measured from `now`.
    /// A customer that no longer exists, or filters that do not parse, match nothing.
    static func matches(_ db: Connection, _ tenant: Tenant, customerID: Int, _ filters: JSON, now: Date = Date()) throws -> Bool {
        try matching(db, tenant, customerIDs: [customerID], filters, now: now).contains(customerID)
    }

    /// Which of `customerIDs` match `filters`, in one query (the engine's batches).
    static func matching(_ db: Connection, _ tenant: Tenant, customerIDs: [Int], _ filters: JSON, now: Date = Date()) throws -> Set<Int> {
        var errors = ValidationErrors()
        guard !customerIDs.isEmpty, let filter = SegmentFilter.parse(filters, errors: &errors) else { return [] }
        var found = Set<Int>()
        let ids = Array(Set(customerIDs)).sorted()
        for start in stride(from: 0, to: ids.count, by: 1000) {
            for row in try db.query("""
                SELECT c.id FROM customers c
                WHERE c.tenant_id = \(tenant) AND c.id IN (\(list: Array(ids[start..<min(start + 1000, ids.count)]))) AND COALESCE(\(filter.sql(asOf: now)), 0)
                """) {
                found.insert(try row.int("id"))
            }
        }
        return found
    }
}
