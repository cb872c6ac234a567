import Foundation

/// A value as it travels to or from MariaDB.
public enum DBValue: Sendable, Equatable, Hashable {
    case null
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    /// DECIMAL, kept as its exact text ("4850.00").
    case decimal(String)
    case string(String)
    case bytes([UInt8])
    /// DATETIME and TIMESTAMP, always UTC.
    case date(Date)

    public var isNull: Bool { if case .null = self { return true } else { return false } }
}

/// A Swift value that can be bound to a `?` of a prepared statement.
public protocol SQLBindable: Sendable {
    var dbValue: DBValue { get }
}

extension DBValue: SQLBindable { public var dbValue: DBValue { self } }
extension Int: SQLBindable { public var dbValue: DBValue { .int(Int64(self)) } }
extension Int64: SQLBindable { public var dbValue: DBValue { .int(self) } }
extension Int32: SQLBindable { public var dbValue: DBValue { .int(Int64(self)) } }
extension UInt64: SQLBindable { public var dbValue: DBValue { .uint(self) } }
extension UInt32: SQLBindable { public var dbValue: DBValue { .uint(UInt64(self)) } }
extension Double: SQLBindable { public var dbValue: DBValue { .double(self) } }
extension Bool: SQLBindable { public var dbValue: DBValue { .int(self ? 1 : 0) } }
extension String: SQLBindable { public var dbValue: DBValue { .string(self) } }
extension Substring: SQLBindable { public var dbValue: DBValue { .string(String(self)) } }
extension Date: SQLBindable { public var dbValue: DBValue { .date(self) } }
extension Array: SQLBindable where Element == UInt8 { public var dbValue: DBValue { .bytes(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var dbValue: DBValue { self.map(\.dbValue) ?? .null }
}

/// An exact decimal number for a DECIMAL column, written as text ("149.99").
public struct SQLDecimal: SQLBindable, Equatable {
    public let text: String
    /// Accepts an optional sign, digits, and an optional fraction; nothing else.
    public init?(_ text: String) {
        var digits = 0, dots = 0
        for (i, c) in text.utf8.enumerated() {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."): dots += 1
            case UInt8(ascii: "-") where i == 0: break
            default: return nil
            }
        }
        guard digits > 0, dots <= 1, digits <= 40 else { return nil }
        self.text = text
    }
    /// The shortest text that reads back as the same Double.
    public init(_ value: Double) {
        self.text = value.isFinite ? "\(value)".replacingOccurrences(of: "e", with: "E") : "0"
    }
    public var dbValue: DBValue { .decimal(text) }
}
