import Foundation
import MariaDB
import Web

/// Search everywhere (`GET /v1/search?q=`, the console's command palette): each feature finds
/// its own records as a `SearchSource`, through the index its own list search uses; the
/// composition (`Application`) lists the sources and this runs them, each cut to `limit`.
public struct GlobalSearch: Sendable {
    public let sources: [SearchSource]

    public init(_ sources: [SearchSource]) {
        self.sources = sources
    }

    /// `q` (1–100 characters), `types` (comma-separated, all by default) and `limit` (hits a type, 1–20, default 5), checked.
    public struct Query: Sendable {
        public let q: String
        public let types: [String]
        public let limit: Int

        public init(_ request: Request, known: [String]) throws {
            var errors = ValidationErrors()
            let params = request.query
            let q = (params["q"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if q.isEmpty {
                errors.add("q", "Type something to search for.")
            } else if q.count > 100 {
                errors.add("q", "The search may be at most 100 characters long.")
            } else if q.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                errors.add("q", "The search may not contain control characters.")
            }
            var types = known
            if let raw = params["types"], !raw.isEmpty {
                let asked = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                let unknown = asked.filter { !known.contains($0) }
                if unknown.isEmpty { types = known.filter(asked.contains) } else {
                    errors.add("types", "Unknown type \(unknown.joined(separator: ", ")). The types are: \(known.joined(separator: ", ")).")
                }
            }
            var limit = 5
            if let raw = params["limit"] {
                if let v = Int(raw), (1...20).contains(v) { limit = v } else { errors.add("limit", "The limit must be an integer between 1 and 20.") }
            }
            try errors.check()
            self.q = q
            self.types = types
            self.limit = limit
        }
    }

    public var types: [String] { sources.map(\.type) }

    /// The hits of every type asked, in the order of the sources; each type's best first.
    public func run(_ db: Connection, _ tenant: Tenant, _ query: Query) throws -> JSON {
        var data: [JSON] = []
        var counts = JSONObject()
        for source in sources where query.types.contains(source.type) {
            let hits = try source.find(db, tenant, query.q, query.limit)
            counts[source.type] = .int(Int64(hits.count))
            data += hits.prefix(query.limit).map(\.json)
        }
        return ["data": .array(data), "meta": ["q": .string(query.q), "limit": .int(Int64(query.limit)), "counts": .object(counts)]]
    }
}

/// One record found: its type, id, what to show (title, subtitle) and what the console needs
/// to open it (`extra`, e.g. an entry's entity).
public struct SearchHit: Sendable {
    public let type: String
    public let id: JSON
    public let title: String
    public let subtitle: String?
    public let extra: JSONObject

    public init(type: String, id: JSON, title: String, subtitle: String? = nil, extra: JSONObject = JSONObject()) {
        self.type = type
        self.id = id
        self.title = title
        self.subtitle = subtitle
        self.extra = extra
    }

    var json: JSON {
        var o = extra
        o["type"] = .string(type)
        o["id"] = id
        o["title"] = .string(title)
        o["subtitle"] = subtitle.map(JSON.string) ?? .null
        return .object(o)
    }
}

/// How one feature finds its records for a search: at most `limit`, best first.
public struct SearchSource: Sendable {
    public let type: String
    public let find: @Sendable (_ db: Connection, _ tenant: Tenant, _ q: String, _ limit: Int) throws -> [SearchHit]

    public init(type: String, find: @escaping @Sendable (_ db: Connection, _ tenant: Tenant, _ q: String, _ limit: Int) throws -> [SearchHit]) {
        self.type = type
        self.find = find
    }

    /// A source of a small table searched by name: `rows` selects `id`, `title` and `subtitle`
    /// of the workspace's records whose name contains the pattern it is given (a LIKE pattern,
    /// SQL.likePattern's), and orders names that begin with the search first.
    public static func byName(type: String, rows: @escaping @Sendable (_ tenant: Tenant, _ contains: String, _ begins: String, _ limit: Int) -> SQL) -> SearchSource {
        SearchSource(type: type) { db, tenant, q, limit in
            try db.query(rows(tenant, SQL.likePattern(containing: q), SQL.likePattern(startingWith: q), limit)).map { row in
                SearchHit(type: type, id: .int(Int64(try row.int("id"))), title: try row.string("title"), subtitle: row.optionalString("subtitle"))
            }
        }
    }
}
