/// A statement whose text comes only from string literals in code, and whose every
/// interpolated value becomes a `?` bound as a parameter.
///
///     db.query("SELECT id, name FROM customers WHERE tenant_id = \(tenant) AND id = \(id)")
///
/// There is no initializer from a run-time `String`; identifiers chosen at run time come
/// from `SQLIdentifier` values, which are themselves made only from literals (whitelists).
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var text: String
    public private(set) var binds: [DBValue]

    public init(stringLiteral value: StaticString) {
        text = value.description
        binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        text = stringInterpolation.text
        binds = stringInterpolation.binds
    }

    /// Only the text with its placeholders: bound values stay out of logs.
    public var description: String { text }

    public struct StringInterpolation: StringInterpolationProtocol {
        var text = ""
        var binds: [DBValue] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: StaticString) {
            text += literal.description
        }

        /// A value, bound as a parameter.
        public mutating func appendInterpolation<T: SQLBindable>(_ value: T) {
            text += "?"
            binds.append(value.dbValue)
        }

        /// An optional value: NULL when nil.
        public mutating func appendInterpolation<T: SQLBindable>(_ value: T?) {
            text += "?"
            binds.append(value?.dbValue ?? .null)
        }

        /// A fragment, itself built from literals and binds.
        public mutating func appendInterpolation(_ fragment: SQL) {
            text += fragment.text
            binds += fragment.binds
        }

        /// A whitelisted identifier (column or table), quoted.
        public mutating func appendInterpolation(_ identifier: SQLIdentifier) {
            text += "`" + identifier.name + "`"
        }

        /// A list of values for `IN (…)`; an empty list becomes `NULL`, which matches nothing.
        public mutating func appendInterpolation<T: SQLBindable>(list values: [T]) {
            if values.isEmpty {
                text += "NULL"
                return
            }
            text += Array(repeating: "?", count: values.count).joined(separator: ", ")
            binds += values.map(\.dbValue)
        }
    }

    /// Joins fragments with a literal separator (" AND ", ", ").
    public static func join(_ parts: [SQL], separator: StaticString) -> SQL {
        var result = SQL(stringLiteral: "")
        for (i, part) in parts.enumerated() {
            if i > 0 { result.text += separator.description }
            result.text += part.text
            result.binds += part.binds
        }
        return result
    }

    public static func + (lhs: SQL, rhs: SQL) -> SQL {
        var result = lhs
        result.text += rhs.text
        result.binds += rhs.binds
        return result
    }
}

/// A table or column name chosen from a whitelist in code.
public struct SQLIdentifier: Sendable, Hashable {
    public let name: String
    public init(_ name: StaticString) {
        self.name = name.description
    }
}
