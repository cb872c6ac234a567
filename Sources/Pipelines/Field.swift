import Foundation
import MariaDB
import Web
import Core

/// The type of a custom field, which decides what its values may be.
enum FieldType: String, CaseIterable, Sendable {
    case text, number, date, boolean, select, multi_select, url, email, phone

    /// Select types need a list of options.
    var hasOptions: Bool { self == .select || self == .multi_select }

    /// Values of these types are searched by `q`, besides the title.
    var isSearchable: Bool {
        switch self {
        case .text, .select, .multi_select, .url, .email, .phone: return true
        case .number, .date, .boolean: return false
        }
    }

    /// Filtered by ranges (`values[key][min]`, `[max]`) rather than by equality.
    var isRanged: Bool { self == .number || self == .date }
}

/// A custom field of an entity.
package struct Field: Sendable {
    let id: Int
    let entityID: Int
    let name: String
    package let key: String
    let type: FieldType
    let options: [String]?
    let required: Bool
    let position: Int
    let row: Row

    static let columns: SQL = "id, entity_id, name, `key`, type, options, required, position, created_at, updated_at"

    init(row: Row) throws {
        id = try row.int("id")
        entityID = try row.int("entity_id")
        name = try row.string("name")
        key = try row.string("key")
        type = FieldType(rawValue: try row.string("type")) ?? .text
        options = row.optionalString("options").flatMap { try? JSONParser.parse($0) }?.arrayValue?.compactMap(\.stringValue)
        required = try row.bool("required")
        position = try row.int("position")
        self.row = row
    }

    /// The contract's shape: `options` is an array for select types and null otherwise.
    var json: JSON {
        [
            "id": .int(id), "name": .string(name), "key": .string(key), "type": .string(type.rawValue),
            "options": options.map { .array($0.map(JSON.string)) } ?? .null,
            "required": .bool(required), "position": .int(position), "crm_entity_id": .int(entityID),
            "created_at": CRM.timestamp(row, "created_at"), "updated_at": CRM.timestamp(row, "updated_at"),
        ]
    }

    /// The fields of an entity, in display order.
    package static func all(_ db: Connection, _ tenant: Tenant, entityID: Int) throws -> [Field] {
        try db.query("""
            SELECT \(columns) FROM crm_fields WHERE tenant_id = \(tenant) AND entity_id = \(entityID)
            ORDER BY position, id
            """).map(Field.init)
    }

    static func find(_ db: Connection, _ tenant: Tenant, id: Int) throws -> Field? {
        try db.queryOne("SELECT \(columns) FROM crm_fields WHERE tenant_id = \(tenant) AND id = \(id)").map(Field.init)
    }
}

/// One value of an entry, checked and put into its stored forms.
package struct FieldValue {
    /// As answers show it, and as `crm_entries.data` keeps it.
    let json: JSON
    /// Rows of `crm_entry_values`: one, or one per option of a multi_select.
    let rows: [(text: String?, number: String?)]
    /// What the full-text index gets ("" for numbers, dates and booleans).
    let searchText: String
}

