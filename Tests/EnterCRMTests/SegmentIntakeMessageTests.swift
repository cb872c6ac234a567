import Foundation
import Testing
@testable import Tracking
@testable import Web

/// The Segment messages' translation into our items (no database): the time and its clock
/// correction, the errors named as the spec names the fields, the context kept on the event,
/// Order Completed as a purchase, and identify's traits.
@Suite struct SegmentIntakeMessageTests {
    let request = Request(method: "POST", path: "/v1/batch", headers: ["user-agent": "analytics-python/2.4.0"], remoteAddress: "10.0.0.9")
    let received = RFC3339.parse("2026-06-01T12:00:00Z")!

    func message(_ json: String, kind: SegmentIntakeMessage.Kind? = nil, sentAt: String? = nil) throws -> SegmentIntakeMessage {
        try SegmentIntakeMessage(try JSONParser.parse(json).objectValue!, kind: kind, sentAt: sentAt, receivedAt: received)
    }

    func fields(_ body: () throws -> Void) -> [String] {
        do { try body() } catch let error as HTTPError {
            #expect(error.status == 400)
            return error.errors?.fields.map(\.field) ?? []
        } catch { Issue.record("not an HTTPError: \(error)") }
        return []
    }

    @Test func timestampWinsElseOriginalTimestampMovedBySentAt() throws {
        #expect(try message(#"{"type":"track","userId":"u","timestamp":"2026-05-01T10:00:00.000+02:00"}"#).occurredAt
                == RFC3339.parse("2026-05-01T08:00:00Z"))
        // The client's clock is an hour fast: sent at 13:00 by its clock, received at 12:00.
        let skewed = try message(#"{"type":"track","userId":"u","originalTimestamp":"2026-06-01T12:50:00Z"}"#, sentAt: "2026-06-01T13:00:00Z")
        #expect(skewed.occurredAt == RFC3339.parse("2026-06-01T11:50:00Z"))
        let own = try message(#"{"type":"track","userId":"u","originalTimestamp":"2026-06-01T12:50:00Z","sentAt":"2026-06-01T12:55:00Z"}"#,
                              sentAt: "2026-06-01T13:00:00Z")
        #expect(own.occurredAt == RFC3339.parse("2026-06-01T11:55:00Z"), "the message's own sentAt first")
        #expect(try message(#"{"type":"track","userId":"u"}"#).occurredAt == received)
    }

    @Test func errorsNameTheSpecsFields() {
        #expect(fields { _ = try message(#"{"type":"nope","userId":"u"}"#) } == ["type"])
        #expect(fields { _ = try message(#"{"type":"track"}"#) } == ["userId"])
        #expect(fields { _ = try message(#"{"type":"track","userId":"u","timestamp":"yesterday"}"#) } == ["timestamp"])
        #expect(fields { _ = try message(#"{"type":"alias","userId":"u"}"#) } == ["previousId"])
        #expect(fields { _ = try message(#"{"type":"track","userId":{"a":1}}"#) } == ["userId"])
        #expect(fields {
            _ = try message(#"{"type":"track","userId":"u"}"#).event(customerID: 1, request: request, now: received, sourceKeyID: nil)
        } == ["event"])
    }

    @Test func trackKeepsTheContextAndOrderCompletedIsAPurchase() throws {
        let m = try message(#"""
            {"type":"track","userId":42,"event":"Order Completed","messageId":"m-1",
             "properties":{"revenue":"149.50","total":200,"currency":"eur"},
             "context":{"ip":"203.0.113.7","userAgent":"Mozilla/5.0","page":{"url":"https://shop.example/cart","referrer":"https://google.com/"},
                        "campaign":{"source":"newsletter","medium":"email","name":"spring"}}}
            """#)
        #expect(m.userID == "42")
        let e = try m.event(customerID: 7, request: request, now: received, sourceKeyID: 3)
        #expect(e.customerID == 7 && e.name == "Order Completed" && e.messageID == "m-1" && e.sourceKeyID == 3)
        #expect(e.amount == Decimal(string: "149.50") && e.currency == "EUR")
        #expect(e.ip == "203.0.113.7" && e.userAgent == "Mozilla/5.0")
        #expect(e.url == "https://shop.example/cart" && e.referrer == "https://google.com/")
        #expect(e.properties["utm_source"] == "newsletter" && e.properties["utm_campaign"] == "spring")
        let plain = try message(#"{"type":"track","anonymousId":"a","event":"Order Completed","properties":{"currency":"EUR"}}"#)
            .event(customerID: nil, request: request, now: received, sourceKeyID: nil)
        #expect(plain.amount == nil && plain.ip == "10.0.0.9" && plain.userAgent == "analytics-python/2.4.0")
    }

    @Test func pageAndScreenArePageviews() throws {
        let page = try message(#"{"type":"page","userId":"u","name":"Pricing","properties":{"url":"https://x.example/pricing"}}"#)
            .event(customerID: 1, request: request, now: received, sourceKeyID: nil)
        #expect(page.kind == .pageview && page.url == "https://x.example/pricing" && page.properties["title"] == "Pricing")
        let screen = try message(#"{"userId":"u","name":"Home"}"#, kind: .screen)
            .event(customerID: 1, request: request, now: received, sourceKeyID: nil)
        #expect(screen.kind == .pageview && screen.url == "screen:Home" && screen.properties["screen"] == .bool(true))
    }

    @Test func identifyTraitsMapToCustomerFields() throws {
        let m = try message(#"""
            {"type":"identify","userId":"u","traits":{"email":" Ana@Example.COM ","firstName":"Ana","lastName":"Kovač",
             "phone":"+385 1","address":{"city":"Split","country":"hr"},"plan":"pro"}}
            """#)
        let (email, traits) = try m.identifyTraits()
        #expect(email == "ana@example.com")
        #expect(traits.name == "Ana Kovač" && traits.phone == "+385 1" && traits.city == "Split" && traits.country == "HR")
        #expect(traits.properties?["plan"] == "pro" && traits.properties?["email"] == nil)
        #expect(fields { _ = try message(#"{"type":"identify","userId":"u","traits":{"email":"nope"}}"#).identifyTraits() } == ["traits.email"])
    }
}
