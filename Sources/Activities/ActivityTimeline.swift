import MariaDB
import Core

/// What notes and tasks add to a record's timeline: each note (by its author), each task made
/// about the record and each one completed. Their subject ids are stored as text: a
/// customer's id as its digits, an entry's uid (read from the entry's id).
package enum ActivityTimeline {
    static func key(_ subject: String, _ id: Int) -> SQL {
        subject == "entry" ? "(SELECT uid FROM crm_entries WHERE id = \(id))" : "\(String(id))"
    }

    static func note(subject: String) -> TimelineBranch {
        TimelineBranch(
            subject: subject, types: ["note"], type: "'note'", occurredAt: "n.created_at", id: "n.id",
            actorType: "IF(n.author_id IS NULL, 'api_key', 'member')", actorID: "n.author_id",
            data: "JSON_OBJECT('note_id', n.id, 'body', LEFT(n.body, 2000), 'pinned', n.pinned = 1, 'truncated', CHAR_LENGTH(n.body) > 2000)",
            from: "notes n FORCE INDEX (idx_notes_subject)",
            of: { tenant, id in "n.tenant_id = \(tenant) AND n.subject_type = \(subject) AND n.subject_id = \(key(subject, id))" })
    }

    static func task(subject: String, _ type: String, at: SQL, actorID: SQL) -> TimelineBranch {
        TimelineBranch(
            subject: subject, types: [type], type: "\(type)", occurredAt: at, id: "t.id",
            actorType: "IF(\(actorID) IS NULL, 'system', 'member')", actorID: actorID,
            data: """
                JSON_OBJECT('task_id', t.id, 'title', t.title, 'status', t.status, 'priority', t.priority, 'due_at', t.due_at,
                            'assignee_id', t.assignee_id)
                """,
            from: "tasks t FORCE INDEX (idx_tasks_subject)",
            of: { tenant, id in "t.tenant_id = \(tenant) AND t.subject_type = \(subject) AND t.subject_id = \(key(subject, id)) AND \(at) IS NOT NULL" })
    }

    /// A record's notes, tasks made and tasks completed.
    static func of(_ subject: String) -> [TimelineBranch] {
        [
            note(subject: subject),
            task(subject: subject, "task_created", at: "t.created_at", actorID: "t.created_by"),
            task(subject: subject, "task_completed", at: "t.completed_at", actorID: "NULL"),
        ]
    }

    package static let customer = of("customer")
    package static let entry = of("entry")
    package static let company = of("company")
}
