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

    /// A string, trimmed. `nil` when absent (an error if required) or invalid.
    public mutating func string(_ key: String, required: Bool = true, min: Int = 0, max: Int = 255,
                                trim: Bool = true) -> String? {
        guard let value = object[key], !value.isNull else {
            if required { fail(key, "The \(Self.label(key)) field is required.") }
            return nil
        }
        guard case .string(let raw) = value else {
            fail(key, "The \(Self.label(key)) must be a string.")
            return nil
        }
        let s = trim ? raw.trimmedOfWhitespace : raw
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

    /// Throws 422 with every problem found, if any.
    public func check() throws { try errors.check() }

    /// A pragmatic address check: one @, a dot in the domain, no spaces or control characters.
    public static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, parts[1].count >= 3,
              parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !parts[1].contains("..")
        else { return false }
        return s.unicodeScalars.allSatisfy { $0.value > 32 && $0.value != 127 && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }
}

extension String {
    /// `trimmingCharacters(in: .whitespacesAndNewlines)`, without the Foundation bridging
    /// when there is nothing to trim (the usual case: hot paths read many such fields).
    public var trimmedOfWhitespace: String {
        let set = CharacterSet.whitespacesAndNewlines
        guard let first = unicodeScalars.first, let last = unicodeScalars.last else { return self }
        if !set.contains(first) && !set.contains(last) { return self }
        return trimmingCharacters(in: set)
    }
}
