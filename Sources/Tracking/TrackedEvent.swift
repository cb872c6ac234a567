import Cryptography
import Foundation
import MariaDB
import Web
import Customers

/// One event, pageview or purchase as a client sent it, checked.
package struct TrackedEvent {
    package enum Kind: String { case event, pageview }

    var kind: Kind
    var name: String
    var email: String?
    var customerID: Int?
    var anonymousID: String?
    var properties: JSONObject { didSet { writtenProperties = nil } }
    /// `properties` as JSON text, kept from reading the request (which writes it to check
    /// its size) until `properties` changes.
    private var writtenProperties: String?
    /// `properties` as stored (JSON text).
    var propertiesText: String { writtenProperties ?? JSONWriter.string(.object(properties)) }
    /// Set for purchases that count towards the customer's lifetime value: the order's
    /// amount and currency. Every aggregate of revenue (the `customer_add_events` procedure
    /// of schema/027, which tracking and `recompute` call, and the analytics) reads this, stored as
    /// `events.amount`; a purchase that does not count (`withholdRevenue`) keeps its amount
    /// only in its properties, so it shows on the timeline.
    var amount: Decimal?
    var currency: String?
    var url: String?
    var referrer: String?
    var userAgent: String?
    var ip: String?
    var messageID: String?
    /// The API key of a Segment source (`events.source_key_id`); nil on the other paths.
    var sourceKeyID: Int?
    var occurredAt: Date
    let publicID = "evt_" + Random.hex(bytes: 8)

    /// Digits with at most one decimal point and digits after it: "12", "149.99", "-3.5".
    static func isPlainNumber(_ s: String) -> Bool {
        let body = s.hasPrefix("-") ? s.dropFirst() : Substring(s)
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        return parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) } }
    }

    static let maxPropertiesBytes = 32_768

    /// Reads an item of `/v1/track/event`, `/v1/track/pageview` or `/v1/track/batch`.
    /// Long (about 80 lines): one check per field of the item, each naming the field.
    package init(_ body: JSONObject, kind: Kind, request: Request, now: Date) throws {
        var input = Input(body)
        self.kind = kind
        if let raw = input.string("customer_email", required: false, max: 190), !raw.isEmpty {
            if Input.isEmail(raw) { email = CustomerStore.normalizeEmail(raw) } else {
                input.fail("customer_email", "The customer email must be a valid email address.")
            }
        }
        customerID = input.int("customer_id", required: false, min: 1)
        anonymousID = input.string("anonymous_id", required: false, max: 100).flatMap { $0.isEmpty ? nil : $0 }
        if email == nil, customerID == nil, anonymousID == nil, !input.errors.has("customer_email") {
            input.fail("customer_email", "An event needs a customer_email, a customer_id or an anonymous_id.")
        }
        switch kind {
        case .event:
            name = input.string("event", max: 100) ?? ""
        case .pageview:
            name = "pageview"
            url = input.string("url", max: 2048)
            referrer = input.string("referrer", required: false, max: 2048).flatMap { $0.isEmpty ? nil : $0 }
        }
        userAgent = (input.string("user_agent", required: false, max: 512) ?? request.header("user-agent")).map { String($0.prefix(512)) }
        ip = request.remoteAddress.isEmpty ? nil : request.remoteAddress
        messageID = input.string("message_id", required: false, max: 190).flatMap { $0.isEmpty ? nil : $0 }
        occurredAt = now
        if let raw = input.string("occurred_at", required: false, max: 40), !raw.isEmpty {
            if let date = RFC3339.parse(raw) {
                if date > now.addingTimeInterval(86_400) {
                    input.fail("occurred_at", "The occurred at may not be more than a day in the future.")
                } else if date.timeIntervalSince1970 < 0 {
                    input.fail("occurred_at", "The occurred at must be after 1970.")
                } else {
                    occurredAt = date
                }
            } else {
                input.fail("occurred_at", "The occurred at must be an RFC 3339 date-time (2026-03-20T09:00:00Z).")
            }
        }
        properties = JSONObject()
        if let value = body["properties"], value != .null {
            if let object = value.objectValue {
                properties = object
                writtenProperties = JSONWriter.string(value)
                if writtenProperties!.utf8.count > Self.maxPropertiesBytes {
                    input.fail("properties", "The properties may not be larger than 32 KB.")
                }
            } else {
                input.fail("properties", "The properties must be a JSON object.")
            }
        }
        if kind == .pageview, let title = body["title"]?.stringValue, properties["title"] == nil {
            properties["title"] = .string(String(title.prefix(500)))
            writtenProperties = nil
        }
        if kind == .event, let amountKey = Self.purchaseAmountKey(name, properties) {
            switch properties[amountKey] {
            case .int(let v)?: amount = Decimal(v)
            case .double(let d)?: amount = Decimal(string: String(d))
            case .string(let s)?:
                // Decimal(string:) reads a numeric prefix ("12abc" is 12): only a whole plain number is taken.
                let text = s.trimmingCharacters(in: .whitespaces)
                amount = Self.isPlainNumber(text) ? Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) : nil
            default: amount = nil
            }
            // A purchase is money received: not negative, not NaN, below a trillion.
            if let a = amount, !a.isNaN, a >= 0, a < 1_000_000_000_000 {
                var rounded = Decimal(), value = a
                NSDecimalRound(&rounded, &value, 2, .plain)
                amount = rounded
            } else {
                amount = nil
                input.fail("properties.\(amountKey)", "A purchase needs a numeric properties.\(amountKey), at least 0 and below 1000000000000.")
            }
            if let cur = properties["currency"] {
                if let code = cur.stringValue, code.count == 3, code.allSatisfy(\.isLetter) { currency = code.uppercased() } else {
                    input.fail("properties.currency", "The currency must be a three-letter ISO 4217 code.")
                }
            }
        }
        try input.check()
    }

    var isPurchase: Bool { amount != nil }

    /// The one rule of which events are purchases, and the property holding the amount: our
    /// `purchase` (`amount`), and the Segment e-commerce spec's `Order Completed` with a
    /// `revenue` or else a `total` (without either it is an ordinary event).
    static func purchaseAmountKey(_ name: String, _ properties: JSONObject) -> String? {
        switch name {
        case "purchase": return "amount"
        case "Order Completed": return properties["revenue"] != nil ? "revenue" : properties["total"] != nil ? "total" : nil
        default: return nil
        }
    }

    /// The one rule of revenue from browsers: a purchase sent with a publishable key counts
    /// towards lifetime value (clv_total, orders, averages, analytics) only where the
    /// workspace turned on `count_browser_revenue`. The secret key and sessions always count.
    /// Every tracking route (event, batch) passes its events through here before recording.
    static func applyRevenueRule(_ events: inout [TrackedEvent], publishable: Bool, countsBrowserRevenue: () throws -> Bool) rethrows {
        guard publishable, events.contains(where: \.isPurchase), !(try countsBrowserRevenue()) else { return }
        for i in events.indices where events[i].isPurchase {
            events[i].amount = nil
            events[i].currency = nil
        }
    }
}
