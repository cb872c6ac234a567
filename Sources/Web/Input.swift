import Foundation

/// Reads and checks the fields of a JSON body, collecting every problem before answering
/// 422 with all of them. Messages name the field as a person would read it.
public struct Input {
    public let object: JSONObject
    public private(set) var errors = ValidationErrors()

    public init(_ object: JSONObject) { self.object = object }

    /// Reads the request body as a JSON object (400 when it is not one).
    public init(_ request: Request) throws { self.init(try request.jsonObject()) }

    public func has(_ key: String) -> Bool { object.contains(key) }

    static func label(_ key: String) -> String { key.replacingOccurrences(of: "_", with: " ") }

    public mutating func fail(_ key: String, _ message: String) { errors.add(key, message) }

    /// Refuses a JSON null for each of `keys` that is not nullable where an absent field means
    /// "unchanged" (the readers below take null as absent): one error naming each.
    public mutating func refuseNull(_ keys: String...) {
        for key in keys where object[key]?.isNull == true { fail(key, "The \(Self.label(key)) may not be null.") }
    }

    /// What a text field may hold besides printable characters.
    public enum Lines: Sendable {
        /// Names, titles, addresses, keys: no control character at all (C0, DEL, C1), no line
        /// or paragraph separator, no bidirectional embedding, override or isolate (which can
        /// make a name display as something else).
        case single
        /// Descriptions, notes, bodies: tab, line feed and carriage return too; still no NUL
        /// or other C0 control.
        case multi
    }

    /// A string, trimmed. `nil` when absent (an error if required) or invalid. Single-line
    /// unless `lines: .multi` (see `Lines`): every field read here gets the rule.
    public mutating func string(_ key: String, required: Bool = true, min: Int = 0, max: Int = 255,
                                trim: Bool = true, lines: Lines = .single) -> String? {
        guard let value = object[key], !value.isNull else {
            if required { fail(key, "The \(Self.label(key)) field is required.") }
            return nil
        }
        guard case .string(let raw) = value else {
            fail(key, "The \(Self.label(key)) must be a string.")
            return nil
        }
        let s = trim ? raw.trimmedOfWhitespace : raw
        if let problem = Self.controlCharacterProblem(s, lines) {
            fail(key, "The \(Self.label(key)) may not contain \(problem).")
            return nil
        }
        if s.isEmpty && required {
            fail(key, "The \(Self.label(key)) field is required.")
            return nil
        }
        if s.count < min {
            fail(key, "The \(Self.label(key)) must be at least \(min) characters.")
            return nil
        }
        if s.count > max {
            fail(key, "The \(Self.label(key)) may not be greater than \(max) characters.")
            return nil
        }
        return s
    }

    /// An email address, lowercased.
    public mutating func email(_ key: String = "email", required: Bool = true) -> String? {
        guard let s = string(key, required: required, max: 190) else { return nil }
        if s.isEmpty { return nil }
        guard Self.isEmail(s) else {
            fail(key, "The \(Self.label(key)) must be a valid email address.")
            return nil
        }
        return s.lowercased()
    }

    /// One of `allowed`; `defaultValue` when absent.
    public mutating func oneOf(_ key: String, _ allowed: [String], default defaultValue: String? = nil) -> String? {
        guard has(key), !(object[key]?.isNull ?? true) else {
            if defaultValue == nil { fail(key, "The \(Self.label(key)) field is required.") }
            return defaultValue
        }
        guard let s = string(key) else { return nil }
        guard allowed.contains(s) else {
            fail(key, "The selected \(Self.label(key)) is invalid. Allowed: \(allowed.joined(separator: ", ")).")
            return nil
        }
        return s
    }

    /// An integer (a JSON number without fraction, or a numeric string).
    public mutating func int(_ key: String, required: Bool = true, min: Int? = nil, max: Int? = nil) -> Int? {
        guard let value = object[key], !value.isNull else {
            if required { fail(key, "The \(Self.label(key)) field is required.") }
            return nil
        }
        var parsed = value.intValue
        if parsed == nil, case .string(let s) = value { parsed = Int(s) }
        guard let v = parsed else {
            fail(key, "The \(Self.label(key)) must be an integer.")
            return nil
        }
        if let min, v < min { fail(key, "The \(Self.label(key)) must be at least \(min).") ; return nil }
        if let max, v > max { fail(key, "The \(Self.label(key)) may not be greater than \(max).") ; return nil }
        return v
    }

    /// An RFC 3339 date-time (`2026-03-20T09:00:00Z`). `nil` when absent or null (an error if
    /// required) or invalid.
    public mutating func date(_ key: String, required: Bool = false) -> Date? {
        guard let value = object[key], !value.isNull else {
            if required { fail(key, "The \(Self.label(key)) field is required.") }
            return nil
        }
        guard let s = value.stringValue, let date = RFC3339.parse(s) else {
            fail(key, "The \(Self.label(key)) must be an RFC 3339 date-time (2026-03-20T09:00:00Z).")
            return nil
        }
        return date
    }

