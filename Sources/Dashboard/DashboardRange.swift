import Foundation
import MariaDB
import Platform
import Web

/// The period a dashboard shows: whole UTC days [from, to), the previous period of the same
/// length just before it, and the buckets of its charts. Workspaces have no time zone of their
/// own (every date of the product is UTC), so neither has the dashboard.
struct DashboardRange: Equatable {
    enum Interval: String, CaseIterable {
        case day, week, month

        /// The SQL of the bucket a `day` (a DATE column) falls in: the day, the Monday of its
        /// ISO week, the first of its month. Fixed literals, chosen by the interval.
        var bucketSQL: SQL {
            switch self {
            case .day: return "day"
            case .week: return "day - INTERVAL WEEKDAY(day) DAY"
            case .month: return "day - INTERVAL (DAYOFMONTH(day) - 1) DAY"
            }
        }
    }

    /// Days since 1970-01-01, `to` excluded.
    let from: Int
    let to: Int
    let interval: Interval

    var days: Int { to - from }
    var previousFrom: Int { from - days }

    /// A chart has at most this many buckets.
    static let maxBuckets = 400
    /// 30 days up to and including today, by default.
    static let defaultDays = 30

    /// Parses `from`, `to` (YYYY-MM-DD, `to` excluded) and `interval`; every problem is a 422
    /// naming its field. Without `to`, tomorrow (today is included); without `from`, 30 days
    /// before `to`; without `interval`, days up to 92 days, weeks up to a year, then months.
    static func parse(_ query: [String: String], today: Int) throws -> DashboardRange {
        var errors = ValidationErrors()
        func day(_ key: String) -> Int? {
            guard let raw = query[key], !raw.isEmpty else { return nil }
            guard let n = parseDay(raw) else {
                errors.add(key, "The \(key) must be a date (YYYY-MM-DD) between 1970-01-01 and 9999-12-31.")
                return nil
            }
            return n
        }
        let explicitTo = day("to"), explicitFrom = day("from")
        var interval: Interval?
        if let raw = query["interval"], !raw.isEmpty {
            interval = Interval(rawValue: raw)
            if interval == nil { errors.add("interval", "The interval must be day, week or month.") }
        }
        try errors.check()
        let to = explicitTo ?? today + 1
        let from = explicitFrom ?? to - defaultDays
        if from >= to {
            throw HTTPError.invalid("from", "The from date must be before the to date (to is excluded).")
        }
        if from - (to - from) < 0 {
            throw HTTPError.invalid("from", "The period and the previous one of the same length must start in 1970 or later.")
        }
        let chosen = interval ?? (to - from <= 92 ? .day : to - from <= 366 ? .week : .month)
        let range = DashboardRange(from: from, to: to, interval: chosen)
        if range.buckets.count > maxBuckets {
            throw HTTPError.invalid("interval", "The range has \(range.buckets.count) \(chosen.rawValue)s; at most \(maxBuckets) fit in a chart: choose a longer interval or a shorter range.")
        }
        return range
    }

    /// The first day of every bucket that meets [from, to), in order; the first may start
    /// before `from` (a week or month already under way).
    var buckets: [Int] {
        var result: [Int] = []
        var start = Self.bucket(of: from, interval)
        while start < to {
            result.append(start)
            if result.count > Self.maxBuckets { break }
            start = Self.next(start, interval)
        }
        return result
    }

    static func bucket(of day: Int, _ interval: Interval) -> Int {
        switch interval {
        case .day: return day
        case .week: return day - (day + 3) % 7 // 1970-01-01 was a Thursday: Monday is 0.
        case .month:
            let p = UTC.parts(day * 86_400)
            return UTC.seconds(UTC.Parts(year: p.year, month: p.month, day: 1)) / 86_400
        }
    }

    static func next(_ start: Int, _ interval: Interval) -> Int {
        switch interval {
        case .day: return start + 1
        case .week: return start + 7
        case .month:
            let p = UTC.parts(start * 86_400)
            return UTC.seconds(UTC.Parts(year: p.year + p.month / 12, month: p.month % 12 + 1, day: 1)) / 86_400
        }
    }

    /// "2026-03-01" of a day number.
    static func text(_ day: Int) -> String {
        let p = UTC.parts(day * 86_400)
        return String(format: "%04d-%02d-%02d", p.year, p.month, p.day)
    }

    /// The day number of "YYYY-MM-DD" (a day that exists, 1970 to 9999), or nil.
    static func parseDay(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), y >= 1970 else { return nil }
        let date = UTC.Parts(year: y, month: m, day: d)
        guard (1...12).contains(m), (1...31).contains(d), UTC.exists(date) else { return nil }
        return UTC.seconds(date) / 86_400
    }
}
