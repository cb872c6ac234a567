import Foundation
import MariaDB
import Web
import Core

/// Demo customers with a year of pageviews, signups and purchases, recorded through the
/// same code as live tracking so that every aggregate is what tracking would have made.
package enum CustomerSeed {
    static let firstNames = ["Ana", "Ivan", "Marko", "Petra", "Luka", "Maja", "Josip", "Iva", "Tomislav", "Lucija", "Filip", "Nina",
                             "Matej", "Sara", "Karlo", "Ema", "Dino", "Lea", "Hrvoje", "Tea", "Anna", "Jonas", "Sophie", "Lukas",
                             "Marie", "Felix", "Elena", "Paul", "Laura", "David"]
    static let lastNames = ["Kovač", "Horvat", "Babić", "Marić", "Novak", "Jurić", "Knežević", "Vuković", "Blažević", "Perić",
                            "Pavlović", "Matić", "Tomić", "Šarić", "Schulz", "Müller", "Weber", "Fischer", "Rossi", "Bianchi"]
    static let places: [(String, String)] = [("Zagreb", "HR"), ("Split", "HR"), ("Rijeka", "HR"), ("Osijek", "HR"), ("Zadar", "HR"),
                                             ("Ljubljana", "SI"), ("Berlin", "DE"), ("München", "DE"), ("Wien", "AT"), ("Milano", "IT")]
    static let products: [(String, String, Double)] = [("prod_basic", "Basic Plan", 29), ("prod_premium", "Premium Plan", 149.99),
                                                       ("prod_addon", "Extra Seats", 49.5), ("prod_course", "Onboarding Course", 89)]
    static let pages = ["/", "/pricing", "/features", "/blog/rfm-explained", "/blog/clv-guide", "/checkout", "/docs", "/contact"]

    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        if try db.queryOne("SELECT COUNT(*) AS n FROM customers WHERE tenant_id = \(tenant)")?.int("n") ?? 0 > 0 { return }
        var generator = SeededGenerator(seed: 20260315)
        let now = Date()
        var events: [JSONObject] = []
        var customers = 0
        for i in 0..<320 {
            let first = firstNames[i % firstNames.count]
            let last = lastNames[(i * 7 + i / firstNames.count) % lastNames.count]
            let ascii = "\(first).\(last)".folding(options: .diacriticInsensitive, locale: nil).lowercased()
            let email = i == 0 ? "ana.kovac@example.com" : "\(ascii)\(i)@example.com"
            let place = places[Int.random(in: 0..<places.count, using: &generator)]
            // An engagement profile: champions buy often and lately, some drift away.
            let loyalty = Double.random(in: 0...1, using: &generator)
            let joined = now.addingTimeInterval(-Double.random(in: 20...360, using: &generator) * 86_400)
            try db.execute("""
                INSERT INTO customers (tenant_id, name, email, phone, city, country, properties, created_at, updated_at)
                VALUES (\(tenant), \(first + " " + last), \(email), \("+3859\(Int.random(in: 1_000_000...9_999_999, using: &generator))"),
                        \(place.0), \(place.1), \(loyalty > 0.7 ? #"{"plan":"premium","newsletter":true}"# : #"{"newsletter":false}"#),
                        \(joined), UTC_TIMESTAMP(6))
                """)
            customers += 1
            let lastActive = loyalty > 0.4 ? now.addingTimeInterval(-Double.random(in: 0...20, using: &generator) * 86_400)
                                           : joined.addingTimeInterval(Double.random(in: 5...60, using: &generator) * 86_400)
            let span = max(lastActive.timeIntervalSince(joined), 86_400)
            let visits = Int(3 + loyalty * 40)
            for v in 0..<visits {
                let at = min(joined.addingTimeInterval(span * Double(v) / Double(visits) + Double.random(in: 0...3600, using: &generator)), now)
                events.append(JSONObject([("type", "pageview"), ("customer_email", .string(email)),
                                          ("url", .string("https://shop.entercrm.io\(pages.randomElement(using: &generator)!)")),
                                          ("referrer", v == 0 ? "https://google.com" : .null), ("occurred_at", .string(RFC3339.format(at)))]))
            }
            events.append(JSONObject([("event", "signup"), ("customer_email", .string(email)), ("occurred_at", .string(RFC3339.format(joined)))]))
            let orders = loyalty > 0.2 ? Int(loyalty * loyalty * 25) : 0
            for o in 0..<orders {
                let product = products[Int.random(in: 0..<products.count, using: &generator)]
                let at = min(joined.addingTimeInterval(span * Double(o + 1) / Double(orders + 1)), now)
                events.append(JSONObject([("event", "purchase"), ("customer_email", .string(email)), ("message_id", .string("seed-\(i)-\(o)")),
                                          ("occurred_at", .string(RFC3339.format(at))),
                                          ("properties", ["amount": .double(product.2), "currency": "EUR",
                                                          "product_id": .string(product.0), "product_name": .string(product.1)])]))
            }
        }
        // Recorded in the order they happened, as a live workspace receives them: the latest
        // events (the dashboard's live feed, GET /v1/events) are then the most recent ones.
        events.sort { ($0["occurred_at"]?.stringValue ?? "") < ($1["occurred_at"]?.stringValue ?? "") }
        let request = Request(method: "POST", path: "/v1/track/batch", headers: ["user-agent": "EnterCRM seed"], remoteAddress: "127.0.0.1")
        var recorded = 0
        for start in stride(from: 0, to: events.count, by: 500) {
            let chunk = try events[start..<min(start + 500, events.count)].map { object -> TrackedEvent in
                let kind: TrackedEvent.Kind = object["type"] == "pageview" ? .pageview : .event
                return try TrackedEvent(object, kind: kind, request: request, now: now)
            }
            recorded += try EventRecorder.record(db, tenant, chunk).count
        }
        log("seed: \(customers) customers, \(recorded) events")
    }
}

/// A small deterministic generator (SplitMix64), so the demo data is the same on every machine.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
