import Cryptography
import Foundation
import MariaDB
import Web

/// One timeline per record: everything that happened to a customer (and, as the features
/// grow, to a company or an entry), newest first, paginated by cursor.
///
/// Each feature describes what it contributes as `TimelineBranch`es (Tracking its events,
/// Campaigns its messages, Segments the entries and exits, Automations the steps, …); the
/// composition (`Application`) hands them to `Timeline`, which alone knows how to merge them.
/// A page is one statement: each branch reads at most `limit + 1` rows through its own index
/// from the cursor on, and the union is cut to the page.
///
/// The order is `occurred_at` descending, then the branch (its place in the list), then the
/// row's id within the branch: a total order, so that pages neither overlap nor skip.
public struct Timeline: Sendable {
    public let branches: [TimelineBranch]

    public init(_ branches: [TimelineBranch]) {
        self.branches = branches
    }

    /// Every item type a timeline can hold (of any record), in the order of the branches.
    public func types() -> [String] {
        var seen: [String] = []
        for branch in branches {
            for type in branch.types where !seen.contains(type) { seen.append(type) }
        }
        return seen
    }

    /// The query of a timeline page: the subject, the types asked for (`type=a,b`: a type no
    /// record has is a `422` naming it; one that only other records have selects nothing), the
    /// cursor and the page size (`limit`, 1–100, default 50), each checked (`422` naming it).
    public struct Query: Sendable {
        public let subject: String
        public let subjectID: Int
        public let types: Set<String>
        public let cursor: Cursor?
        public let limit: Int

        public init(_ request: Request, subject: String, subjectID: Int, known: [String]) throws {
            var errors = ValidationErrors()
            let q = request.query
            var types = Set(known)
            if let raw = q["type"], !raw.isEmpty {
                let asked = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                let unknown = asked.filter { !known.contains($0) }
                if unknown.isEmpty {
                    types = Set(asked)
                } else {
                    errors.add("type", "Unknown type \(unknown.joined(separator: ", ")). The types are: \(known.joined(separator: ", ")).")
                }
            }
            var limit = 50
            if let raw = q["limit"] {
                if let v = Int(raw), (1...100).contains(v) { limit = v } else { errors.add("limit", "The limit must be an integer between 1 and 100.") }
            }
            var cursor: Cursor?
            if let raw = q["cursor"], !raw.isEmpty {
                cursor = Cursor(raw)
                if cursor == nil { errors.add("cursor", "The cursor is not one this API gave: pass meta.next_cursor of the previous page as it is.") }
            }
            try errors.check()
            self.subject = subject
            self.subjectID = subjectID
            self.types = types
            self.cursor = cursor
            self.limit = limit
        }
    }

    /// Where a page ends: the last item's time (as MariaDB prints a DATETIME(6)), branch and id.
    public struct Cursor: Sendable, Equatable {
        public let occurredAt: String
        public let rank: Int
        public let id: Int

        init(occurredAt: String, rank: Int, id: Int) {
            self.occurredAt = occurredAt
            self.rank = rank
            self.id = id
        }

        /// Reads a cursor this API gave; nil for anything else.
        init?(_ text: String) {
            guard text.count <= 200, let bytes = Base64URL.decode(text), let plain = String(bytes: bytes, encoding: .utf8) else { return nil }
            let parts = plain.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 3, let rank = Int(parts[1]), rank >= 0, let id = Int(parts[2]), id >= 0,
                  RFC3339.parse(String(parts[0]).replacingOccurrences(of: " ", with: "T") + "Z") != nil
            else { return nil }
            self.init(occurredAt: String(parts[0]), rank: rank, id: id)
        }

        var text: String {
            Base64URL.encode(Array("\(occurredAt)|\(rank)|\(id)".utf8))
        }
    }

    /// A page: the items (`type`, `occurred_at`, `actor`, `data`) and the next cursor (nil on the last page).
    public func page(_ db: Connection, _ tenant: Tenant, _ query: Query) throws -> JSON {
        let chosen = branches.enumerated().filter { $0.element.subject == query.subject && !query.types.isDisjoint(with: $0.element.types) }
        guard !chosen.isEmpty else { return envelope([], next: nil, limit: query.limit) }
        let selects = chosen.map { rank, branch in
            branch.select(tenant: tenant, subjectID: query.subjectID, types: query.types, rank: rank,
                          after: query.cursor, limit: query.limit + 1)
        }
        let rows = try db.query("""
            \(SQL.join(selects, separator: " UNION ALL "))
            ORDER BY occurred_at DESC, branch_rank DESC, item_id DESC LIMIT \(query.limit + 1)
            """)
        let shown = rows.prefix(query.limit)
        let names = try memberNames(db, ids: shown.compactMap { try? $0.string("actor_type") == "member" ? $0.optionalInt("actor_id") : nil })
        let items: [JSON] = try shown.map { row in
            var actor = JSONObject()
            actor["type"] = .string(try row.string("actor_type"))
            if let id = row.optionalInt("actor_id") {
                actor["id"] = .int(Int64(id))
                if let name = names[id] { actor["name"] = .string(name) }
            }
            let data = (try? JSONParser.parse(row.optionalString("data") ?? "{}")) ?? [:]
            return [
                "type": .string(try row.string("type")),
                "occurred_at": .date(try row.date("occurred_at")),
                "actor": .object(actor),
                "data": data,
            ]
        }
        var next: Cursor?
        if rows.count > query.limit, let last = shown.last {
            next = Cursor(occurredAt: try last.string("occurred_at_text"), rank: try last.int("branch_rank"), id: try last.int("item_id"))
        }
        return envelope(items, next: next, limit: query.limit)
    }