extension Field {
    /// Checks `value` against the field's type; the message names the field by its key.
    package func check(_ value: JSON) -> Result<FieldValue, FieldValueError> {
        func fail(_ message: String) -> Result<FieldValue, FieldValueError> { .failure(FieldValueError(message: message)) }
        func text(_ s: String) -> FieldValue {
            FieldValue(json: .string(s), rows: [(String(s.prefix(255)), nil)], searchText: type.isSearchable ? s : "")
        }
        let label = "The \(key.replacingOccurrences(of: "_", with: " "))"
        switch type {
        case .text:
            guard let s = value.stringValue else { return fail("\(label) must be a string.") }
            guard s.count <= 10_000 else { return fail("\(label) may not be greater than 10000 characters.") }
            return .success(text(s))
        case .number:
            guard let decimal = FieldValue.decimal(value) else { return fail("\(label) must be a number.") }
            return .success(FieldValue(json: .number(decimal), rows: [(nil, decimal)], searchText: ""))
        case .date:
            guard let s = value.stringValue, let day = FieldValue.day(s) else {
                return fail("\(label) must be a valid date (YYYY-MM-DD).")
            }
            let number = day.replacingOccurrences(of: "-", with: "")
            return .success(FieldValue(json: .string(day), rows: [(nil, number)], searchText: ""))
        case .boolean:
            guard let b = FieldValue.boolean(value) else { return fail("\(label) must be true or false.") }
            return .success(FieldValue(json: .bool(b), rows: [(nil, b ? "1" : "0")], searchText: ""))
        case .select:
            guard let s = value.stringValue else { return fail("\(label) must be one of: \((options ?? []).joined(separator: ", ")).") }
            guard let option = option(matching: s) else {
                return fail("The selected \(key.replacingOccurrences(of: "_", with: " ")) is invalid. Allowed: \((options ?? []).joined(separator: ", ")).")
            }
            return .success(text(option))
        case .multi_select:
            let items: [JSON]
            if let a = value.arrayValue { items = a } else if value.stringValue != nil { items = [value] } else {
                return fail("\(label) must be an array of options.")
            }
            var chosen: [String] = []
            for item in items {
                guard let s = item.stringValue, let option = option(matching: s) else {
                    return fail("The selected \(key.replacingOccurrences(of: "_", with: " ")) is invalid. Allowed: \((options ?? []).joined(separator: ", ")).")
                }
                if !chosen.contains(option) { chosen.append(option) }
            }
            return .success(FieldValue(json: .array(chosen.map(JSON.string)), rows: chosen.map { (String($0.prefix(255)), nil) },
                                       searchText: chosen.joined(separator: " ")))
        case .url:
            guard let s = value.stringValue?.trimmingCharacters(in: .whitespaces), FieldValue.isURL(s) else {
                return fail("\(label) must be a valid URL (http or https).")
            }
            return .success(text(s))
        case .email:
            guard let s = value.stringValue?.trimmingCharacters(in: .whitespaces), s.count <= 190, Input.isEmail(s) else {
                return fail("\(label) must be a valid email address.")
            }
            return .success(text(s.lowercased()))
        case .phone:
            var raw = value.stringValue
            if raw == nil, let n = value.intValue { raw = String(n) }
            guard let s = raw?.trimmingCharacters(in: .whitespaces), FieldValue.isPhone(s) else {
                return fail("\(label) must be a valid phone number.")
            }
            return .success(text(s))
        }
    }

    /// The option spelled as the field spells it; matching ignores case.
    func option(matching s: String) -> String? {
        guard let options else { return nil }
        if options.contains(s) { return s }
        return options.first { $0.compare(s, options: .caseInsensitive) == .orderedSame }
    }
}

package struct FieldValueError: Error {
    package let message: String
}

extension FieldValue {
    /// A JSON number, or a string holding one, as exact decimal text; at most 15 integer
    /// digits and 6 decimals, so that it fits `DECIMAL(24,6)`.
    static func decimal(_ value: JSON) -> String? {
        var text: String
        switch value {
        case .int(let v): text = String(v)
        case .double(let d):
            guard d.isFinite else { return nil }
            text = d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        case .number(let s): text = s
        case .string(let s): text = s.trimmingCharacters(in: .whitespaces)
        default: return nil
        }
        if text.contains("e") || text.contains("E") {
            guard let d = Double(text), d.isFinite, abs(d) < 1e15 else { return nil }
            text = d == d.rounded() ? String(Int64(d)) : "\(d)"
        }
        guard SQLDecimal(text) != nil, Double(text) != nil else { return nil }
        let negative = text.hasPrefix("-")
        let parts = (negative ? text.dropFirst() : Substring(text)).split(separator: ".", omittingEmptySubsequences: false)
        // Canonical JSON: "007" → "7", "-.5" → "-0.5", "3." → "3".
        var whole = String(parts[0].drop { $0 == "0" })
        if whole.isEmpty { whole = "0" }
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        guard whole.count <= 15, fraction.count <= 6 else { return nil }
        let zero = whole == "0" && fraction.allSatisfy { $0 == "0" }
        return (negative && !zero ? "-" : "") + whole + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// "YYYY-MM-DD" as given, or the UTC day of an RFC 3339 time.
    static func day(_ s: String) -> String? {
        if s.count == 10 {
            guard let date = RFC3339.parse(s + "T00:00:00Z") else { return nil }
            return String(RFC3339.format(date).prefix(10))
        }
        guard let date = RFC3339.parse(s) else { return nil }
        return String(RFC3339.format(date).prefix(10))
    }

    static func boolean(_ value: JSON) -> Bool? {
        switch value {
        case .bool(let b): return b
        case .int(0): return false
        case .int(1): return true
        case .string(let s):
            switch s.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: return nil
            }
        default: return nil
        }
    }

    static func isURL(_ s: String) -> Bool {
        guard s.count <= 2048, !s.contains(" "), let url = URL(string: s),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else { return false }
        return true
    }

    /// Digits with the usual separators, an optional leading +, 5 to 20 digits.
    static func isPhone(_ s: String) -> Bool {
        guard s.count <= 40 else { return false }
        var digits = 0
        for (i, c) in s.enumerated() {
            if c.isASCII, c.isNumber { digits += 1 } else if c == "+" && i == 0 { continue } else if !" -.()/".contains(c) { return false }
        }
        return (5...20).contains(digits)
    }
}
