import FastCGI
import Foundation

/// UTC timestamps as RFC 3339 text with `Z`.
public enum RFC3339 {
    /// "2026-03-16T09:41:00Z", or with `fractionDigits` (6 → "…:00.000000Z").
    public static func format(_ date: Date, fractionDigits: Int = 0) -> String {
        let interval = date.timeIntervalSince1970
        let seconds = time_t(interval.rounded(.down))
        let digits = min(max(fractionDigits, 0), 9)
        let fraction = digits > 0 ? Int(((interval - Double(seconds)) * pow(10, Double(digits))).rounded(.down)) : 0
        return Log.utcTimestamp(seconds: seconds, fraction: fraction, digits: digits)
    }

    /// Reads "2026-03-20T09:00:00Z", with optional fraction and a `Z` or ±hh:mm offset.
    public static func parse(_ text: String) -> Date? {
        let chars = Array(text.utf8)
        guard chars.count >= 20 else { return nil }
        func number(_ from: Int, _ length: Int) -> Int? {
            guard from + length <= chars.count else { return nil }
            var v = 0
            for c in chars[from..<from + length] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = number(0, 4), chars[4] == 45, let month = number(5, 2), chars[7] == 45,
              let day = number(8, 2), chars[10] == 84 || chars[10] == 116 || chars[10] == 32,
              let hour = number(11, 2), chars[13] == 58, let minute = number(14, 2), chars[16] == 58,
              let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < chars.count, chars[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < chars.count, chars[i] >= 48, chars[i] <= 57 {
                fraction += Double(chars[i] - 48) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        guard i < chars.count else { return nil }
        var offset = 0
        if chars[i] == 90 || chars[i] == 122 {
            i += 1
        } else if chars[i] == 43 || chars[i] == 45 {
            guard let oh = number(i + 1, 2), chars.count > i + 3, chars[i + 3] == 58, let om = number(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (chars[i] == 43 ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == chars.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        // timegm normalises 31 February into March; refuse dates that do not exist.
        var check = tm()
        var t = seconds
        gmtime_r(&t, &check)
        guard check.tm_mday == Int32(day), check.tm_mon == Int32(month - 1) else { return nil }
        return Date(timeIntervalSince1970: Double(seconds - offset) + fraction)
    }
}
