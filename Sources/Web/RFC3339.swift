import Foundation
import Platform

/// UTC timestamps as RFC 3339 text with `Z`: the name the routes use; the rule itself is
/// `UTC` in Platform (Sources/Platform/UTC.swift).
public enum RFC3339 {
    /// "2026-03-16T09:41:00Z", or with `fractionDigits` (6 → "…:00.000000Z").
    public static func format(_ date: Date, fractionDigits: Int = 0) -> String {
        UTC.rfc3339(date, fractionDigits: fractionDigits)
    }

    /// Reads "2026-03-20T09:00:00Z", with optional fraction and a `Z` or ±hh:mm offset.
    public static func parse(_ text: String) -> Date? {
        UTC.parseRFC3339(text)
    }
}
