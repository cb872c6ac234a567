import Cryptography
import Foundation
import MariaDB
import Web
import Core

/// Demo automations: an active "Welcome Series" with customers at every stage of it, and
/// the contract's inactive "Win-Back Campaign". Idempotent: skipped when they exist.
package enum AutomationSeed {
    static func node(_ id: String, _ type: String, _ data: JSON, _ x: Int, _ y: Int) -> JSON {
        ["id": .string(id), "type": .string(type), "data": data, "position": ["x": .int(x), "y": .int(y)]]
    }

    static func edge(_ s: String, _ t: String, _ handle: String? = nil) -> JSON {
        var o = JSONObject([("id", JSON.string("e\(s)-\(t)")), ("source", .string(s)), ("target", .string(t))])
        if let handle { o["sourceHandle"] = .string(handle) }
        return .object(o)
    }

    static let welcome: JSON = [
        "nodes": [
            node("1", "trigger", ["label": "Customer Created"], 250, 40),
            node("2", "action", ["label": "Welcome email", "action": "send_email", "subject": "Welcome to the shop, {{customer.name}}",
                                 "body": "Thanks for joining. Here is what is new this week."], 250, 160),
            node("3", "delay", ["label": "Wait 2 days", "amount": 2, "unit": "days"], 250, 280),
            node("4", "condition", ["label": "Made a purchase?", "filters": ["purchase_count_min": 1]], 250, 400),
            node("5", "action", ["label": "Thank-you email", "action": "send_email", "subject": "Thank you for your order",
                                 "body": "Here is 10% off your next one."], 80, 540),
            node("6", "action", ["label": "Nudge email", "action": "send_email", "subject": "Still thinking it over?",
                                 "body": "Your first order ships free this week."], 420, 540),
        ],
        "edges": [edge("1", "2"), edge("2", "3"), edge("3", "4"), edge("4", "5", "yes"), edge("4", "6", "no")],
    ]

    static let winBack: JSON = [
        "nodes": [
            node("1", "trigger", ["label": "Customer Inactive"], 250, 50),
            node("2", "action", ["label": "Send Email", "email_template": "win-back-1"], 250, 180),
        ],
        "edges": [edge("1", "2")],
    ]

    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        guard try db.queryOne("SELECT id FROM automations WHERE tenant_id = \(tenant) AND name = 'Welcome Series'") == nil else { return }
        let welcomeDesign = AutomationDesign.stored(JSONWriter.string(welcome))
        let welcomeID = try db.execute("""
            INSERT INTO automations (tenant_id, name, trigger_type, trigger_config, reentry, is_active, design, steps_count, webhook_secret,
                                     created_at, updated_at)
            VALUES (\(tenant), 'Welcome Series', 'customer_created', '{}', 'once', 0, \(JSONWriter.string(welcome)), \(welcomeDesign.stepsCount),
                    \(Random.hex(bytes: 24)), UTC_TIMESTAMP(6) - INTERVAL 30 DAY, UTC_TIMESTAMP(6))
            """).lastInsertID
        try db.execute("""
            INSERT INTO automations (tenant_id, name, trigger_type, trigger_config, reentry, is_active, design, steps_count, webhook_secret,
                                     created_at, updated_at)
            VALUES (\(tenant), 'Win-Back Campaign', 'customer_inactive', '{"inactive_days":60}', 'after_completion', 0, \(JSONWriter.string(winBack)), 1,
                    \(Random.hex(bytes: 24)), UTC_TIMESTAMP(6) - INTERVAL 10 DAY, UTC_TIMESTAMP(6))
            """)
        // Customers at every stage: a finished path 5 days ago, waiting in the delay since yesterday.
        let customers = try db.query("SELECT id FROM customers WHERE tenant_id = \(tenant) AND email IS NOT NULL ORDER BY id LIMIT 36").map { try $0.int("id") }
        // Inactive while its history is written (a running job runner leaves it alone), and
        // the rows held by the seed's lease.
        guard let stored = try AutomationEngine.load(db, welcomeID) else { return }
        let loaded = AutomationEngine.Loaded(id: stored.id, tenant: tenant, design: stored.design, secret: stored.secret, isActive: true)
        let messenger = AutomationDelivery.messenger()
        for (i, customer) in customers.enumerated() {
            let start = Date().addingTimeInterval(i < 24 ? -5 * 86400 + Double(i * 600) : -86400 + Double(i * 600))
            try AutomationEngine.enrol(db, tenant, automationID: welcomeID, triggerNode: "1", reentry: "once", customerID: customer, now: start)
        }
        try db.execute("""
            UPDATE automation_enrolments SET locked_by = 'seed', locked_until = UTC_TIMESTAMP(6) + INTERVAL 10 MINUTE
            WHERE automation_id = \(welcomeID)
            """)
        for (i, id) in try db.query("SELECT id FROM automation_enrolments WHERE automation_id = \(welcomeID) ORDER BY id").map({ try $0.int("id") }).enumerated() {
            let start = Date().addingTimeInterval(i < 24 ? -5 * 86400 + Double(i * 600) : -86400 + Double(i * 600))
            _ = try AutomationEngine(now: start, messenger: messenger, owner: "seed").advance(db, loaded, enrolmentID: id)
            if i < 24 { _ = try AutomationEngine(now: start.addingTimeInterval(2 * 86400 + 60), messenger: messenger, owner: "seed").advance(db, loaded, enrolmentID: id) }
        }
        try db.execute("UPDATE automations SET is_active = 1 WHERE id = \(welcomeID)")
        try AutomationTriggers.resetCursor(db, tenant, automationID: welcomeID, type: "customer_created")
        log("seed: automations Welcome Series (active, \(customers.count) enrolled) and Win-Back Campaign (inactive)")
    }
}
