import Foundation
import MariaDB
import Web

extension JSON {
    /// A timestamp as RFC 3339 UTC text, or null.
    package static func date(_ date: Date?) -> JSON { date.map { .string(RFC3339.format($0)) } ?? .null }
}

extension Row {
    /// A column as JSON: strings, integers, decimals (exact) and dates (RFC 3339).
    package func json(_ column: String) -> JSON {
        switch self[column] {
        case .null: return .null
        case .int(let v): return .int(v)
        case .uint(let v): return .int(Int64(clamping: v))
        case .double(let d): return .double(d)
        case .decimal(let s): return .number(s)
        case .string(let s): return .string(s)
        case .bytes(let b): return .string(String(decoding: b, as: UTF8.self))
        case .date(let d): return .date(d)
        }
    }

    /// Several columns as a JSON object, in the order given.
    package func json(_ columns: [String]) -> JSON {
        .object(JSONObject(columns.map { ($0, json($0)) }))
    }
}
