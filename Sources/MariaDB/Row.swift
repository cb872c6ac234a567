import Foundation

/// The column names of a result set, shared by all its rows.
public final class ColumnIndex: Sendable {
    public let names: [String]
    private let positions: [String: Int]

    init(names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (i, name) in names.enumerated() where positions[name] == nil { positions[name] = i }
        self.positions = positions
    }

    func position(of name: String) -> Int? { positions[name] }
}

/// A decoding failure: the column is missing or holds another type. A programming error.
public struct RowDecodingError: Error, CustomStringConvertible {
    public let column: String
    public let expected: String
    public var description: String { "column '\(column)' is missing or not \(expected)" }
}

/// One row of a result set.
public struct Row: Sendable {
    public let columns: ColumnIndex
    public let values: [DBValue]

    public subscript(_ name: String) -> DBValue {
        guard let i = columns.position(of: name) else { return .null }
        return values[i]
    }

    public func has(_ name: String) -> Bool { columns.position(of: name) != nil }

    public func int(_ name: String) throws -> Int {
        guard let v = optionalInt(name) else { throw RowDecodingError(column: name, expected: "an integer") }
        return v
    }

    public func optionalInt(_ name: String) -> Int? {
        switch self[name] {
        case .int(let v): return Int(v)
        case .uint(let v): return Int(exactly: v)
        case .decimal(let s): return Int(s)
        case .string(let s): return Int(s)
        case .double(let d): return Int(exactly: d)
        default: return nil
        }
    }

    public func string(_ name: String) throws -> String {
        guard let v = optionalString(name) else { throw RowDecodingError(column: name, expected: "a string") }
        return v
    }

    public func optionalString(_ name: String) -> String? {
        switch self[name] {
        case .string(let s), .decimal(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        default: return nil
        }
    }

    public func double(_ name: String) throws -> Double {
        guard let v = optionalDouble(name) else { throw RowDecodingError(column: name, expected: "a number") }
        return v
    }

    public func optionalDouble(_ name: String) -> Double? {
        switch self[name] {
        case .double(let d): return d
        case .int(let v): return Double(v)
        case .uint(let v): return Double(v)
        case .decimal(let s), .string(let s): return Double(s)
        default: return nil
        }
    }

    public func bool(_ name: String) throws -> Bool { try int(name) != 0 }

    public func date(_ name: String) throws -> Date {
        guard let v = optionalDate(name) else { throw RowDecodingError(column: name, expected: "a date") }
        return v
    }

    public func optionalDate(_ name: String) -> Date? {
        if case .date(let d) = self[name] { return d }
        return nil
    }

    /// A DECIMAL column's exact text.
    public func decimal(_ name: String) throws -> String {
        switch self[name] {
        case .decimal(let s), .string(let s): return s
        case .int(let v): return String(v)
        case .double(let d): return "\(d)"
        default: throw RowDecodingError(column: name, expected: "a decimal")
        }
    }

    public func optionalDecimal(_ name: String) -> String? {
        self[name].isNull ? nil : try? decimal(name)
    }
}
