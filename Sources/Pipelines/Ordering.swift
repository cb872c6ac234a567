import MariaDB
import Web
import Core

/// The one home of the order rule for the children of a parent: the stages of a pipeline
/// (`Ordering.stages`) and the fields of an entity (`Ordering.fields`). Positions are always
/// 0, 1, 2 … with no gap; every change (add, move one, reorder all, delete) goes through
/// here, with the siblings locked for the caller's transaction.
struct Ordering: Sendable {
    let table: SQLIdentifier
    let parentColumn: SQLIdentifier
    /// The request key of a reorder (`stages`), the child (`stage`) and the parent (`pipeline`).
    let key: String
    let noun: String
    let parentNoun: String
    let maxItems: Int
    /// Whether a changed position stamps `updated_at` (stages do; fields keep theirs).
    let stampsUpdatedAt: Bool
    /// Runs after every renumbering of a parent's children (stages: the reach table, which is by position).
    let renumbered: @Sendable (Connection, Tenant, _ parent: Int) throws -> Void

    static let stages = Ordering(
        table: SQLIdentifier("crm_stages"), parentColumn: SQLIdentifier("pipeline_id"),
        key: "stages", noun: "stage", parentNoun: "pipeline", maxItems: 200, stampsUpdatedAt: true,
        renumbered: { db, tenant, pipelineID in try PipelineStats.forget(db, tenant, pipelineID: pipelineID) })

    static let fields = Ordering(
        table: SQLIdentifier("crm_fields"), parentColumn: SQLIdentifier("entity_id"),
        key: "fields", noun: "field", parentNoun: "entity", maxItems: 500, stampsUpdatedAt: false,
        renumbered: { _, _, _ in })

    /// The parent's children in order, locked for the caller's transaction.
    func lockedIDs(_ db: Connection, _ tenant: Tenant, parent: Int) throws -> [Int] {
        try db.query("""
            SELECT id FROM \(table) WHERE tenant_id = \(tenant) AND \(parentColumn) = \(parent)
            ORDER BY position, id FOR UPDATE
            """).map { try $0.int("id") }
    }

    /// Writes positions 0, 1, 2 … in the order given (only the rows whose position changes).
    func renumber(_ db: Connection, _ tenant: Tenant, parent: Int, ids: [Int]) throws {
        guard !ids.isEmpty else { return }
        try renumbered(db, tenant, parent)
        let stamp: SQL = stampsUpdatedAt ? ", updated_at = UTC_TIMESTAMP(6)" : ""
        for (position, id) in ids.enumerated() {
            try db.execute("""
                UPDATE \(table) SET position = \(position)\(stamp)
                WHERE tenant_id = \(tenant) AND id = \(id) AND position <> \(position)
                """)
        }
    }

    /// `order` with `id` moved (or added) at `position`, or last when past the end.
    static func moving(_ id: Int, to position: Int, in order: [Int]) -> [Int] {
        var order = order
        order.removeAll { $0 == id }
        order.insert(id, at: min(max(position, 0), order.count))
        return order
    }

    /// Adds a child: `make` inserts the row at the end (the position it is given), with the
    /// siblings locked first, then the child moves to `position` (last when nil).
    func add(_ db: Connection, _ tenant: Tenant, parent: Int, at position: Int?, _ make: (_ end: Int) throws -> Int) throws -> Int {
        let order = try lockedIDs(db, tenant, parent: parent)
        let id = try make(order.count)
        try renumber(db, tenant, parent: parent, ids: Self.moving(id, to: position ?? order.count, in: order))
        return id
    }

    /// Moves one child to `position` among its siblings.
    func move(_ db: Connection, _ tenant: Tenant, parent: Int, id: Int, to position: Int) throws {
        try renumber(db, tenant, parent: parent, ids: Self.moving(id, to: position, in: try lockedIDs(db, tenant, parent: parent)))
    }

    /// Closes the gap a deleted child leaves (call after the delete, in its transaction).
    func close(_ db: Connection, _ tenant: Tenant, parent: Int) throws {
        try renumber(db, tenant, parent: parent, ids: try lockedIDs(db, tenant, parent: parent))
    }

    /// `{"<key>": [{id, position}, …]}`: every child of one parent, each once, each position
    /// once, applied together. Returns the parent, for the answer.
    func reorder(_ c: Context) throws -> Int {
        var input = try Input(c.request)
        var wanted: [(id: Int, position: Int)] = []
        if let items = input.object[key]?.arrayValue, !items.isEmpty, items.count <= maxItems {
            for (i, item) in items.enumerated() {
                guard let object = item.objectValue else { input.fail("\(key).\(i)", "Each \(noun) must be {id, position}."); continue }
                var one = Input(object)
                let id = one.int("id", min: 1)
                let position = one.int("position", min: 0, max: 10_000)
                for (field, messages) in one.errors.fields { for m in messages { input.fail("\(key).\(i).\(field)", m) } }
                if let id, let position { wanted.append((id, position)) }
            }
        } else {
            input.fail(key, "The \(key) field must be a non-empty array of {id, position}.")
        }
        if Set(wanted.map(\.id)).count != wanted.count { input.fail(key, "Each \(noun) may appear only once.") }
        if Set(wanted.map(\.position)).count != wanted.count { input.fail(key, "Each position may appear only once.") }
        try input.check()
        return try c.db.transaction {
            let found = try c.db.query("""
                SELECT id, \(parentColumn) AS parent FROM \(table) WHERE tenant_id = \(c.tenant) AND id IN (\(list: wanted.map(\.id)))
                """)
            guard found.count == wanted.count else { throw HTTPError.invalid(key, "One or more \(key) do not exist.") }
            let parents = Set(try found.map { try $0.int("parent") })
            guard parents.count == 1, let parent = parents.first else {
                throw HTTPError.invalid(key, "The \(key) must all belong to one \(parentNoun).")
            }
            let all = try lockedIDs(c.db, c.tenant, parent: parent)
            guard Set(all) == Set(wanted.map(\.id)) else {
                throw HTTPError.invalid(key, "The list must hold every \(noun) of the \(parentNoun) (\(all.count)).")
            }
            try renumber(c.db, c.tenant, parent: parent, ids: wanted.sorted { $0.position < $1.position }.map(\.id))
            return parent
        }
    }
}
