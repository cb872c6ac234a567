import Foundation
import MariaDB
import Web
import Jobs
import Accounts
import Platform

/// The morning digest: each person with open tasks that are overdue or due today (UTC) gets
/// one system mail a day listing them, across their workspaces.
///
/// At most once a day, whatever happens to the job runner, by "claim, send, mark":
/// 1. claim: `INSERT IGNORE` of the person's `task_digests (user_id, day)` row, committed
///    (autocommit) before anything is sent; a second runner, or this job run again after a
///    kill, finds the row and skips the person;
/// 2. send, through the system mail (`SystemMail.send`);
/// 3. mark: `sent_at` set once the transport took the mail.
/// A runner killed between 1 and 3 leaves a claimed row without `sent_at`: that person gets no
/// digest that day (never two). The digest errs on the side of missing a day, and the row says
/// so; a failed send leaves the same trace.
package enum TaskDigest {
    static let kind = "tasks.digest"
    /// The most tasks one letter lists (the rest are counted).
    static let listed = 50

    package static func register(_ registry: inout JobRegistry) {
        registry.register(kind, maxAttempts: 3, leaseSeconds: 120) { context in
            // `{"now": true}` (an operator's manual run, the tests) sends before the hour.
            let now = context.job.payload["now"]?.boolValue ?? false
            try run(context.db, anyHour: now)
        }
        // Hourly: the first run at or after the digest hour sends the day's letters; the
        // others find them claimed.
        registry.every(3600, name: "task-digest", kind: kind)
    }

    /// The UTC hour from which the day's digest goes out (`ENTERCRM_TASK_DIGEST_HOUR`, 0–23, default 6).
    static func hour(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        env["ENTERCRM_TASK_DIGEST_HOUR"].flatMap(Int.init).flatMap { (0...23).contains($0) ? $0 : nil } ?? 6
    }

    /// Sends the day's digests not yet claimed. Returns how many were sent.
    @discardableResult
    package static func run(_ db: Connection, anyHour: Bool = false, now: Date = Date()) throws -> Int {
        let seconds = Int(now.timeIntervalSince1970)
        let parts = UTC.parts(seconds)
        if !anyHour, parts.hour < hour() { return 0 }
        let day = Date(timeIntervalSince1970: Double(UTC.seconds(UTC.Parts(year: parts.year, month: parts.month, day: parts.day))))
        let tomorrow = day.addingTimeInterval(86_400)
        let people = try db.query("""
            SELECT DISTINCT t.assignee_id AS user_id FROM tasks t
            JOIN memberships m ON m.tenant_id = t.tenant_id AND m.user_id = t.assignee_id
            WHERE t.status = 'open' AND t.due_at < \(tomorrow) AND t.assignee_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM task_digests d WHERE d.user_id = t.assignee_id AND d.day = DATE(\(day)))
            """).map { try $0.int("user_id") }
        var sent = 0
        for user in people {
            // 1. Claim (committed on its own: the connection autocommits).
            let claimed = try db.execute("""
                INSERT IGNORE INTO task_digests (user_id, day, claimed_at) VALUES (\(user), DATE(\(day)), UTC_TIMESTAMP(6))
                """).affectedRows
            guard claimed == 1 else { continue }
            guard let person = try db.queryOne("SELECT email, name FROM users WHERE id = \(user)") else { continue }
            let tasks = try db.query("""
                SELECT t.title, t.due_at, t.priority, w.name AS workspace, (t.due_at < \(now)) AS overdue
                FROM tasks t JOIN memberships m ON m.tenant_id = t.tenant_id AND m.user_id = t.assignee_id
                JOIN tenants w ON w.id = t.tenant_id
                WHERE t.assignee_id = \(user) AND t.status = 'open' AND t.due_at < \(tomorrow)
                ORDER BY t.due_at, t.id LIMIT \(listed + 1)
                """)
            let total = try db.queryOne("""
                SELECT COUNT(*) AS n FROM tasks t JOIN memberships m ON m.tenant_id = t.tenant_id AND m.user_id = t.assignee_id
                WHERE t.assignee_id = \(user) AND t.status = 'open' AND t.due_at < \(tomorrow)
                """)?.int("n") ?? tasks.count
            // 2. Send.
            let letter = try self.letter(to: person, tasks: Array(tasks.prefix(listed)), total: total)
            guard SystemMail.send(letter, reader: .account(user), kind: "task-digest") else { continue }
            // 3. Mark.
            try db.execute("""
                UPDATE task_digests SET sent_at = UTC_TIMESTAMP(6), tasks_count = \(total) WHERE user_id = \(user) AND day = DATE(\(day))
                """)
            sent += 1
        }
        return sent
    }

    static func letter(to person: Row, tasks: [Row], total: Int) throws -> SystemMail.Letter {
        func line(_ row: Row) throws -> String {
            let due = try row.date("due_at")
            let when = UTC.rfc3339(due)
            let priority = try row.string("priority") == "high" ? " (high priority)" : ""
            return "• \(try row.string("title"))\(priority), due \(when), in \(try row.string("workspace"))"
        }
        let overdue = try tasks.filter { try $0.bool("overdue") }.map(line)
        let today = try tasks.filter { try !$0.bool("overdue") }.map(line)
        var paragraphs = ["Good morning. These tasks of yours are overdue or due today."]
        if !overdue.isEmpty { paragraphs.append("Overdue:\n" + overdue.joined(separator: "\n")) }
        if !today.isEmpty { paragraphs.append("Due today:\n" + today.joined(separator: "\n")) }
        if total > tasks.count { paragraphs.append("And \(total - tasks.count) more.") }
        let subject = total == 1 ? "1 task due today or overdue" : "\(total) tasks due today or overdue"
        return SystemMail.Letter(to: try person.string("email"), toName: person.optionalString("name"), subject: subject,
                                 paragraphs: paragraphs, link: ("Open my tasks", "\(SystemMail.consoleBase())/#/tasks"))
    }
}
