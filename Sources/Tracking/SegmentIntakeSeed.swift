import Foundation
import MariaDB
import Web
import Core
import Accounts

/// Demo data of the Segment intake: two sources (a backend's secret key and a storefront's
/// publishable key) and what they sent, posted through `POST /v1/batch` itself (the whole
/// intake: translation, identify, group, the tracking write path), so the Sources page, the
/// customers' external ids and their companies are what a live workspace would hold.
package enum SegmentIntakeSeed {
    static let backend = "Backend (Segment)", storefront = "Storefront (analytics.js)"

    package static func run(_ db: Connection, _ tenant: Tenant, configuration: Configuration, log: (String) -> Void) throws {
        if try db.queryOne("SELECT id FROM api_keys WHERE tenant_id = \(tenant) AND name = \(backend)") != nil { return }
        guard let workspace = try db.queryOne("SELECT slug, name FROM tenants WHERE id = \(tenant)") else { return }
        let (backendID, _) = try APIKeyRoutes.insert(db, tenant, name: backend, type: "secret", createdBy: nil)
        let (storefrontID, _) = try APIKeyRoutes.insert(db, tenant, name: storefront, type: "publishable", createdBy: nil)
        var generator = SeededGenerator(seed: 20261207)
        let now = Date()
        let companies = [("grp_adriatic", "Adriatic Logistics d.o.o.", "adriatic-logistics.hr"),
                         ("grp_spree", "Spree Software GmbH", "spree-software.de"), ("grp_navigli", "Navigli Design Studio", "naviglidesign.it")]
        var server: [JSON] = [], browser: [JSON] = [], app: [JSON] = []
        for i in 0..<24 {
            // The first is a customer the shop already had (Ana Kovač, same address): she gets the external id.
            let first = i == 0 ? "Ana" : CustomerSeed.firstNames[(i * 5 + 3) % CustomerSeed.firstNames.count]
            let last = i == 0 ? "Kovač" : CustomerSeed.lastNames[(i * 3 + 1) % CustomerSeed.lastNames.count]
            let user = "usr_\(1001 + i)", anonymous = "ajs-\(String(format: "%08x", 0x5e9a_0000 + i * 7919))"
            let ascii = "\(first).\(last)".folding(options: .diacriticInsensitive, locale: nil).lowercased()
            let email = i == 0 ? "ana.kovac@example.com" : "\(ascii).\(i)@app.example"
            let joined = now.addingTimeInterval(-Double.random(in: 10...200, using: &generator) * 86_400)
            func at(_ days: Double) -> JSON { .string(RFC3339.format(min(joined.addingTimeInterval(days * 86_400), now), fractionDigits: 3)) }
            let context: JSON = ["ip": .string("203.0.113.\(10 + i)"), "userAgent": "Mozilla/5.0 (Macintosh) Safari/605.1.15",
                                 "campaign": ["source": i % 3 == 0 ? "newsletter" : "google", "medium": i % 3 == 0 ? "email" : "cpc",
                                              "name": "spring-launch"]]
            browser.append(["type": "page", "anonymousId": .string(anonymous), "name": "Pricing", "timestamp": at(0),
                            "messageId": .string("seed-ajs-\(i)-0"), "context": context,
                            "properties": ["url": "https://app.entercrm.io/pricing", "title": "Pricing"]])
            server.append(["type": "identify", "userId": .string(user), "anonymousId": .string(anonymous), "timestamp": at(0.01),
                           "messageId": .string("seed-srv-\(i)-id"),
                           "traits": ["email": .string(email), "firstName": .string(first), "lastName": .string(last),
                                      "plan": i % 4 == 0 ? "business" : "starter", "address": ["city": "Zagreb", "country": "HR"]]])
            server.append(["type": "track", "userId": .string(user), "event": "Signed Up", "timestamp": at(0.02),
                           "messageId": .string("seed-srv-\(i)-su"), "properties": ["plan": i % 4 == 0 ? "business" : "starter"]])
            if i % 3 == 0 {
                let company = companies[(i / 3) % companies.count]
                server.append(["type": "group", "userId": .string(user), "groupId": .string(company.0), "timestamp": at(0.03),
                               "messageId": .string("seed-srv-\(i)-grp"),
                               "traits": ["name": .string(company.1), "website": .string("https://\(company.2)")]])
            }
            for o in 0..<(i % 4) {
                let revenue = [19.0, 49.0, 99.0, 249.0][(i + o) % 4]
                server.append(["type": "track", "userId": .string(user), "event": "Order Completed", "timestamp": at(Double(o + 1) * 9),
                               "messageId": .string("seed-srv-\(i)-order-\(o)"),
                               "properties": ["order_id": .string("ord_\(i)_\(o)"), "revenue": .double(revenue), "currency": "EUR"]])
            }
            app.append(["type": "screen", "userId": .string(user), "name": "Dashboard", "timestamp": at(2),
                            "messageId": .string("seed-ajs-\(i)-1"), "properties": ["app": "EnterShop iOS"]])
        }
        // The visits first, anonymous; then the backend names the visitors; then the app's screens.
        for (keyID, publishable, messages) in [(storefrontID, true, browser), (backendID, false, server), (storefrontID, true, app)] {
            let body = JSONWriter.bytes(["batch": .array(messages)])
            let request = Request(method: "POST", path: "/v1/batch", headers: ["content-type": "application/json", "user-agent": "EnterCRM seed"],
                                  body: body, remoteAddress: "127.0.0.1")
            let c = Context(request: request, db: db, configuration: configuration, services: Services(configuration: configuration))
            c.principal = Principal(tenant: tenant, tenantSlug: try workspace.string("slug"), tenantName: try workspace.string("name"),
                                    credential: .apiKey(id: keyID, publishable: publishable))
            _ = try SegmentIntakeRoutes.batch(c)
        }
        log("seed: Segment sources \(backend) and \(storefront), \(server.count + browser.count + app.count) messages")
    }
}
