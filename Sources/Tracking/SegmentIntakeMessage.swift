import Foundation
import Web
import Customers

/// One message of the Segment tracking spec (track, identify, page, screen, group, alias),
/// read and translated into what the tracking routes take: an item of `/v1/track/batch` for
/// `TrackedEvent`, or the traits of `/v1/track/identify`. No tracking rule lives here; errors
/// name the spec's fields.
struct SegmentIntakeMessage {
    enum Kind: String, CaseIterable { case track, identify, page, screen, group, alias }

    let kind: Kind
    let object: JSONObject
    /// The customer's external id (`customers.external_id`).
    let userID: String?
    let anonymousID: String?
    let occurredAt: Date

    static let maxUserIDLength = 190, maxAnonymousIDLength = 100

    /// `kind` is the path's (`/v1/track`), else the message's `type` (`/v1/batch`). The time:
    /// `timestamp`; else `originalTimestamp` moved by the client's clock error (the message's
    /// or the batch's `sentAt` against `receivedAt`); else `receivedAt`.
    init(_ object: JSONObject, kind: Kind?, sentAt batchSentAt: String?, receivedAt: Date) throws {
        var errors = ValidationErrors()
        self.object = object
        let type = object["type"]?.stringValue
        guard let resolved = kind ?? type.flatMap(Kind.init(rawValue:)) else {
            errors.add("type", "The type must be one of track, identify, page, screen, group, alias.")
            throw HTTPError(400, "The message has no known type.", errors: errors)
        }
        self.kind = resolved
        func id(_ key: String, max: Int) -> String? {
            switch object[key] {
            case .string(let s)?:
                if s.count > max { errors.add(key, "The \(key) may be at most \(max) characters.") }
                return s.isEmpty ? nil : s
            case .int(let v)?: return String(v)
            case nil, .null?: return nil
            default:
                errors.add(key, "The \(key) must be a string.")
                return nil
            }
        }
        userID = id("userId", max: Self.maxUserIDLength)
        anonymousID = id("anonymousId", max: Self.maxAnonymousIDLength)
        if resolved == .alias {
            if userID == nil, !errors.has("userId") { errors.add("userId", "An alias needs a userId.") }
            if Self.text(object["previousId"]) == nil { errors.add("previousId", "An alias needs a previousId.") }
        } else if userID == nil, anonymousID == nil, errors.isEmpty {
            errors.add("userId", "A message needs a userId or an anonymousId.")
        }
        func time(_ key: String, _ value: JSON?) -> Date? {
            guard let value, value != .null else { return nil }
            guard let text = value.stringValue, let date = RFC3339.parse(text) else {
                errors.add(key, "The \(key) must be an ISO 8601 date-time (2026-03-20T09:00:00.000Z).")
                return nil
            }
            return date
        }
        let timestamp = time("timestamp", object["timestamp"])
        let original = time("originalTimestamp", object["originalTimestamp"])
        let sent = time("sentAt", object["sentAt"] ?? batchSentAt.map(JSON.string))
        if let timestamp {
            occurredAt = timestamp
        } else if let original {
            occurredAt = sent.map { receivedAt.addingTimeInterval(original.timeIntervalSince($0)) } ?? original
        } else {
            occurredAt = receivedAt
        }
        if !errors.isEmpty { throw HTTPError(400, "The message is invalid.", errors: errors) }
    }

    /// A string, or a number written as one (ids sent as numbers).
    static func text(_ value: JSON?) -> String? {
        switch value {
        case .string(let s)?: return s.isEmpty ? nil : s
        case .int(let v)?: return String(v)
        default: return nil
        }
    }

    var context: JSONObject { object["context"]?.objectValue ?? JSONObject() }
    var properties: JSONObject { object["properties"]?.objectValue ?? JSONObject() }
    var traits: JSONObject { object["traits"]?.objectValue ?? context["traits"]?.objectValue ?? JSONObject() }
    var messageID: String? { Self.text(object["messageId"]) }

    /// Our field names in `TrackedEvent`'s errors, as the spec names them.
    static let fieldNames = [
        "event": "event", "customer_email": "userId", "customer_id": "userId", "anonymous_id": "anonymousId",
        "url": "properties.url", "referrer": "properties.referrer", "occurred_at": "timestamp", "message_id": "messageId",
        "user_agent": "context.userAgent", "properties": "properties",
    ]

    /// The UTM parameters of `context.campaign`, as the properties keep them.
    static let campaignKeys = [("source", "utm_source"), ("medium", "utm_medium"), ("name", "utm_campaign"),
                               ("term", "utm_term"), ("content", "utm_content")]

