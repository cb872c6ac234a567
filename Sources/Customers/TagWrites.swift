import MariaDB
import Web
import Core
import Segments
import Tags

/// Every change of records' tags goes through here: the API's `tags` on a create or an
/// update, bulk actions, the CSV import, renaming and deleting a tag. Links are `Tags`'
/// (schema/041); what a customer's change must also do is done here, once: the change
/// history (`CustomerChanges`, field `tags`) and the segments' dirty marks (a segment may
/// filter on tags). Companies and entries have neither. Call it inside the writer's
/// transaction.
package enum TagWrites {
    /// Adds the tags `names` (normalized by `Tags.normalize`) to the records `ids` of `kind`,
    /// which the caller has checked are the workspace's (for entries, their numeric ids).
    /// `actor` nil: records made by the same write, which have no history yet. Returns the
    /// records that gained a tag. The function the CSV import calls.
    @discardableResult
    package static func add(_ db: Connection, _ tenant: Tenant, _ kind: Tags.Kind, ids: [Int], names: [String],
                            actor: CustomerChanges.Actor?, field: String = "tags") throws -> Set<Int> {
        try change(db, tenant, kind, ids: ids, actor: actor) {
            try Tags.link(db, tenant, kind, ids: ids, names: names, field: field)
        }
    }

    /// Removes the tags `names` from the records `ids`. Returns the records that lost one.
    @discardableResult
    package static func remove(_ db: Connection, _ tenant: Tenant, _ kind: Tags.Kind, ids: [Int], names: [String],
                               actor: CustomerChanges.Actor) throws -> Set<Int> {
        try change(db, tenant, kind, ids: ids, actor: actor) {
            try Tags.unlink(db, tenant, kind, ids: ids, names: names)
        }
    }

    /// Makes `names` the tags of record `id` (a body's `tags`).
    package static func replace(_ db: Connection, _ tenant: Tenant, _ kind: Tags.Kind, id: Int, names: [String],
                                actor: CustomerChanges.Actor) throws {
        _ = try change(db, tenant, kind, ids: [id], actor: actor) {
            try Tags.replace(db, tenant, kind, id: id, names: names)
            return [id]
        }
    }

    /// Runs `write`; for customers, compares their tags before and after into the change
    /// history and marks the changed ones for the segments.
    static func change(_ db: Connection, _ tenant: Tenant, _ kind: Tags.Kind, ids: [Int], actor: CustomerChanges.Actor?,
                       _ write: () throws -> Set<Int>) throws -> Set<Int> {
        guard kind == .customer else { return try write() }
        let before = actor == nil ? [:] : try snapshot(db, tenant, ids: ids)
        let changed = try write()
        guard !changed.isEmpty else { return changed }
        if let actor {
            let after = try snapshot(db, tenant, ids: Array(changed))
            try CustomerChanges.record(db, tenant, before: before.filter { changed.contains($0.key) }, after: after, actor: actor)
        }
        try SegmentStore.markDirty(db, tenant, customers: Array(changed))
        return changed
    }

    static func snapshot(_ db: Connection, _ tenant: Tenant, ids: [Int]) throws -> CustomerChanges.Snapshot {
        let names = try Tags.names(db, tenant, .customer, ids: ids)
        var snapshot: CustomerChanges.Snapshot = [:]
        for id in ids { snapshot[id] = ["tags": .array((names[id] ?? []).map(JSON.string))] }
        return snapshot
    }

    /// After a tag was renamed or deleted: its customers (given) are marked for the segments,
    /// in slices (a tag may be on a million).
    package static func retagged(_ db: Connection, _ tenant: Tenant, customers ids: [Int]) throws {
        var start = 0
        while start < ids.count {
            let end = min(start + 10_000, ids.count)
            try SegmentStore.markDirty(db, tenant, customers: Array(ids[start..<end]))
            start = end
        }
    }
}
