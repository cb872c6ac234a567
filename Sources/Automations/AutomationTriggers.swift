import Foundation
import MariaDB
import Web
import Core
import Pipelines

/// Where enrolments come from. The event-like triggers read what the rest of the system
/// records (new customers, tracked events, CRM stage history, the segment entries and exits
/// in `segment_changes`) past a cursor kept on each automation; the time-based ones scan
/// periodically.
enum AutomationTriggers {
    static let types = ["customer_created", "customer_inactive", "event_performed", "segment_entered", "segment_exited",
                        "crm_entry_created", "crm_entry_stage_changed", "date_property"]

    /// Checks a trigger's configuration; returns it normalised.
    static func config(_ type: String, _ raw: JSON?, errors: inout ValidationErrors) -> JSON {
        let o = raw?.objectValue ?? JSONObject()
        func need(_ key: String, _ ok: Bool, _ message: String) { if !ok { errors.add("trigger_config.\(key)", message) } }
        switch type {
        case "customer_inactive":
            need("inactive_days", (o["inactive_days"]?.intValue ?? 0) >= 1, "The inactive days must be a whole number of at least 1.")
        case "event_performed":
            need("event", !(o["event"]?.stringValue ?? "").isEmpty, "The event name is required.")
            if let p = o["properties"], !p.isNull { need("properties", p.objectValue != nil, "The properties must be an object to match.") }
        case "segment_entered", "segment_exited":
            need("segment_id", (o["segment_id"]?.intValue ?? 0) >= 1, "The segment id is required.")
        case "crm_entry_created", "crm_entry_stage_changed":
            need("entity", o["entity"]?.stringValue != nil || o["entity"]?.intValue != nil, "The CRM entity (id or slug) is required.")
        case "date_property":
            let key = o["property"]?.stringValue ?? ""
            need("property", CRM.isFieldKey(key), "The date property (letters, digits and _) is required.")
            need("days", o["days"] == nil || o["days"]?.intValue != nil, "The days must be a whole number (negative: before the date).")
        default: break
        }
        return .object(o)
    }

    /// Sets the cursor of an automation being activated to what exists now: only what
    /// happens from now on enrols.
    static func resetCursor(_ db: Connection, _ tenant: Tenant, automationID: Int, type: String) throws {
        let max: Int
        switch type {
        case "customer_created": max = try db.queryOne("SELECT COALESCE(MAX(id), 0) AS n FROM customers WHERE tenant_id = \(tenant)")?.int("n") ?? 0
        case "event_performed": max = try db.queryOne("SELECT COALESCE(MAX(id), 0) AS n FROM events WHERE tenant_id = \(tenant)")?.int("n") ?? 0
        case "crm_entry_created", "crm_entry_stage_changed":
            max = try db.queryOne("SELECT COALESCE(MAX(id), 0) AS n FROM crm_stage_history WHERE tenant_id = \(tenant)")?.int("n") ?? 0
        case "segment_entered", "segment_exited":
            let config = try db.queryOne("SELECT trigger_config FROM automations WHERE id = \(automationID) AND tenant_id = \(tenant)")
                .flatMap { try? JSONParser.parse(try $0.string("trigger_config")) }
            let segment = config?["segment_id"]?.intValue ?? 0
            max = try db.queryOne("""
                SELECT COALESCE(MAX(id), 0) AS n FROM segment_changes WHERE segment_id = \(segment) AND tenant_id = \(tenant)
                """)?.int("n") ?? 0
        default: return
        }
        try db.execute("UPDATE automations SET trigger_cursor = \(max) WHERE id = \(automationID) AND tenant_id = \(tenant)")
    }

    struct Active {
        let id: Int
        let tenant: Tenant
        let type: String
        let config: JSON
        let reentry: String
        let triggerNode: String
    }

    static func active(_ db: Connection, types: [String], tenant: Tenant?, id: Int? = nil) throws -> [Active] {
        var scope: SQL = tenant.map { " AND tenant_id = \($0)" } ?? ""
        if let id { scope = scope + " AND id = \(id)" }
        return try db.query("""
            SELECT id, tenant_id, trigger_type, trigger_config, reentry, design FROM automations
            WHERE is_active = 1 AND trigger_type IN (\(list: types))\(scope) ORDER BY id
            """).compactMap { row in
            guard let trigger = AutomationDesign.stored(try row.string("design")).trigger else { return nil }
            return Active(id: try row.int("id"), tenant: Tenant(id: try row.int("tenant_id")), type: try row.string("trigger_type"),
                          config: (try? JSONParser.parse(try row.string("trigger_config"))) ?? [:], reentry: try row.string("reentry"),
                          triggerNode: trigger.id)
        }
    }

