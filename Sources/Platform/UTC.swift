import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one home of date arithmetic and date text. Everything is UTC: the server, the
/// database session (`time_zone = '+00:00'`) and every answer.
///
/// Users: `Log` (every log line), `RFC3339` in Web (every date of every answer and request),
/// `MYSQL_TIME` in MariaDB (every bound or read DATETIME), the tracking batch (DATETIME
/// text inside a JSON parameter) and mail (the `Date:` header).
public enum UTC {
    /// A UTC date and time of day, month and day counted from 1.
    public struct Parts: Equatable, Sendable {
        public var year, month, day, hour, minute, second: Int
        public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
            (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
        }
    }

    /// The parts of `seconds` since 1970.
    public static func parts(_ seconds: Int) -> Parts {
        var t = time_t(seconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        return Parts(year: Int(tm.tm_year) + 1900, month: Int(tm.tm_mon) + 1, day: Int(tm.tm_mday),
                     hour: Int(tm.tm_hour), minute: Int(tm.tm_min), second: Int(tm.tm_sec))
    }

    /// The seconds since 1970 of `parts`; a day past the month's end counts on into the next
    /// month (31 February is 3 March), as `timegm` does. `exists` tells such dates apart.
    public static func seconds(_ parts: Parts) -> Int {
        var tm = tm()
        tm.tm_year = Int32(parts.year - 1900)
        tm.tm_mon = Int32(parts.month - 1)
        tm.tm_mday = Int32(parts.day)
        tm.tm_hour = Int32(parts.hour)
        tm.tm_min = Int32(parts.minute)
        tm.tm_sec = Int32(parts.second)
        return Int(timegm(&tm))
    }

    /// Whether the day exists (not 31 February, nor 29 February of a common year).
    public static func exists(_ parts: Parts) -> Bool {
        let back = Self.parts(seconds(parts))
        return back.day == parts.day && back.month == parts.month
    }

    /// Whole seconds and microseconds of `date`, rounded to the microsecond, as a
    /// DATETIME(6) holds it (a bound Date and a DATETIME written as text round alike).
    public static func microseconds(_ date: Date) -> (seconds: Int, micros: Int) {
        let interval = date.timeIntervalSince1970
        var seconds = Int(interval.rounded(.down))
        var micros = Int((interval - Double(seconds)) * 1_000_000 + 0.5)
        if micros >= 1_000_000 { seconds += 1; micros -= 1_000_000 }
        return (seconds, micros)
    }

    // MARK: Text

    /// RFC 3339 with `Z`, written byte by byte (it runs for every log line and every date of
    /// every answer): `fraction` is shown in `digits` digits (0: none).
    public static func rfc3339(seconds: Int, fraction: Int, digits: Int) -> String {
        let p = parts(seconds)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            var i = 0
            func put(_ value: Int, _ width: Int) {
                var v = value
                for k in stride(from: width - 1, through: 0, by: -1) {
                    buffer[i + k] = UInt8(48 + v % 10)
                    v /= 10
                }
                i += width
            }
            func char(_ c: UInt8) { buffer[i] = c; i += 1 }
            put(p.year, 4); char(45); put(p.month, 2); char(45); put(p.day, 2)
            char(84); put(p.hour, 2); char(58); put(p.minute, 2); char(58); put(p.second, 2)
            if digits > 0 {
                char(46)
                put(fraction, digits)
            }
            char(90)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<i]), as: UTF8.self)
        }
    }

    /// "2026-03-16T09:41:00Z", or with `fractionDigits` (6 → "…:00.000000Z"); the fraction is cut, not rounded.
    public static func rfc3339(_ date: Date, fractionDigits: Int = 0) -> String {
        let interval = date.timeIntervalSince1970
        let seconds = Int(interval.rounded(.down))
        let digits = min(max(fractionDigits, 0), 9)
        let fraction = digits > 0 ? Int(((interval - Double(seconds)) * pow(10, Double(digits))).rounded(.down)) : 0
        return rfc3339(seconds: seconds, fraction: fraction, digits: digits)
    }

    /// Reads "2026-03-20T09:00:00Z" (`T`, `t` or a space), with an optional fraction and a
    /// `Z` or ±hh:mm offset. Days that do not exist are refused.
    public static func parseRFC3339(_ text: String) -> Date? {
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
        let parts = Parts(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard exists(parts) else { return nil }
        return Date(timeIntervalSince1970: Double(seconds(parts) - offset) + fraction)
    }

    /// A DATETIME(6) literal ("2026-03-16 09:41:00.000000"), rounded to the microsecond as a
    /// bound Date is, for values passed inside a JSON parameter.
    public static func sqlDateTime(_ date: Date) -> String {
        let (seconds, micros) = microseconds(date)
        let p = parts(seconds)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(p.year, 4))-\(pad(p.month, 2))-\(pad(p.day, 2)) "
            + "\(pad(p.hour, 2)):\(pad(p.minute, 2)):\(pad(p.second, 2)).\(pad(micros, 6))"
    }

    /// An RFC 5322 date for mail headers: "Mon, 16 Mar 2026 09:41:00 +0000" (English names,
    /// whatever the process's locale).
    public static func rfc5322(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970)
        let p = parts(seconds)
        let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1 January 1970 was a Thursday
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let dayNumber = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let weekday = days[((dayNumber % 7) + 7) % 7]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(weekday), \(two(p.day)) \(months[p.month - 1]) \(p.year) \(two(p.hour)):\(two(p.minute)):\(two(p.second)) +0000"
    }
}