    func envelope(_ items: [JSON], next: Cursor?, limit: Int) -> JSON {
        ["data": .array(items), "meta": ["per_page": .int(Int64(limit)), "next_cursor": next.map { .string($0.text) } ?? .null]]
    }

    /// The names of the members who acted on the page, in one read.
    func memberNames(_ db: Connection, ids: [Int]) throws -> [Int: String] {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [:] }
        var names: [Int: String] = [:]
        for row in try db.query("SELECT id, COALESCE(NULLIF(name, ''), email) AS name FROM users WHERE id IN (\(list: unique))") {
            names[try row.int("id")] = try row.string("name")
        }
        return names
    }
}

/// What one feature adds to a timeline: one SELECT over its own tables, read through an
/// index on (subject, time). Its columns are SQL expressions over `from`.
public struct TimelineBranch: Sendable {
    /// The record whose timeline this is: "customer", "company" or "entry".
    public let subject: String
    /// The item types it can yield.
    public let types: [String]
    /// The item's type (a constant, or an expression when the branch yields several).
    public let type: SQL
    /// When it happened, and a unique id within the branch (the order's tiebreak).
    public let occurredAt: SQL
    public let id: SQL
    /// Who did it: "member", "api_key" or "system", and their id when known.
    public let actorType: SQL
    public let actorID: SQL
    /// The item's data, a JSON object (JSON_OBJECT(…)).
    public let data: SQL
    /// FROM and JOINs.
    public let from: SQL
    /// The rows of this subject in this workspace.
    public let of: @Sendable (_ tenant: Tenant, _ subjectID: Int) -> SQL
    /// When the branch yields several types and only some are asked: the condition keeping them.
    public let only: (@Sendable (_ types: Set<String>) -> SQL)?

    public init(subject: String, types: [String], type: SQL, occurredAt: SQL, id: SQL, actorType: SQL = "'system'",
                actorID: SQL = "NULL", data: SQL, from: SQL, of: @escaping @Sendable (_ tenant: Tenant, _ subjectID: Int) -> SQL,
                only: (@Sendable (_ types: Set<String>) -> SQL)? = nil) {
        self.subject = subject
        self.types = types
        self.type = type
        self.occurredAt = occurredAt
        self.id = id
        self.actorType = actorType
        self.actorID = actorID
        self.data = data
        self.from = from
        self.of = of
        self.only = only
    }

    /// The branch's part of a page: its rows after the cursor, newest first, at most `limit`.
    func select(tenant: Tenant, subjectID: Int, types: Set<String>, rank: Int, after cursor: Timeline.Cursor?, limit: Int) -> SQL {
        var conditions: [SQL] = [of(tenant, subjectID)]
        if let only, !Set(self.types).isSubset(of: types) { conditions.append(only(types)) }
        if let cursor {
            // (occurred_at, rank, id) < the cursor's, with this branch's rank a constant.
            let at = cursor.occurredAt
            if rank < cursor.rank {
                conditions.append("\(occurredAt) <= \(at)")
            } else if rank == cursor.rank {
                conditions.append("(\(occurredAt) < \(at) OR (\(occurredAt) = \(at) AND \(id) < \(cursor.id)))")
            } else {
                conditions.append("\(occurredAt) < \(at)")
            }
        }
        return """
            (SELECT \(type) AS type, \(occurredAt) AS occurred_at,
                    DATE_FORMAT(\(occurredAt), '%Y-%m-%d %H:%i:%s.%f') AS occurred_at_text, \(rank) AS branch_rank,
                    \(id) AS item_id, \(actorType) AS actor_type, \(actorID) AS actor_id, \(data) AS data
             FROM \(from) WHERE \(SQL.join(conditions, separator: " AND "))
             ORDER BY \(occurredAt) DESC, \(id) DESC LIMIT \(limit))
            """
    }
}
