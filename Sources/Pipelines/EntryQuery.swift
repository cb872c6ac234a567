import Foundation
import MariaDB
import Web
import Core
import Search
import Accounts
import Tags

/// The list of entries: its filters, full-text search, sort and page, read from the query
/// string and turned into SQL whose every column comes from this file.
///
///     pipeline_id, stage_id, reference_type, reference_id, assigned_to_user_id,
///     assigned_to_team_id (a number, or `null` for none), owner_id (the assignee: a number,
///     `me` or `none`), q,
///     values[key]=v (repeat values[key][]=v for any of several),
///     values[key][min]=…, values[key][max]=… (number and date fields),
///     sort=updated_at|created_at|title|<field key> (or values.<key>, or -name for descending),
///     order=asc|desc, page, per_page (at most 100), include_customer=true
package struct EntryQuery {
    /// Tenant and entity, then pipeline and stage: what `crm_stage_counts` can total.
    var conditions: [SQL]
    /// Reference, assignee, a title prefix.
    var otherConditions: [SQL] = []
    /// Field filters: the field and a condition on its typed rows (alias `v`).
    var valueFilters: [(field: Field, condition: SQL)] = []
    /// The words of `q` (SearchWords), each a word prefix every match has in its title or
    /// text values, found through `crm_entry_words`.
    var searchWords: [String] = []
    var order: SQL
    /// A column the id query selects for `order` to use (a field's value), or "".
    var sortColumn: SQL = ""
    /// A title prefix sorted by title: the title index answers both (MariaDB sometimes
    /// sorts the whole prefix range instead).
    var indexHint: SQL = ""
    /// Sorting by a field: read in the order of its typed values' index when that is cheaper.
    var sortField: Field?
    var sortDescending = false
    var page = 1
    var perPage = 25
    var includeCustomer = false
    let tenant: Tenant
    let entityID: Int
    var pipelineID: Int?
    var stageID: Int?

    /// Totals above this many are counted in full and kept for a while (ListTotals: shared
    /// by every process, at most 30 s old, recounted in the background), so that paging
    /// through a large filtered list does not count it again on every page.
    static let countLimit = ListTotals.exactLimit

    /// A query whose words are all shorter than this matches titles that start with it.
    static let minimumWordLength = 3
    /// `db` splits a search into words (SearchWords.split, by the tokenizer's SQL home).
    ///
    /// Long (about 130 lines): it reads every parameter of the list contract in turn (the
    /// filters, the `values[key]` forms, search, sort, page) and collects every problem into
    /// one 422; each parameter is a few lines, so it reads as the list it is.
    package init(_ request: Request, tenant: Tenant, principal: Principal? = nil, entity: Entity, fields: [Field], db: Connection) throws {
        var errors = ValidationErrors()
        var shortSearch = false
        self.tenant = tenant
        self.entityID = entity.id
        conditions = ["e.tenant_id = \(tenant) AND e.entity_id = \(entity.id)"]
        order = "e.updated_at DESC, e.id DESC"
        let pairs = Self.pairs(request.queryString)
        func first(_ name: String) -> String? { pairs.first { $0.name == name }?.value }
        func id(_ name: String) -> Int? {
            guard let raw = first(name), !raw.isEmpty else { return nil }
            guard let v = Int(raw), v > 0 else { errors.add(name, "The \(name.replacingOccurrences(of: "_", with: " ")) must be a positive integer."); return nil }
            return v
        }

        if let v = id("pipeline_id") { conditions.append("e.pipeline_id = \(v)"); pipelineID = v }
        if let v = id("stage_id") { conditions.append("e.stage_id = \(v)"); stageID = v }
        if let v = first("reference_type"), !v.isEmpty { otherConditions.append("e.reference_type = \(v)") }
        if let v = first("reference_id"), !v.isEmpty { otherConditions.append("e.reference_id = \(v)") }
        for (name, column) in [("assigned_to_user_id", "user"), ("assigned_to_team_id", "team")] {
            guard let raw = first(name), !raw.isEmpty else { continue }
            let isNone = raw == "null" || raw == "none"
            var v: Int?
            if !isNone { v = id(name); if v == nil { continue } }
            switch (column, isNone) {
            case ("user", true): otherConditions.append("e.assigned_to_user_id IS NULL")
            case ("user", false): otherConditions.append("e.assigned_to_user_id = \(v!)")
            case (_, true): otherConditions.append("e.assigned_to_team_id IS NULL")
            default: otherConditions.append("e.assigned_to_team_id = \(v!)")
            }
        }

        // owner_id=<id>|me|none: the assignee by issue 24's name (Owners, as customers and companies); tag=: Tags.
        if let owner = Owners.filter(first("owner_id"), principal: principal, errors: &errors) {
            otherConditions.append(Owners.condition(owner, column: "e.assigned_to_user_id"))
        }
        if let tags = Tags.filter(request.queryString, errors: &errors) { otherConditions.append(try Tags.condition(tags, kind: .entry, column: "e.id", tenant: tenant, db: db)) }

        // values[key]=v, values[key][]=v, values[key][min|max]=v
        var equal: [String: [String]] = [:]
        var ranges: [String: (min: String?, max: String?)] = [:]
        var keys: [String] = []
        for (name, value) in pairs where name.hasPrefix("values[") {
            let parts = Self.brackets(name.dropFirst("values".count))
            guard let key = parts.first, !key.isEmpty, parts.count <= 2 else {
                errors.add("values", "Filters are written values[key]=value or values[key][min]=value.")
                continue
            }
            if !keys.contains(key) { keys.append(key) }
            switch parts.count == 2 ? parts[1] : "" {
            case "": equal[key, default: []].append(value)
            case "min", "from", "gte": ranges[key, default: (nil, nil)].min = value
            case "max", "to", "lte": ranges[key, default: (nil, nil)].max = value
            default: errors.add("values.\(key)", "Use values[\(key)]=value, values[\(key)][min]= or values[\(key)][max]=.")
            }
        }
        for key in keys {
            guard let field = fields.first(where: { $0.key == key }) else {
                errors.add("values.\(key)", "The entity has no field \(key).")
                continue
            }
            do {
                if let list = equal[key], !list.isEmpty {
                    valueFilters.append((field, try Self.equality(field, list)))
                }
                if let range = ranges[key] {
                    valueFilters.append((field, try Self.range(field, range)))
                }
            } catch let error as FieldValueError {
                errors.add("values.\(key)", error.message)
            }
        }
        var searching = false
        if let q = first("q")?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
            if q.count > 200 {
                errors.add("q", "The search may not be greater than 200 characters.")
            } else {
                let words = try SearchWords.split(db, q)
                if words.isEmpty || words.allSatisfy({ $0.count < Self.minimumWordLength }) {
                    otherConditions.append("e.title LIKE \(SQL.likePattern(startingWith: q))")
                    if first("sort") == nil { shortSearch = true }
                } else {
                    searchWords = words
                    searching = true
                }
            }
        }
        // Sorting: a whitelisted column, or a field's value through its typed row.
        var sort = first("sort") ?? ""
        var descending: Bool?
        if sort.hasPrefix("-") { sort.removeFirst(); descending = true }
        if sort.hasPrefix("values.") { sort.removeFirst("values.".count) }
        if sort.hasPrefix("values["), sort.hasSuffix("]") { sort = String(sort.dropFirst(7).dropLast()) }
        switch first("order")?.lowercased() ?? first("direction")?.lowercased() {
        case nil, "": break
        case "asc": descending = false
        case "desc": descending = true
        default: errors.add("order", "The order must be asc or desc.")
        }
        switch sort {
        case "" where shortSearch && descending == nil:
            // A title prefix: the title index gives the order.
            order = "e.title ASC, e.id ASC"
            indexHint = " FORCE INDEX (idx_crm_entries_title)"
        case "", "updated_at":
            order = descending ?? true ? "e.updated_at DESC, e.id DESC" : "e.updated_at ASC, e.id ASC"
        case "created_at":
            order = descending ?? true ? "e.created_at DESC, e.id DESC" : "e.created_at ASC, e.id ASC"
        case "title":
            order = descending ?? false ? "e.title DESC, e.id DESC" : "e.title ASC, e.id ASC"
        case "relevance" where searching:
            // Every match has all the words; the most recently updated come first.
            order = "e.updated_at DESC, e.id DESC"
        default:
            if let field = fields.first(where: { $0.key == sort }) {
                sortField = field
                sortDescending = descending ?? false
                sortColumn = field.type.isRanged || field.type == .boolean
                    ? ", (SELECT v.value_num FROM crm_entry_values v WHERE v.entry_id = e.id AND v.field_id = \(field.id) AND v.seq = 0) AS sort_value"
                    : ", (SELECT v.value_text FROM crm_entry_values v WHERE v.entry_id = e.id AND v.field_id = \(field.id) AND v.seq = 0) AS sort_value"
                // Entries without a value come last either way.
                order = descending ?? false
                    ? "sort_value IS NULL, sort_value DESC, e.id DESC"
                    : "sort_value IS NULL, sort_value ASC, e.id ASC"
            } else {
                errors.add("sort", "The sort must be updated_at, created_at, title or a field key (\(fields.map(\.key).joined(separator: ", "))).")
            }
        }

        if let raw = first("page"), !raw.isEmpty {
            if let v = Int(raw), v >= 1, v <= 1_000_000 { page = v } else { errors.add("page", "The page must be a positive integer.") }
        }
        if let raw = first("per_page"), !raw.isEmpty {
            if let v = Int(raw), v >= 1 { perPage = min(v, 100) } else { errors.add("per_page", "The per page must be an integer between 1 and 100.") }
        }
        includeCustomer = ["true", "1", "yes"].contains(first("include_customer")?.lowercased() ?? "")
        try errors.check()
    }

    /// What a page of entries is, and how sure its total is.
    struct Result {
        let ids: [Int]
        let total: Int
        /// False when `total` is a lower bound (every total is exact now; `total_relation` stays "eq").
        let exact: Bool
    }

    /// The ids of one page, in order, and the total.
    ///
    /// MariaDB's optimizer misjudges field filters under a LIMIT (it reads every value of a
    /// common option to show 25 entries, or every entry to find a rare one), so the plan is
    /// chosen here, from the filters' selectivity counted on their index up to a bound:
    /// - a field filter that few entries pass drives: its entries are read and sorted;
    /// - otherwise the entries are read in the order asked for, each checked against its
    ///   typed values by primary key, until the page is full.
    /// A search (`q`) goes through `runSearch`.
    /// Totals are exact: from `crm_stage_counts` when only the pipeline or the stage filter;
    /// counted when the driving filter is selective or the stage small, or up to
    /// `countLimit`; past that counted in full and kept in `crm_list_totals` (ListTotals):
    /// an exact count, but of a moment up to `ListTotals.lifetime` (30 s) ago.
    func run(_ db: Connection) throws -> Result {
        let offset = (page - 1) * perPage
        var structural: SQL = ""
        if let pipelineID { structural = structural + " AND pipeline_id = \(pipelineID)" }
        if let stageID { structural = structural + " AND stage_id = \(stageID)" }
        let counted = try db.queryOne("""
            SELECT COALESCE(SUM(entries), 0) AS n FROM crm_stage_counts
            WHERE tenant_id = \(tenant) AND entity_id = \(entityID)\(structural)
            """)?.int("n") ?? 0
        if !searchWords.isEmpty { return try runSearch(db, counted: counted, offset: offset) }

        // How many values pass each field filter, counted up to the point where reading the
        // entries in order would cost less (√(entries read × candidates)).
        var selective: Int?
        var narrowest = 0
        var smallest = Int.max
        if !valueFilters.isEmpty {
            var threshold = 64
            while threshold * threshold <= (offset + perPage) * max(counted, 1), threshold < 65_536 { threshold *= 2 }
            for (i, filter) in valueFilters.enumerated() {
                let n = try db.queryOne("""
                    SELECT COUNT(*) AS n FROM (SELECT 1 FROM crm_entry_values v
                        WHERE v.tenant_id = \(tenant) AND v.field_id = \(filter.field.id) AND \(filter.condition) LIMIT \(threshold + 1)) x
                    """)?.int("n") ?? 0
                if n < smallest { smallest = n; narrowest = i }
            }
            if smallest <= threshold { selective = narrowest }
        }
        let entryConditions = conditions + otherConditions
        var all = entryConditions
        for (i, filter) in valueFilters.enumerated() {
            all.append(i == selective
                ? "e.id IN (SELECT v.entry_id FROM crm_entry_values v WHERE v.tenant_id = \(tenant) AND v.field_id = \(filter.field.id) AND \(filter.condition))"
                : Self.probe(filter))
        }
        let whereClause = SQL.join(all, separator: " AND ")

        let ids: [Int]
        if let sortField, selective == nil {
            ids = try sortedByValue(db, sortField, whereClause: whereClause, offset: offset)
        } else {
            ids = try db.query("""
                SELECT e.id\(sortColumn) FROM crm_entries e\(indexHint) WHERE \(whereClause) ORDER BY \(order) LIMIT \(perPage) OFFSET \(offset)
                """).map { try $0.int("id") }
        }
        if ids.count < perPage && (!ids.isEmpty || offset == 0) {
            return Result(ids: ids, total: offset + ids.count, exact: true)
        }
        if valueFilters.isEmpty && otherConditions.isEmpty {
            return Result(ids: ids, total: counted, exact: true)
        }
        if selective != nil || counted <= Self.countLimit {
            let total = try db.queryOne("SELECT COUNT(*) AS n FROM crm_entries e WHERE \(whereClause)")?.int("n") ?? 0
            return Result(ids: ids, total: total, exact: true)
        }
        // Many entries: counted exactly up to countLimit on every page; past it, counted in
        // full and kept (ListTotals), from the values of the narrowest filter.
        let leadSQL: SQL
        if !valueFilters.isEmpty {
            // The narrowest filter's values drive, each entry checked by primary key. (The
            // probes' own `v` hides this one inside them.)
            let lead = valueFilters[narrowest]
            var rest = entryConditions
            for (i, filter) in valueFilters.enumerated() where i != narrowest { rest.append(Self.probe(filter)) }
            if valueFilters.count == 1 && entryConditions.count == 1 {
                // Only the field filter: its index alone counts it.
                leadSQL = """
                    SELECT DISTINCT v.entry_id FROM crm_entry_values v
                    WHERE v.tenant_id = \(tenant) AND v.field_id = \(lead.field.id) AND \(lead.condition)
                    """
            } else {
                leadSQL = """
                    SELECT DISTINCT STRAIGHT_JOIN e.id FROM crm_entry_values v JOIN crm_entries e ON e.id = v.entry_id
                    WHERE v.tenant_id = \(tenant) AND v.field_id = \(lead.field.id) AND \(lead.condition)
                      AND \(SQL.join(rest, separator: " AND "))
                    """
            }
        } else {
            leadSQL = "SELECT e.id FROM crm_entries e WHERE \(whereClause)"
        }
        let key = "entries:\(tenant.id):\(entityID):\(leadSQL.text):\(leadSQL.binds)"
        return Result(ids: ids, total: try ListTotals.total(db, tenant, key: key, rows: leadSQL), exact: true)
    }

    /// A page sorted by a field's value, read in the order of the typed values' index and
    /// stopped when full; entries without a value follow, by id.
    func sortedByValue(_ db: Connection, _ field: Field, whereClause: SQL, offset: Int) throws -> [Int] {
        let numeric = field.type.isRanged || field.type == .boolean
        let order: SQL = switch (numeric, sortDescending) {
        case (true, true): "v.value_num DESC, v.entry_id DESC"
        case (true, false): "v.value_num ASC, v.entry_id ASC"
        case (false, true): "v.value_text DESC, v.entry_id DESC"
        case (false, false): "v.value_text ASC, v.entry_id ASC"
        }
        let valued = try db.query("""
            SELECT STRAIGHT_JOIN e.id FROM crm_entry_values v JOIN crm_entries e ON e.id = v.entry_id
            WHERE v.tenant_id = \(tenant) AND v.field_id = \(field.id) AND v.seq = 0 AND \(whereClause)
            ORDER BY \(order) LIMIT \(perPage) OFFSET \(offset)
            """).map { try $0.int("id") }
        if valued.count == perPage { return valued }
        // Past the last valued entry: how many there are, then those without a value.
        let withValue = try db.queryOne("""
            SELECT COUNT(*) AS n FROM crm_entry_values v JOIN crm_entries e ON e.id = v.entry_id
            WHERE v.tenant_id = \(tenant) AND v.field_id = \(field.id) AND v.seq = 0 AND \(whereClause)
            """)?.int("n") ?? 0
        let direction: SQL = sortDescending ? "DESC" : "ASC"
        let rest = try db.query("""
            SELECT e.id FROM crm_entries e
            WHERE \(whereClause) AND NOT EXISTS (SELECT 1 FROM crm_entry_values v WHERE v.entry_id = e.id AND v.field_id = \(field.id) AND v.seq = 0)
            ORDER BY e.id \(direction) LIMIT \(perPage - valued.count) OFFSET \(max(0, offset - withValue))
            """).map { try $0.int("id") }
        return valued + rest
    }

    // MARK: Filters

    /// Equality with any of `values`: text-like fields compare the text (case-insensitively),
    /// the others their number.
    static func equality(_ field: Field, _ values: [String]) throws -> SQL {
        switch field.type {
        case .number, .date, .boolean:
            let numbers = try values.map { try number(field, $0) }
            return "v.value_num IN (\(list: numbers))"
        default:
            return "v.value_text IN (\(list: values.map { String($0.prefix(255)) }))"
        }
    }

    static func range(_ field: Field, _ range: (min: String?, max: String?)) throws -> SQL {
        guard field.type.isRanged else {
            throw FieldValueError(message: "Only number and date fields take min and max.")
        }
        let low = try range.min.map { try number(field, $0) }
        let high = try range.max.map { try number(field, $0) }
        switch (low, high) {
        case let (low?, high?): return "v.value_num BETWEEN \(low) AND \(high)"
        case let (low?, nil): return "v.value_num >= \(low)"
        case let (nil, high?): return "v.value_num <= \(high)"
        default: return "v.value_num IS NOT NULL"
        }
    }

    /// A filter value as the number the typed row holds.
    static func number(_ field: Field, _ text: String) throws -> DBValue {
        switch field.type {
        case .date:
            guard let day = FieldValue.day(text) else { throw FieldValueError(message: "The \(field.key) filter must be a date (YYYY-MM-DD).") }
            return .decimal(day.replacingOccurrences(of: "-", with: ""))
        case .boolean:
            guard let b = FieldValue.boolean(.string(text)) else { throw FieldValueError(message: "The \(field.key) filter must be true or false.") }
            return .decimal(b ? "1" : "0")
        default:
            guard let d = FieldValue.decimal(.string(text)) else { throw FieldValueError(message: "The \(field.key) filter must be a number.") }
            return .decimal(d)
        }
    }

    // MARK: Query string

    /// Every name=value pair, decoded, repeated names kept.
    static func pairs(_ queryString: String) -> [(name: String, value: String)] {
        queryString.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let plus = s.replacingOccurrences(of: "+", with: " ")
                return plus.removingPercentEncoding ?? plus
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// "[a][b]" → ["a", "b"]; anything else → [].
    static func brackets(_ s: Substring) -> [String] {
        var parts: [String] = []
        var rest = s
        while rest.first == "[" {
            guard let end = rest.firstIndex(of: "]") else { return [] }
            parts.append(String(rest[rest.index(after: rest.startIndex)..<end]))
            rest = rest[rest.index(after: end)...]
        }
        return rest.isEmpty ? parts : []
    }
}
