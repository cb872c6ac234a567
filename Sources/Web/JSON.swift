/// A JSON value. Objects keep their keys in order, so responses read as the API documents
/// show them. Numbers keep their kind: integers stay exact, and `.number` carries exact
/// decimal text (money from DECIMAL columns) straight to the output.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    /// Exact numeric text, written as it is ("4850.00").
    case number(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }
    public var isNull: Bool { self == .null }

    /// An integer value; a double with no fraction counts too (2.0).
    public var intValue: Int? {
        switch self {
        case .int(let v): return Int(exactly: v)
        case .double(let d): return Int(exactly: d)
        case .number(let s): return Int(s)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let d): return d
        case .number(let s): return Double(s)
        default: return nil
        }
    }

    /// An `Int` as a JSON integer.
    public static func int(_ value: Int) -> JSON { .int(Int64(value)) }

    /// A value from any `Encodable`-free Swift value is built with these helpers.
    public static func from(_ value: String?) -> JSON { value.map(JSON.string) ?? .null }
    public static func from(_ value: Int?) -> JSON { value.map { .int(Int64($0)) } ?? .null }
    public static func from(_ value: Double?) -> JSON { value.map(JSON.double) ?? .null }
    public static func from(_ value: Bool?) -> JSON { value.map(JSON.bool) ?? .null }
}

/// A JSON object with its keys in insertion order.
public struct JSONObject: Sendable, Equatable, Sequence {
    public private(set) var pairs: [(key: String, value: JSON)] = []

    public init() {}
    public init(_ pairs: [(String, JSON)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var keys: [String] { pairs.map(\.key) }
    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }

    public subscript(key: String) -> JSON? {
        get { pairs.first(where: { $0.key == key })?.value }
        set {
            if let i = pairs.firstIndex(where: { $0.key == key }) {
                if let newValue { pairs[i].value = newValue } else { pairs.remove(at: i) }
            } else if let newValue {
                pairs.append((key, newValue))
            }
        }
    }

    public func contains(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSON)]> { pairs.makeIterator() }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.pairs.count == b.pairs.count && zip(a.pairs, b.pairs).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension JSON: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSON {
    /// RFC 7396 merge patch: objects merge key by key, `null` removes a key, anything else
    /// replaces. (Done here rather than with MariaDB's JSON_MERGE_PATCH, which in 10.11 skips
    /// the key after a removed one.)
    public func mergePatched(with patch: JSON) -> JSON {
        guard case .object(let changes) = patch else { return patch }
        var result = objectValue ?? JSONObject()
        for (key, value) in changes {
            if value == .null {
                result[key] = nil
            } else {
                result[key] = (result[key] ?? .null).mergePatched(with: value)
            }
        }
        return .object(result)
    }
}
