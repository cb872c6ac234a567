import Foundation
import MariaDB
import Core

/// The demo workspace's notes and tasks: notes on the first customers and entries (one pinned
/// here and there), and tasks for each member: overdue, due today, later, and done. Idempotent:
/// a workspace with notes is left alone. Runs after the customer and pipeline seeds.
package enum ActivitySeed {
    static let notes = [
        "Called about the **spring order**. Wants the bulk price list by Friday.\n\n- 200 units\n- delivery to Split",
        "Met at the Zagreb trade fair. Interested in the *premium* plan; decision maker is the CFO.",
        "Complained about a late delivery in March. Offered 10% off the next order, accepted.",
        "Prefers email over phone. Newsletter: yes. See [their site](https://example.com) for the new range.",
        "Renewal due next quarter. Budget approved, needs a signed quote.",
        "Asked for a demo of the analytics dashboard for their marketing team (3 people).",
    ]
    static let tasks: [(title: String, days: Double, priority: String, done: Bool)] = [
        ("Send the bulk price list", -3, "high", false),
        ("Follow up on the quote", -1, "normal", false),
        ("Call about the renewal", 0.2, "high", false),
        ("Book the analytics demo", 0.3, "normal", false),
        ("Prepare the contract draft", 2, "normal", false),
        ("Check the delivery address", 5, "low", false),
        ("Send the welcome pack", -6, "normal", true),
        ("Confirm the March discount", -10, "low", true),
    ]

    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        if try db.queryOne("SELECT id FROM notes WHERE tenant_id = \(tenant) LIMIT 1") != nil { return }
        let members = try db.query("SELECT user_id FROM memberships WHERE tenant_id = \(tenant) ORDER BY created_at, user_id")
            .map { try $0.int("user_id") }
        let customers = try db.query("SELECT id FROM customers WHERE tenant_id = \(tenant) ORDER BY id LIMIT 12").map { String(try $0.int("id")) }
        let entries = try db.query("SELECT uid FROM crm_entries WHERE tenant_id = \(tenant) ORDER BY id LIMIT 8").map { try $0.string("uid") }
        guard !members.isEmpty else { return }
        let subjects = customers.map { Subject(type: "customer", id: $0) } + entries.map { Subject(type: "entry", id: $0) }
        var written = 0
        for (i, subject) in subjects.enumerated() {
            for k in 0..<(1 + i % 2) {
                let body = notes[(i + k * 3) % notes.count]
                try db.execute("""
                    INSERT INTO notes (tenant_id, subject_type, subject_id, body, pinned, author_id, created_at, updated_at)
                    VALUES (\(tenant), \(subject.type), \(subject.id), \(body), \(i % 5 == 0 && k == 0), \(members[(i + k) % members.count]),
                            UTC_TIMESTAMP(6) - INTERVAL \((i + 1) * 26 + k * 5) HOUR, UTC_TIMESTAMP(6) - INTERVAL \((i + 1) * 26 + k * 5) HOUR)
                    """)
                written += 1
            }
        }
        var made = 0
        for (m, member) in members.enumerated() {
            for (t, task) in tasks.enumerated() {
                let subject = subjects.isEmpty ? nil : subjects[(m * tasks.count + t) % subjects.count]
                let due = Date().addingTimeInterval(task.days * 86_400)
                try db.execute("""
                    INSERT INTO tasks (tenant_id, title, description, due_at, assignee_id, status, priority, completed_at,
                                       subject_type, subject_id, created_by, created_at, updated_at)
                    VALUES (\(tenant), \(task.title), NULL, \(due), \(member), \(task.done ? "done" : "open"), \(task.priority),
                            \(task.done ? due : nil), \(subject?.type), \(subject?.id), \(members[0]),
                            UTC_TIMESTAMP(6) - INTERVAL 12 DAY, UTC_TIMESTAMP(6))
                    """)
                made += 1
            }
        }
        log("seed: \(written) notes and \(made) tasks")
    }
}

/// The demo workspace's deals linked to contacts: each of the first 200 CRM entries linked to
/// one demo customer, every third to two, and to their companies. Idempotent: a workspace with
/// links is left alone.
package enum EntryLinkSeed {
    package static func run(_ db: Connection, _ tenant: Tenant, log: (String) -> Void) throws {
        if try db.queryOne("SELECT entry_id FROM crm_entry_links WHERE tenant_id = \(tenant) LIMIT 1") != nil { return }
        var companyOf: [Int: Int] = [:]
        let customers = try db.query("SELECT id, company_id FROM customers WHERE tenant_id = \(tenant) ORDER BY id LIMIT 200").map { row in
            let id = try row.int("id")
            companyOf[id] = row.optionalInt("company_id")
            return id
        }
        let entries = try db.query("SELECT id FROM crm_entries WHERE tenant_id = \(tenant) ORDER BY id LIMIT 200").map { try $0.int("id") }
        guard !customers.isEmpty else { return }
        var links = 0
        try db.transaction {
            for (i, entry) in entries.enumerated() {
                var people = [customers[(i * 7) % customers.count]]
                if i % 3 == 0 { people.append(customers[(i * 7 + 1) % customers.count]) }
                let companies = Set(people.compactMap { companyOf[$0] })
                try EntryLinks.replace(db, tenant, entryID: entry, with: EntryLinks.Links(customers: Array(Set(people)).sorted(),
                                                                                          companies: companies.sorted()))
                links += Set(people).count + companies.count
            }
        }
        log("linked \(entries.count) CRM entries to \(links) customers and companies")
    }
}
