import MariaDB

/// `page`, `per_page`, `sort` and `order` from the query string, checked:
/// per_page defaults to 25 and is at most 100; `sort` must be one of the whitelisted names.
public struct Pagination: Sendable {
    public let page: Int
    public let perPage: Int
    /// The index into the caller's whitelist of the sort key.
    public let sort: String
    public let descending: Bool

    public var offset: Int { (page - 1) * perPage }

    public init(page: Int = 1, perPage: Int = 25, sort: String, descending: Bool) {
        self.page = page
        self.perPage = perPage
        self.sort = sort
        self.descending = descending
    }

    public init(_ request: Request, sortable: [String], defaultSort: String, defaultDescending: Bool = true,
                defaultPerPage: Int = 25) throws {
        let q = request.query
        var errors = ValidationErrors()
        var page = 1, perPage = defaultPerPage
        if let raw = q["page"] {
            if let v = Int(raw), v >= 1, v <= 1_000_000 { page = v } else { errors.add("page", "The page must be a positive integer.") }
        }
        if let raw = q["per_page"] {
            if let v = Int(raw), v >= 1 { perPage = min(v, 100) } else { errors.add("per_page", "The per page must be an integer between 1 and 100.") }
        }
        var sort = defaultSort
        if let raw = q["sort"], !raw.isEmpty {
            if sortable.contains(raw) { sort = raw } else { errors.add("sort", "The sort must be one of: \(sortable.joined(separator: ", ")).") }
        }
        var descending = defaultDescending
        if let raw = q["order"], !raw.isEmpty {
            switch raw.lowercased() {
            case "asc": descending = false
            case "desc": descending = true
            default: errors.add("order", "The order must be asc or desc.")
            }
        }
        try errors.check()
        self.init(page: page, perPage: perPage, sort: sort, descending: descending)
    }

    /// The ORDER BY of a list: the column of the chosen sort (`columns` gives the SQL of each
    /// sortable name; a name it lacks sorts by `fallback`), in the chosen direction, then
    /// `tiebreak` (a unique column) in the same direction, so that rows with equal values keep
    /// one order and pages neither overlap nor skip. The one home of this rule for every list.
    public func order(_ columns: [String: SQL], fallback: SQL, tiebreak: SQL) -> SQL {
        let column = columns[sort] ?? fallback
        return descending ? "\(column) DESC, \(tiebreak) DESC" : "\(column) ASC, \(tiebreak) ASC"
    }

    /// The `/v1` list envelope: `{"data": […], "meta": {current_page, per_page, total, last_page}}`.
    public func envelope(_ data: [JSON], total: Int) -> JSON {
        [
            "data": .array(data),
            "meta": [
                "current_page": .int(Int64(page)),
                "per_page": .int(Int64(perPage)),
                "total": .int(Int64(total)),
                "last_page": .int(Int64(max(1, (total + perPage - 1) / perPage))),
            ],
        ]
    }
}