    /// A track, page or screen as a `TrackedEvent`: the item `/v1/track/batch` would take,
    /// read by the same initializer, then the context's IP address and page. `customerID` is
    /// the customer of `userID` (resolved by the caller).
    func event(customerID: Int?, request: Request, now: Date, sourceKeyID: Int?) throws -> TrackedEvent {
        var item = JSONObject()
        let page = context["page"]?.objectValue ?? JSONObject()
        var props = properties
        var trackedKind = TrackedEvent.Kind.event
        switch kind {
        case .track:
            item["event"] = object["event"] ?? .null
        case .page, .screen:
            trackedKind = .pageview
            let name = Self.text(object["name"])
            let url = Self.text(props["url"]) ?? Self.text(page["url"]) ?? "\(kind.rawValue):\(name ?? "")"
            item["url"] = .string(url)
            if let referrer = Self.text(props["referrer"]) ?? Self.text(page["referrer"]) { item["referrer"] = .string(referrer) }
            if let name { item["title"] = .string(Self.text(props["title"]) ?? name); props["name"] = .string(name) }
            if kind == .screen { props["screen"] = .bool(true) }
        default:
            preconditionFailure("only track, page and screen are events")
        }
        if let campaign = context["campaign"]?.objectValue {
            for (key, utm) in Self.campaignKeys where props[utm] == nil {
                if let value = Self.text(campaign[key]) { props[utm] = .string(value) }
            }
        }
        item["properties"] = .object(props)
        if let customerID { item["customer_id"] = .int(Int64(customerID)) }
        if let anonymousID { item["anonymous_id"] = .string(anonymousID) }
        if let messageID { item["message_id"] = .string(messageID) }
        item["occurred_at"] = .string(RFC3339.format(occurredAt, fractionDigits: 6))
        if let agent = Self.text(context["userAgent"]) { item["user_agent"] = .string(String(agent.prefix(512))) }
        var event: TrackedEvent
        do {
            event = try TrackedEvent(item, kind: trackedKind, request: request, now: now)
        } catch let error as HTTPError {
            var errors = ValidationErrors()
            for field in error.errors?.fields ?? [] {
                let prefix = field.field.hasPrefix("properties.") ? field.field : Self.fieldNames[field.field] ?? field.field
                for m in field.messages { errors.add(prefix, m) }
            }
            throw HTTPError(400, error.message, errors: errors)
        }
        if let ip = Self.text(context["ip"]), ip.count <= 64 { event.ip = ip }
        if kind == .track, let url = Self.text(page["url"]) {
            event.url = String(url.prefix(2048))
            event.referrer = Self.text(page["referrer"]).map { String($0.prefix(2048)) }
        }
        event.sourceKeyID = sourceKeyID
        return event
    }

    /// Standard traits that are customer fields; the others go to the properties.
    static let customerTraits: Set<String> = ["email", "name", "firstName", "lastName", "phone", "city", "country"]

    /// An identify's traits as `/v1/track/identify` takes them (name from first and last
    /// name, city and country from the address too, the rest as properties), and its email.
    func identifyTraits() throws -> (email: String?, traits: EventRecorder.Traits) {
        let t = traits
        var ours = JSONObject()
        let address = t["address"]?.objectValue ?? JSONObject()
        let full = [Self.text(t["firstName"]), Self.text(t["lastName"])].compactMap { $0 }.joined(separator: " ")
        if let name = Self.text(t["name"]) ?? (full.isEmpty ? nil : full) { ours["name"] = .string(name) }
        if let phone = Self.text(t["phone"]) { ours["phone"] = .string(phone) }
        if let city = Self.text(t["city"]) ?? Self.text(address["city"]) { ours["city"] = .string(city) }
        if let country = Self.text(t["country"]) ?? Self.text(address["country"]) { ours["country"] = .string(country) }
        var rest = JSONObject()
        for (key, value) in t where !Self.customerTraits.contains(key) { rest[key] = value }
        if !rest.isEmpty { ours["properties"] = .object(rest) }
        var input = Input(ours)
        var email: String?
        if let raw = Self.text(t["email"])?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            if Input.isEmail(raw) { email = CustomerStore.normalizeEmail(raw) } else {
                input.fail("traits.email", "The email must be a valid email address.")
            }
        }
        let read = TrackingRoutes.readTraits(ours, into: &input)
        if !input.errors.isEmpty { throw HTTPError(400, "The traits are invalid.", errors: input.errors) }
        return (email, read)
    }
}