    static func enrol(_ db: Connection, _ a: Active, customerID: Int, context: JSON = [:], now: Date) throws -> Bool {
        try AutomationEngine.enrol(db, a.tenant, automationID: a.id, triggerNode: a.triggerNode, reentry: a.reentry,
                                   customerID: customerID, context: context, now: now)
    }

    /// Reads new customers, events, stage changes and segment entries or exits past each
    /// active automation's cursor, and enrols. Rows younger than `settle` seconds wait for the next pass, so that rows of
    /// transactions still open then (with lower ids) are not passed over.
    /// Long (about 85 lines): one query per trigger kind, all under the same cursor rule.
    @discardableResult
    static func intake(_ db: Connection, tenant: Tenant? = nil, now: Date = Date(), settle: Int = 1) throws -> Int {
        var enrolled = 0
        let ids = try active(db, types: ["customer_created", "event_performed", "crm_entry_created", "crm_entry_stage_changed",
                                         "segment_entered", "segment_exited"], tenant: tenant).map(\.id)
        for id in ids {
            do { try db.transaction {
                guard let row = try db.queryOne("SELECT trigger_cursor FROM automations WHERE id = \(id) AND is_active = 1 FOR UPDATE SKIP LOCKED"),
                      let a = try active(db, types: types, tenant: nil, id: id).first else { return }
                let cursor = try row.int("trigger_cursor")
                var last = cursor
                switch a.type {
                case "customer_created":
                    for c in try db.query("""
                        SELECT id FROM customers WHERE tenant_id = \(a.tenant) AND id > \(cursor)
                        AND created_at <= UTC_TIMESTAMP(6) - INTERVAL \(settle) SECOND ORDER BY id LIMIT 1000
                        """) {
                        last = try c.int("id")
                        if try enrol(db, a, customerID: last, now: now) { enrolled += 1 }
                    }
                case "event_performed":
                    let name = a.config["event"]?.stringValue ?? ""
                    let match = a.config["properties"]?.objectValue ?? JSONObject()
                    for e in try db.query("""
                        SELECT id, public_id, customer_id, name, properties, amount, occurred_at FROM events
                        WHERE tenant_id = \(a.tenant) AND id > \(cursor) AND received_at <= UTC_TIMESTAMP(6) - INTERVAL \(settle) SECOND
                        ORDER BY id LIMIT 2000
                        """) {
                        last = try e.int("id")
                        guard try e.string("name") == name, let customer = e.optionalInt("customer_id") else { continue }
                        let properties = (try? JSONParser.parse(e.optionalString("properties") ?? "{}")) ?? [:]
                        if !match.allSatisfy({ key, value in properties[key] == value || (properties[key]?.doubleValue != nil && properties[key]?.doubleValue == value.doubleValue) }) { continue }
                        let event: JSON = ["event_id": e.json("public_id"), "event": .string(name), "properties": properties,
                                           "amount": e.json("amount"), "occurred_at": e.json("occurred_at")]
                        if try enrol(db, a, customerID: customer, context: ["event": event], now: now) { enrolled += 1 }
                    }
                case "segment_entered", "segment_exited":
                    let segment = a.config["segment_id"]?.intValue ?? 0
                    for change in try db.query("""
                        SELECT id, customer_id, event, occurred_at FROM segment_changes
                        WHERE segment_id = \(segment) AND id > \(cursor) AND tenant_id = \(a.tenant)
                        AND occurred_at <= UTC_TIMESTAMP(6) - INTERVAL \(settle) SECOND
                        ORDER BY id LIMIT 2000
                        """) {
                        last = try change.int("id")
                        guard try change.string("event") == a.type else { continue }
                        let context: JSON = ["segment_id": .int(segment), "entered": .bool(a.type == "segment_entered"),
                                             "occurred_at": change.json("occurred_at")]
                        if try enrol(db, a, customerID: try change.int("customer_id"), context: context, now: now) { enrolled += 1 }
                    }
                default:
                    let entity = try Entity.find(db, a.tenant, a.config["entity"]?.stringValue ?? a.config["entity"]?.intValue.map(String.init) ?? "")
                    let pipeline = a.config["pipeline"]?.intValue
                    let stage = a.config["stage"]?.intValue
                    for h in try db.query("""
                        SELECT h.id, h.entry_id, h.pipeline_id, h.from_stage_id, h.to_stage_id, h.to_stage_name, e.uid, e.entity_id
                        FROM crm_stage_history h JOIN crm_entries e ON e.id = h.entry_id
                        WHERE h.tenant_id = \(a.tenant) AND h.id > \(cursor) AND h.created_at <= UTC_TIMESTAMP(6) - INTERVAL \(settle) SECOND
                        ORDER BY h.id LIMIT 1000
                        """) {
                        last = try h.int("id")
                        guard let entity, try h.int("entity_id") == entity.id else { continue }
                        let created = h.optionalInt("from_stage_id") == nil
                        if a.type == "crm_entry_created" ? !created : created { continue }
                        if let pipeline, try h.int("pipeline_id") != pipeline { continue }
                        if let stage, try h.int("to_stage_id") != stage { continue }
                        guard let entry = try EntryStore.entries(db, ids: [try h.int("entry_id")]).first,
                              let email = entry.email(try Field.all(db, a.tenant, entityID: entity.id)),
                              let customer = try EntryStore.customers(db, a.tenant, emails: [email])[email]?["id"]?.intValue else { continue }
                        let context: JSON = ["entry": ["uid": .string(entry.uid), "entity_id": .int(entity.id),
                                                       "stage_id": h.json("to_stage_id"), "stage": h.json("to_stage_name")]]
                        if try enrol(db, a, customerID: customer, context: context, now: now) { enrolled += 1 }
                    }
                }
                // The cursor moves only from the value read (SKIP LOCKED is local to one node
                // on Galera): a pass on another node that moved it first makes this one roll
                // back its enrolments (INSERT IGNORE would keep them single anyway).
                if last != cursor, try db.execute("UPDATE automations SET trigger_cursor = \(last) WHERE id = \(id) AND trigger_cursor = \(cursor)").affectedRows != 1 {
                    throw AutomationClaimLost()
                }
            } } catch is AutomationClaimLost { continue }
        }
        return enrolled
    }

