import Foundation
import MariaDB
import Web
import Tags

/// A segment's filter document, parsed and checked, and compiled to a parameterised SQL
/// predicate over `customers c`.
///
/// The document is JSON. A flat object is the AND of its keys (the seed's
/// `{"rfm_score_min": 12, "purchase_count_min": 10}`); `{"all": […]}`, `{"any": […]}` and
/// `{"not": …}` nest. An object with `property` or `event` is one condition with its options.
/// Column names come only from the switches below; every value is a bound parameter.
package indirect enum SegmentFilter: Equatable, Sendable {
    case all([SegmentFilter])
    case any([SegmentFilter])
    case not(SegmentFilter)
    case range(RangeField, min: Double?, max: Double?)
    case rfmSegment([String])
    case lastSeenWithinDays(Int)
    case inactiveDaysMin(Int)
    case createdWithinDays(Int)
    case text(TextField, [String])
    case property(key: String, PropertyTest)
    case event(EventCondition)
    case inSegment(Int)
    /// `owner_id`: the customer's owner is one of these members.
    case owner([Int])
    /// `company_id`: the customer belongs to one of these companies.
    case companyID([Int])
    /// `company.industry` and the like: the customer's company has one of these values.
    case company(CompanyField, [String])
    /// Carries any of these tags (`{"tag": "vip"}` or `{"tag": ["vip", "gold"]}`).
    case tags([String])

    package enum RangeField: String, CaseIterable {
        case rfmScore = "rfm_score", clvTotal = "clv_total", clvPredicted = "clv_predicted", pAlive = "p_alive"
        case purchaseCount = "purchase_count"
    }

    package enum TextField: String, CaseIterable {
        case country, city, emailDomain = "email_domain"
    }

    /// The company's fields a segment can test (`"company.industry": ["SaaS", "Retail"]`).
    package enum CompanyField: String, CaseIterable {
        case industry = "company.industry", size = "company.size", country = "company.country"
        case city = "company.city", domain = "company.domain"
    }

    package enum PropertyTest: Equatable {
        case equals(JSON), notEquals(JSON), oneOf([String]), range(min: Double?, max: Double?), exists(Bool)
    }

    package struct EventCondition: Equatable {
        var name: String
        var withinDays: Int?
        var countMin = 1
        var countMax: Int?
        /// Property equality tests on the event (`{"product_id": "prod_abc123"}`).
        var properties: [PropertyMatch] = []
    }

    struct PropertyMatch: Equatable {
        var key: String
        var value: JSON
    }

    /// The keys a flat object may hold, for error messages and the console.
    static let flatKeys: [String] = ["all", "any", "not"]
        + RangeField.allCases.flatMap { [$0.rawValue + "_min", $0.rawValue + "_max"] }
        + ["rfm_segment", "last_seen_within_days", "inactive_days_min", "created_within_days"]
        + TextField.allCases.map(\.rawValue) + ["in_segment", "tag", "owner_id", "company_id"]
        + CompanyField.allCases.map(\.rawValue) + ["property", "event"]

    static let maxDepth = 8
    static let maxConditions = 100

    // MARK: Parsing

    /// Parses `json` (the `filters` field); problems are added to `errors` under their path
    /// (`filters.all[1].rfm_score_min`). Returns nil when anything was wrong.
    package static func parse(_ json: JSON, errors: inout ValidationErrors) -> SegmentFilter? {
        var parser = Parser()
        let result = parser.node(json, path: "filters", depth: 0)
        if parser.conditions > maxConditions {
            parser.errors.add("filters", "A filter may hold at most \(maxConditions) conditions.")
        }
        for (field, messages) in parser.errors.fields { for m in messages { errors.add(field, m) } }
        return parser.errors.isEmpty ? result : nil
    }

    private struct Parser {
        var errors = ValidationErrors()
        var conditions = 0

        mutating func node(_ json: JSON, path: String, depth: Int) -> SegmentFilter? {
            guard depth <= SegmentFilter.maxDepth else {
                errors.add(path, "Groups may nest at most \(SegmentFilter.maxDepth) deep.")
                return nil
            }
            guard let object = json.objectValue else {
                errors.add(path, "A filter must be a JSON object.")
                return nil
            }
            if object.contains("property") { return property(object, path: path) }
            if object.contains("event") { return event(object, path: path) }
            var parts: [SegmentFilter] = []
            for (key, value) in object {
                let at = "\(path).\(key)"
                switch key {
                case "all", "any":
                    guard let items = value.arrayValue else {
                        errors.add(at, "The \(key) group must be an array of filters.")
                        continue
                    }
                    let children = items.enumerated().compactMap { node($1, path: "\(at)[\($0)]", depth: depth + 1) }
                    parts.append(key == "all" ? .all(children) : .any(children))
                case "not":
                    if let child = node(value, path: at, depth: depth + 1) { parts.append(.not(child)) }
                case "rfm_segment":
                    conditions += 1
                    if let list = strings(value, at, max: 40) { parts.append(.rfmSegment(list)) }
                case "last_seen_within_days", "inactive_days_min", "created_within_days":
                    conditions += 1
                    guard let days = days(value, at) else { continue }
                    switch key {
                    case "last_seen_within_days": parts.append(.lastSeenWithinDays(days))
                    case "inactive_days_min": parts.append(.inactiveDaysMin(days))
                    default: parts.append(.createdWithinDays(days))
                    }
                case "country", "city", "email_domain":
                    conditions += 1
                    guard var list = strings(value, at, max: 190) else { continue }
                    if key == "email_domain" { list = list.map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "@ ")) } }
                    if key == "country" { list = list.map { $0.count == 2 ? $0.uppercased() : $0 } }
                    parts.append(.text(TextField(rawValue: key)!, list))
                case "tag", "tags":
                    conditions += 1
                    var problems = ValidationErrors()
                    if let names = Tags.normalize(value, field: at, limit: 100, errors: &problems), !names.isEmpty {
                        parts.append(.tags(names))
                    } else if problems.isEmpty {
                        errors.add(at, "The tag value must be a tag or a non-empty list of tags.")
                    }
                    for (field, messages) in problems.fields { for m in messages { errors.add(field, m) } }
                case "in_segment":
                    conditions += 1
                    guard let id = value.intValue, id > 0 else {
                        errors.add(at, "The in_segment value must be a segment id (a positive integer).")
                        continue
                    }
                    parts.append(.inSegment(id))
                case "owner_id", "company_id":
                    conditions += 1
                    guard let ids = ids(value, at) else { continue }
                    parts.append(key == "owner_id" ? .owner(ids) : .companyID(ids))
                default:
                    if let field = CompanyField(rawValue: key) {
                        conditions += 1
                        guard var list = strings(value, at, max: 190) else { continue }
                        if field == .domain { list = list.map { $0.lowercased() } }
                        if field == .country { list = list.map { $0.count == 2 ? $0.uppercased() : $0 } }
                        parts.append(.company(field, list))
                        continue
                    }
                    if let (field, isMin) = rangeKey(key) {
                        conditions += 1
                        guard let number = number(value, at) else { continue }
                        parts.append(.range(field, min: isMin ? number : nil, max: isMin ? nil : number))
                    } else {
                        errors.add(at, "Unknown filter key '\(key)'. Known keys: \(SegmentFilter.flatKeys.joined(separator: ", ")).")
                    }
                }
            }
            return parts.count == 1 ? parts[0] : .all(parts)
        }

        func rangeKey(_ key: String) -> (RangeField, Bool)? {
            for field in RangeField.allCases {
                if key == field.rawValue + "_min" { return (field, true) }
                if key == field.rawValue + "_max" { return (field, false) }
            }
            return nil
        }

        mutating func property(_ object: JSONObject, path: String) -> SegmentFilter? {
            conditions += 1
            guard let key = object["property"]?.stringValue, Self.isPropertyKey(key) else {
                errors.add("\(path).property", "The property must be a name of letters, digits, _ or - (at most 64).")
                return nil
            }
            var tests: [PropertyTest] = []
            var low: Double?, high: Double?
            for (option, value) in object where option != "property" {
                let at = "\(path).\(option)"
                switch option {
                case "equals", "not_equals":
                    switch value {
                    case .string, .int, .double, .number, .bool: tests.append(option == "equals" ? .equals(value) : .notEquals(value))
                    default: errors.add(at, "The \(option) value must be a string, a number or a boolean.")
                    }
                case "in":
                    if let list = strings(value, at, max: 190) { tests.append(.oneOf(list)) }
                case "min", "gte": low = number(value, at)
                case "max", "lte": high = number(value, at)
                case "exists":
                    if let flag = value.boolValue { tests.append(.exists(flag)) } else { errors.add(at, "The exists value must be true or false.") }
                default:
                    errors.add(at, "Unknown property option '\(option)'. Known: equals, not_equals, in, min, max, exists.")
                }
            }
            if low != nil || high != nil { tests.append(.range(min: low, max: high)) }
            if tests.isEmpty {
                errors.add(path, "A property condition needs one of equals, not_equals, in, min, max or exists.")
                return nil
            }
            let conditions = tests.map { SegmentFilter.property(key: key, $0) }
            return conditions.count == 1 ? conditions[0] : .all(conditions)
        }

        mutating func event(_ object: JSONObject, path: String) -> SegmentFilter? {
            conditions += 1
            guard let name = object["event"]?.stringValue, !name.isEmpty, name.count <= 100 else {
                errors.add("\(path).event", "The event must be an event name (1 to 100 characters).")
                return nil
            }
            var condition = EventCondition(name: name)
            var hasMin = false
            for (option, value) in object where option != "event" {
                let at = "\(path).\(option)"
                switch option {
                case "within_days": condition.withinDays = days(value, at)
                case "count_min":
                    hasMin = true
                    if let n = value.intValue, n >= 0, n <= 1_000_000 { condition.countMin = n } else { errors.add(at, "The count_min must be an integer from 0.") }
                case "count_max":
                    if let n = value.intValue, n >= 0, n <= 1_000_000 { condition.countMax = n } else { errors.add(at, "The count_max must be an integer from 0.") }
                case "properties", "where":
                    guard let match = value.objectValue, !match.isEmpty, match.count <= 10 else {
                        errors.add(at, "The \(option) must be an object of 1 to 10 property values to match.")
                        continue
                    }
                    for (key, expected) in match {
                        guard Self.isPropertyKey(key) else {
                            errors.add("\(at).\(key)", "A property name is letters, digits, _ or - (at most 64).")
                            continue
                        }
                        switch expected {
                        case .string, .int, .double, .number, .bool: condition.properties.append(PropertyMatch(key: key, value: expected))
                        default: errors.add("\(at).\(key)", "The value must be a string, a number or a boolean.")
                        }
                    }
                default:
                    errors.add(at, "Unknown event option '\(option)'. Known: within_days, count_min, count_max, properties.")
                }
            }
            // "At most N times" alone means from zero.
            if !hasMin, condition.countMax != nil { condition.countMin = 0 }
            if let max = condition.countMax, max < condition.countMin {
                errors.add("\(path).count_max", "The count_max must not be below count_min.")
            }
            return .event(condition)
        }

        static func isPropertyKey(_ key: String) -> Bool {
            !key.isEmpty && key.count <= 64 && key.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "_" || $0 == "-"
            }
        }

        mutating func number(_ value: JSON, _ at: String) -> Double? {
            guard let d = value.doubleValue, d.isFinite, value.boolValue == nil else {
                errors.add(at, "The \(at.split(separator: ".").last ?? "") value must be a number.")
                return nil
            }
            return d
        }

        mutating func days(_ value: JSON, _ at: String) -> Int? {
            guard let n = value.intValue, n >= 0, n <= 36_500 else {
                errors.add(at, "The \(at.split(separator: ".").last ?? "") value must be a whole number of days (0 to 36500).")
                return nil
            }
            return n
        }

        /// A positive id, or a non-empty array of them.
        mutating func ids(_ value: JSON, _ at: String) -> [Int]? {
            let list = value.arrayValue ?? [value]
            let ids = list.compactMap { $0.boolValue == nil ? $0.intValue : nil }.filter { $0 > 0 }
            guard !list.isEmpty, list.count <= 500, ids.count == list.count else {
                errors.add(at, "The \(at.split(separator: ".").last ?? "") value must be an id (a positive integer) or a non-empty list of ids.")
                return nil
            }
            return Array(Set(ids)).sorted()
        }

        /// A string, or a non-empty array of strings.
        mutating func strings(_ value: JSON, _ at: String, max: Int) -> [String]? {
            let list: [JSON]
            if case .string = value { list = [value] } else if let items = value.arrayValue, !items.isEmpty, items.count <= 500 { list = items } else {
                errors.add(at, "The value must be a string or a non-empty list of strings.")
                return nil
            }
            var result: [String] = []
            for item in list {
                guard let s = item.stringValue, !s.isEmpty, s.count <= max else {
                    errors.add(at, "Every value must be a non-empty string of at most \(max) characters.")
                    return nil
                }
                result.append(s)
            }
            return result
        }
    }

    // MARK: What a filter depends on

    /// The segments named by `in_segment`, anywhere inside.
    package var referencedSegments: Set<Int> {
        switch self {
        case .all(let c), .any(let c): return c.reduce(into: Set<Int>()) { $0.formUnion($1.referencedSegments) }
        case .not(let c): return c.referencedSegments
        case .inSegment(let id): return [id]
        default: return []
        }
    }

    /// Reads the customer's company (its id or its fields): a change to a company, or its
    /// deletion, re-evaluates its customers.
    package var readsCompanies: Bool {
        switch self {
        case .all(let c), .any(let c): return c.contains { $0.readsCompanies }
        case .not(let c): return c.readsCompanies
        case .company, .companyID: return true
        default: return false
        }
    }

    /// Reads the outputs of the RFM/CLV recompute, so a recompute must rebuild it.
    var usesAnalytics: Bool {
        switch self {
        case .all(let c), .any(let c): return c.contains { $0.usesAnalytics }
        case .not(let c): return c.usesAnalytics
        case .rfmSegment: return true
        case .range(let field, _, _): return field == .rfmScore || field == .clvPredicted || field == .pAlive
        default: return false
        }
    }

    /// Can tracking (an event, with the aggregates it updates) change this filter's truth?
    /// Not when it reads only the profile, the RFM/CLV recompute's outputs or other segments
    /// (those are followed through `in_segment` when the levels are built).
    var readsActivity: Bool {
        switch self {
        case .all(let c), .any(let c): return c.contains { $0.readsActivity }
        case .not(let c): return c.readsActivity
        case .event, .lastSeenWithinDays, .inactiveDaysMin: return true
        case .range(let field, _, _): return field == .clvTotal || field == .purchaseCount
        default: return false
        }
    }

    /// A condition whose truth changes with time alone, not with the customer's data.
    enum Boundary: Hashable {
        case lastSeen(days: Int), created(days: Int), inactive(days: Int), event(name: String, days: Int)
    }

    var boundaries: Set<Boundary> {
        switch self {
        case .all(let c), .any(let c): return c.reduce(into: Set<Boundary>()) { $0.formUnion($1.boundaries) }
        case .not(let c): return c.boundaries
        case .lastSeenWithinDays(let d): return [.lastSeen(days: d)]
        case .inactiveDaysMin(let d): return [.inactive(days: d)]
        case .createdWithinDays(let d): return [.created(days: d)]
        case .event(let e): return e.withinDays.map { [.event(name: e.name, days: $0)] } ?? []
        default: return []
        }
    }
}
