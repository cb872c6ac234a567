import Foundation
import MariaDB
import Web
import Core

/// Demo email templates, before the automations that send them: the contract's win-back-1
/// (the seed's Win-Back Campaign), a welcome and a cart reminder. Idempotent per key.
package enum EmailTemplateSeed {
    static let templates: [(key: String, name: String, subject: String, html: String)] = [
        ("win-back-1", "Win-back: we miss you", "We miss you, {{first_name|friend}}: 15% off your next order",
         """
         <html><body style="font-family:Arial,sans-serif;color:#111827">
         <h1 style="font-size:22px">It has been a while, {{first_name|friend}}</h1>
         <p>We have added a lot since your last visit. Come back this week and take 15% off with the code <strong>COMEBACK15</strong>.</p>
         <p><a href="https://shop.example/new?utm_campaign=win-back-1" style="background:#2563eb;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">See what is new</a></p>
         <p style="font-size:12px;color:#6b7280">Not interested any more? <a href="{{unsubscribe_url}}">Unsubscribe</a>.</p>
         </body></html>
         """),
        ("welcome-1", "Welcome", "Welcome to the shop, {{first_name|there}}",
         """
         <html><body style="font-family:Arial,sans-serif;color:#111827">
         <h1 style="font-size:22px">Welcome, {{first_name|there}}!</h1>
         <p>Thanks for joining. Customers in {{city|your city}} get free shipping on their first order.</p>
         <p><a href="https://shop.example/start?utm_campaign=welcome-1">Start shopping</a></p>
         <p style="font-size:12px;color:#6b7280"><a href="{{unsubscribe_url}}">Unsubscribe</a></p>
         </body></html>
         """),
        ("cart-reminder-1", "Cart reminder", "You left something in your cart, {{first_name|there}}",
         """
         <html><body style="font-family:Arial,sans-serif;color:#111827">
         <h1 style="font-size:22px">Still thinking it over?</h1>
         <p>Hi {{first_name|there}}, the items in your cart are waiting, and we have kept them for you for 48 hours.</p>
         <p><a href="https://shop.example/cart?utm_campaign=cart-reminder-1">Back to my cart</a></p>
         <p style="font-size:12px;color:#6b7280"><a href="{{unsubscribe_url}}">Unsubscribe</a></p>
         </body></html>
         """),
    ]

    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        var made = 0
        for t in templates {
            made += try db.execute("""
                INSERT IGNORE INTO email_templates (tenant_id, `key`, name, subject, body_html, body_text, created_at, updated_at)
                VALUES (\(tenant), \(t.key), \(t.name), \(t.subject), \(t.html), NULL, UTC_TIMESTAMP(6) - INTERVAL 40 DAY, UTC_TIMESTAMP(6) - INTERVAL 40 DAY)
                """).affectedRows
        }
        if made > 0 { log("seed: \(made) email templates (\(templates.map(\.key).joined(separator: ", ")))") }
    }
}