    /// The periodic scans: customers inactive for `inactive_days`, and dates N days away.
    @discardableResult
    static func scan(_ db: Connection, tenant: Tenant? = nil, now: Date = Date()) throws -> Int {
        var enrolled = 0
        for a in try active(db, types: ["customer_inactive", "date_property"], tenant: tenant) {
            if a.type == "customer_inactive" {
                let cutoff = now.addingTimeInterval(-Double(a.config["inactive_days"]?.intValue ?? 60) * 86400)
                // Not enrolled since their last activity: a customer who came back and went
                // quiet again may enter again (if the policy allows).
                for c in try db.query("""
                    SELECT c.id FROM customers c WHERE c.tenant_id = \(a.tenant)
                    AND COALESCE(c.last_seen_at, c.created_at) < \(cutoff)
                    AND NOT EXISTS (SELECT 1 FROM automation_enrolments e WHERE e.automation_id = \(a.id) AND e.customer_id = c.id
                        AND (e.state IN ('active', 'waiting', 'paused') OR e.entered_at >= COALESCE(c.last_seen_at, c.created_at)))
                    ORDER BY c.id LIMIT 5000
                    """) {
                    if try enrol(db, a, customerID: try c.int("id"), now: now) { enrolled += 1 }
                }
            } else {
                let property = a.config["property"]?.stringValue ?? ""
                let days = a.config["days"]?.intValue ?? 0
                let yearly = a.config["yearly"]?.boolValue ?? true
                // The date whose day it is `days` days from now (days < 0: before the date).
                let target = now.addingTimeInterval(-Double(days) * 86400)
                let day = String(RFC3339.format(target).prefix(10))
                let path = "$." + property
                let candidates: [Row] = yearly
                    ? try db.query("""
                        SELECT id FROM customers WHERE tenant_id = \(a.tenant)
                        AND SUBSTRING(JSON_VALUE(properties, \(path)), 6, 5) = \(String(day.suffix(5))) LIMIT 5000
                        """)
                    : try db.query("""
                        SELECT id FROM customers WHERE tenant_id = \(a.tenant)
                        AND LEFT(JSON_VALUE(properties, \(path)), 10) = \(day) LIMIT 5000
                        """)
                for c in candidates {
                    let id = try c.int("id")
                    // Once a day at most: an enrolment that began within the day counts.
                    if try db.queryOne("""
                        SELECT 1 AS x FROM automation_enrolments WHERE automation_id = \(a.id) AND customer_id = \(id)
                        AND entered_at > \(now.addingTimeInterval(-86400))
                        """) != nil { continue }
                    if try enrol(db, a, customerID: id, context: ["date": .string(day)], now: now) { enrolled += 1 }
                }
            }
        }
        return enrolled
    }
}
