import MariaDB
import Web
import Core

/// What the pipeline CRM adds to an entry's timeline: its stage moves (`crm_stage_history`,
/// the rows `…/history` lists), by the member or key that moved it.
package enum PipelineTimeline {
    package static let entry = [
        TimelineBranch(
            subject: "entry", types: ["stage_moved"], type: "'stage_moved'", occurredAt: "h.created_at", id: "h.id",
            actorType: "IF(h.user_id IS NOT NULL, 'member', IF(h.api_key_id IS NOT NULL, 'api_key', 'system'))",
            actorID: "COALESCE(h.user_id, h.api_key_id)",
            data: """
                JSON_OBJECT('pipeline_id', h.pipeline_id, 'from_stage_id', h.from_stage_id, 'from_stage_name', h.from_stage_name,
                            'to_stage_id', h.to_stage_id, 'to_stage_name', h.to_stage_name)
                """,
            from: "crm_stage_history h FORCE INDEX (idx_crm_history_entry)",
            of: { tenant, id in "h.entry_id = \(id) AND h.tenant_id = \(tenant)" }),
    ]

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
