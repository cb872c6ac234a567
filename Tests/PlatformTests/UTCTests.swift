import Foundation
import Platform
import Testing

@Suite struct UTCTests {
    // 2026-03-16T09:41:07Z, a Monday.
    let monday = Date(timeIntervalSince1970: 1_773_654_067)

    @Test func partsAndSecondsAreInverse() {
        let p = UTC.parts(1_773_654_067)
        #expect(p == UTC.Parts(year: 2026, month: 3, day: 16, hour: 9, minute: 41, second: 7))
        #expect(UTC.seconds(p) == 1_773_654_067)
        #expect(UTC.parts(0) == UTC.Parts(year: 1970, month: 1, day: 1))
        #expect(UTC.parts(-1) == UTC.Parts(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
    }

    @Test func daysThatDoNotExistAreToldApart() {
        #expect(UTC.exists(UTC.Parts(year: 2024, month: 2, day: 29)))
        #expect(!UTC.exists(UTC.Parts(year: 2026, month: 2, day: 29)))
        #expect(!UTC.exists(UTC.Parts(year: 2026, month: 4, day: 31)))
        #expect(UTC.seconds(UTC.Parts(year: 2026, month: 2, day: 31)) == UTC.seconds(UTC.Parts(year: 2026, month: 3, day: 3)))
    }

    @Test func rfc3339WritesAndReads() {
        #expect(UTC.rfc3339(monday) == "2026-03-16T09:41:07Z")
        #expect(UTC.rfc3339(monday.addingTimeInterval(0.25), fractionDigits: 6) == "2026-03-16T09:41:07.250000Z")
        #expect(UTC.rfc3339(seconds: 0, fraction: 5, digits: 3) == "1970-01-01T00:00:00.005Z")
        #expect(UTC.parseRFC3339("2026-03-16T09:41:07Z") == monday)
        #expect(UTC.parseRFC3339("2026-03-16 11:41:07+02:00") == monday)
        #expect(UTC.parseRFC3339("2026-03-16t09:41:07.5z") == monday.addingTimeInterval(0.5))
        for bad in ["2026-02-30T00:00:00Z", "2026-03-16T09:41:07", "2026-03-16T24:00:00Z", "2026-03-16T09:41:07.Z", "2026-3-16T09:41:07Z", ""] {
            #expect(UTC.parseRFC3339(bad) == nil, "\(bad)")
        }
    }

    @Test func sqlDateTimeRoundsToTheMicrosecond() {
        #expect(UTC.sqlDateTime(monday) == "2026-03-16 09:41:07.000000")
        #expect(UTC.sqlDateTime(monday.addingTimeInterval(0.9999996)) == "2026-03-16 09:41:08.000000")
        #expect(UTC.microseconds(monday.addingTimeInterval(0.0000014)) == (1_773_654_067, 1))
    }

    @Test func rfc5322HasEnglishNamesAndTheWeekday() {
        #expect(UTC.rfc5322(monday) == "Mon, 16 Mar 2026 09:41:07 +0000")
        #expect(UTC.rfc5322(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(UTC.rfc5322(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 +0000")
    }
}
