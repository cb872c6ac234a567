/// Writes JSON as compact UTF-8. Text is written as it is, with only the escapes JSON
/// requires (quote, backslash, control characters) plus `<`, `>` and `&` as \u escapes,
/// so that a JSON body can never be read as HTML.
public enum JSONWriter {
    public static func bytes(_ value: JSON) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    public static func string(_ value: JSON) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func write(_ value: JSON, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: [110, 117, 108, 108])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .int(let v): out.append(contentsOf: String(v).utf8)
        case .double(let d):
            if d.isFinite { out.append(contentsOf: d.description.utf8) } else { out.append(contentsOf: [110, 117, 108, 108]) }
        case .number(let s): out.append(contentsOf: s.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(91)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(44) }
                write(item, into: &out)
            }
            out.append(93)
        case .object(let object):
            out.append(123)
            for (i, pair) in object.pairs.enumerated() {
                if i > 0 { out.append(44) }
                writeString(pair.key, into: &out)
                out.append(58)
                write(pair.value, into: &out)
            }
            out.append(125)
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(34)
        for byte in s.utf8 {
            switch byte {
            case 34: out.append(92); out.append(34)
            case 92: out.append(92); out.append(92)
            case 10: out.append(92); out.append(110)
            case 13: out.append(92); out.append(114)
            case 9: out.append(92); out.append(116)
            case 0..<32, 60, 62, 38:
                out.append(contentsOf: [92, 117, 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(34)
    }
}

/// A JSON text that could not be read; `offset` is the byte where reading stopped.
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public let offset: Int
    /// Objects and arrays nested deeper than `JSONParser.maximumDepth`.
    public var isTooDeep = false
    public var description: String { "\(reason) at byte \(offset)" }
}

/// Reads JSON (RFC 8259) strictly: invalid UTF-8, trailing commas, comments, leading
/// zeros, lone surrogates and trailing garbage are all refused. Nesting is capped at
/// MariaDB's own limit for JSON documents (32 levels of objects and arrays), so that a body
/// the parser accepts is one the database can store.
public struct JSONParser {
    public static let maximumDepth = 32

    private let bytes: [UInt8]
    private var i = 0

    public static func parse(_ bytes: [UInt8]) throws -> JSON {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.i == bytes.count else { throw parser.fail("unexpected data after the JSON value") }
        return value
    }

    public static func parse(_ text: String) throws -> JSON { try parse(Array(text.utf8)) }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ reason: String) -> JSONParseError { JSONParseError(reason: reason, offset: i) }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9 { i += 1 }
    }

    private mutating func expect(_ literal: String, _ value: JSON) throws -> JSON {
        let chars = Array(literal.utf8)
        guard i + chars.count <= bytes.count, Array(bytes[i..<i + chars.count]) == chars else { throw fail("invalid literal") }
        i += chars.count
        return value
    }

    /// `depth`: how many objects and arrays enclose this value.
    private mutating func parseValue(depth: Int) throws -> JSON {
        guard i < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[i] {
        case 123: return try parseObject(depth: depth)
        case 91: return try parseArray(depth: depth)
        case 34: return .string(try parseString())
        case 116: return try expect("true", .bool(true))
        case 102: return try expect("false", .bool(false))
        case 110: return try expect("null", .null)
        case 45, 48...57: return try parseNumber()
        default: throw fail("unexpected character")
        }
    }

    private func tooDeep(_ depth: Int) -> JSONParseError? {
        guard depth >= Self.maximumDepth else { return nil }
        var error = fail("nested deeper than \(Self.maximumDepth) levels")
        error.isTooDeep = true
        return error
    }

    private mutating func parseObject(depth: Int) throws -> JSON {
        if let error = tooDeep(depth) { throw error }
        i += 1
        var object = JSONObject()
        skipWhitespace()
        if i < bytes.count, bytes[i] == 125 { i += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == 34 else { throw fail("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == 58 else { throw fail("expected ':'") }
            i += 1
            skipWhitespace()
            object[key] = try parseValue(depth: depth + 1)
            skipWhitespace()
            guard i < bytes.count else { throw fail("unexpected end of input") }
            if bytes[i] == 44 { i += 1; continue }
            if bytes[i] == 125 { i += 1; return .object(object) }
            throw fail("expected ',' or '}'")
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSON {
        if let error = tooDeep(depth) { throw error }
        i += 1
        var items: [JSON] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == 93 { i += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard i < bytes.count else { throw fail("unexpected end of input") }
            if bytes[i] == 44 { i += 1; continue }
            if bytes[i] == 93 { i += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func parseString() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let c = bytes[i]
            if c == 34 { i += 1; break }
            if c < 32 { throw fail("control character in string") }
            if c == 92 {
                i += 1
                guard i < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case 34: out.append(34)
                case 92: out.append(92)
                case 47: out.append(47)
                case 98: out.append(8)
                case 102: out.append(12)
                case 110: out.append(10)
                case 114: out.append(13)
                case 116: out.append(9)
                case 117:
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard i + 1 < bytes.count, bytes[i] == 92, bytes[i + 1] == 117 else { throw fail("lone surrogate") }
                        i += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone surrogate")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default: throw fail("invalid escape")
                }
                continue
            }
            out.append(c)
            i += 1
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
        return s
    }

    private mutating func parseNumber() throws -> JSON {
        let start = i
        if bytes[i] == 45 { i += 1 }
        guard i < bytes.count, (48...57).contains(bytes[i]) else { throw fail("invalid number") }
        if bytes[i] == 48 {
            i += 1
            if i < bytes.count, (48...57).contains(bytes[i]) { throw fail("leading zero in number") }
        } else {
            while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
        }
        var isInteger = true
        if i < bytes.count, bytes[i] == 46 {
            isInteger = false
            i += 1
            guard i < bytes.count, (48...57).contains(bytes[i]) else { throw fail("invalid fraction") }
            while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == 101 || bytes[i] == 69 {
            isInteger = false
            i += 1
            if i < bytes.count, bytes[i] == 43 || bytes[i] == 45 { i += 1 }
            guard i < bytes.count, (48...57).contains(bytes[i]) else { throw fail("invalid exponent") }
            while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let v = Int64(text) { return .int(v) }
        guard let d = Double(text), d.isFinite else { throw fail("number out of range") }
        return .double(d)
    }
}