    public mutating func bool(_ key: String, required: Bool = false) -> Bool? {
        guard let value = object[key], !value.isNull else {
            if required { fail(key, "The \(Self.label(key)) field is required.") }
            return nil
        }
        guard case .bool(let b) = value else {
            fail(key, "The \(Self.label(key)) field must be true or false.")
            return nil
        }
        return b
    }

    /// What `s` holds that a field of `lines` may not ("control characters", …), or nil.
    /// Byte by byte over the UTF-8 (this runs for every field of every tracked event): C0
    /// and DEL are single bytes; C1 is C2 80–9F; U+2028/2029 and U+202A–202E are E2 80 A8–AE;
    /// U+2066–2069 are E2 81 A6–A9.
    public static func controlCharacterProblem(_ s: String, _ lines: Lines = .single) -> String? {
        var previous: UInt8 = 0, beforePrevious: UInt8 = 0
        for byte in s.utf8 {
            switch byte {
            case 0x09, 0x0A, 0x0D:
                if lines == .single { return "control characters (line breaks or tabs)" }
            case 0x00...0x1F:
                return "control characters"
            case 0x7F:
                if lines == .single { return "control characters" }
            case 0x80...0xBF:
                if lines == .single {
                    if previous == 0xC2, byte <= 0x9F { return "control characters" }
                    if beforePrevious == 0xE2, previous == 0x80, (0xA8...0xAE).contains(byte) {
                        return byte <= 0xA9 ? "line or paragraph separators" : "bidirectional text controls"
                    }
                    if beforePrevious == 0xE2, previous == 0x81, (0xA6...0xA9).contains(byte) { return "bidirectional text controls" }
                }
            default:
                break
            }
            beforePrevious = previous
            previous = byte
        }
        return nil
    }

    /// The most a customer's properties may take, written as JSON, and any one value of them.
    public static let maxPropertiesBytes = 65_536
    public static let maxPropertyValueBytes = 8_192

    /// Checks a customer's properties (what a request sets, or the result of merging it):
    /// each value at most 8 KiB and the whole at most 64 KiB, written as JSON. Errors name
    /// `field.key` for a value (`properties.notes`) and `field` for the whole.
    public static func propertiesProblems(_ properties: JSONObject, field: String = "properties") -> ValidationErrors {
        var errors = ValidationErrors()
        for (key, value) in properties where JSONWriter.string(value).utf8.count > maxPropertyValueBytes {
            errors.add("\(field).\(key)", "A property value may not be larger than 8 KB (\(maxPropertyValueBytes) bytes as JSON).")
        }
        if JSONWriter.string(.object(properties)).utf8.count > maxPropertiesBytes {
            errors.add(field, "The properties may not be larger than 64 KB (\(maxPropertiesBytes) bytes as JSON).")
        }
        return errors
    }

    /// A customer's properties: a JSON object within the limits of `propertiesProblems`.
    /// `nil` when absent or null (no error) or invalid (an error).
    public mutating func properties(_ key: String = "properties", field: String? = nil) -> JSONObject? {
        let name = field ?? key
        guard let value = object[key], !value.isNull else { return nil }
        guard let properties = value.objectValue else {
            fail(name, "The \(Self.label(name)) must be a JSON object.")
            return nil
        }
        let problems = Self.propertiesProblems(properties, field: name)
        for f in problems.fields { for m in f.messages { fail(f.field, m) } }
        return problems.isEmpty ? properties : nil
    }

    /// Throws 422 with every problem found, if any.
    public func check() throws { try errors.check() }

    /// A pragmatic address check: one @, a dot in the domain, no spaces or control characters.
    public static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, parts[1].count >= 3 else { return false }
        // The domain: a dot, not first or last, never two in a row (bytes: this runs on every
        // tracked event, and Substring.contains(String) goes through Foundation).
        let dot = UInt8(ascii: ".")
        let domain = parts[1].utf8
        guard domain.first != dot, domain.last != dot, domain.contains(dot) else { return false }
        var previous: UInt8 = 0
        for byte in domain {
            if byte == dot && previous == dot { return false }
            previous = byte
        }
        return s.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0...32, 127: return false
            case 0x3C, 0x3E, 0x28, 0x29, 0x5B, 0x5D, 0x2C, 0x3B, 0x3A, 0x5C, 0x22: return false // <>()[],;:\"
            default: return true
            }
        }
    }
}

extension String {
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, without the Foundation bridging
    /// when there is nothing to trim (the usual case: hot paths read many such fields).
    public var trimmedOfWhitespace: String {
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return self }
        // Printable ASCII at both ends: nothing to trim, decided without building a CharacterSet.
        if (33...126).contains(first.value) && (33...126).contains(last.value) { return self }
        let set = CharacterSet.whitespacesAndNewlines
        if !set.contains(first) && !set.contains(last) { return self }
        return trimmingCharacters(in: set)
    }
}
