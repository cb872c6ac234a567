import MariaDB
import Web
import Core

/// What the pipeline CRM adds to an entry's timeline: its stage moves (`crm_stage_history`,
/// the rows `…/history` lists), by the member or key that moved it.
package enum PipelineTimeline {
    static let moved: SQL = """
        JSON_OBJECT('pipeline_id', h.pipeline_id, 'from_stage_id', h.from_stage_id, 'from_stage_name', h.from_stage_name,
                    'to_stage_id', h.to_stage_id, 'to_stage_name', h.to_stage_name, 'entry_id', e.uid, 'entry_title', e.title,
                    'entity_slug', en.slug, 'entity_name', en.name)
        """
    static let actorType: SQL = "IF(h.user_id IS NOT NULL, 'member', IF(h.api_key_id IS NOT NULL, 'api_key', 'system'))"
    static let actorID: SQL = "COALESCE(h.user_id, h.api_key_id)"
    static let entryOf: SQL = """
        JOIN crm_entries e ON e.id = h.entry_id JOIN crm_entities en ON en.tenant_id = e.tenant_id AND en.id = e.entity_id
        """

    package static let entry = [
        TimelineBranch(
            subject: "entry", types: ["stage_moved"], type: "'stage_moved'", occurredAt: "h.created_at", id: "h.id",
            actorType: actorType, actorID: actorID, data: moved,
            from: "crm_stage_history h FORCE INDEX (idx_crm_history_entry) \(entryOf)",
            of: { tenant, id in "h.entry_id = \(id) AND h.tenant_id = \(tenant)" }),
    ]

    /// The stage moves of the entries linked to a customer or a company (EntryLinks).
    static func linked(_ subject: String) -> [TimelineBranch] {
        [
            TimelineBranch(
                subject: subject, types: ["stage_moved"], type: "'stage_moved'", occurredAt: "h.created_at", id: "h.id",
                actorType: actorType, actorID: actorID, data: moved,
                from: """
                    crm_entry_links l FORCE INDEX (idx_entry_links_subject)
                    JOIN crm_stage_history h FORCE INDEX (idx_crm_history_entry) ON h.entry_id = l.entry_id \(entryOf)
                    """,
                of: { tenant, id in "l.tenant_id = \(tenant) AND l.subject_type = \(subject) AND l.subject_id = \(id)" }),
        ]
    }

    package static let customer = linked("customer")
    package static let company = linked("company")

    /// The id of the entry of the path (`{entry}`, in its entity on a nested path); 404 otherwise.
    package static func entryID(_ c: Context) throws -> Int {
        try EntryRoutes.require(c).entry.id
    }

    /// Registers `GET …/entries/{entry}/timeline` on both entry paths, answered by `handler`.
    package static func registerTimeline(_ routes: inout Routes, _ handler: @escaping @Sendable (Context) throws -> Response) {
        for base in [CRM.prefix + "/entries/{entry}", CRM.prefix + "/entities/{entity}/entries/{entry}"] {
            routes.get(base + "/timeline", .crm, handler)
        }
    }
}
