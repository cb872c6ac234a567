import Foundation
import MariaDB
import Web
import Core
import Search

/// The list's full-text search (`q`): the plan over the word index (crm_entry_words) and the
/// probes it uses, from the estimates of each word's range.
extension EntryQuery {
    /// A field filter checked for one entry: a scalar subquery, never turned into a
    /// semi-join, so that the entries drive.
    static func probe(_ filter: (field: Field, condition: SQL)) -> SQL {
        "(SELECT 1 FROM crm_entry_values v WHERE v.entry_id = e.id AND v.field_id = \(filter.field.id) AND \(filter.condition) LIMIT 1) IS NOT NULL"
    }

    /// A word of the search checked for the entry whose id is `entry`, through
    /// (entry_id, word).
    static func wordProbe(_ word: String, entry: SQL) -> SQL {
        "(SELECT 1 FROM crm_entry_words x WHERE x.entry_id = \(entry) AND x.word LIKE \(SQL.likePattern(startingWith: word)) LIMIT 1) IS NOT NULL"
    }

    /// A search: every word of `searchWords` begins a word of the entry (crm_entry_words).
    ///
    /// The plan is chosen from the index's estimate of each word's matches (EXPLAIN: rows of
    /// the word's range, a few B-tree dives), costed in rough microseconds: reading a row of a
    /// range ~0.3, probing one entry for a word through (entry_id, word) ~4, reading an
    /// entry by primary key ~3. Either
    /// - the words' matches drive: the rarest word's entries are read, each other word either
    ///   read too and joined (in memory, on the derived table's key) or probed per entry,
    ///   whichever is cheaper; the survivors are joined to their entries, filtered, sorted,
    ///   and counted in the same pass; or
    /// - the entries are read in the order asked for and each probed for every word until
    ///   the page is full (common words: one entry in a hundred has "jana"), and the total
    ///   counted from the words (kept in ListTotals when large).
    func runSearch(_ db: Connection, counted: Int, offset: Int) throws -> Result {
        let scope: SQL = "w.tenant_id = \(tenant) AND w.entity_id = \(entityID)"
        func range(_ word: String) -> SQL { "\(scope) AND w.word LIKE \(SQL.likePattern(startingWith: word))" }
        var estimates: [Int] = []
        for word in searchWords {
            estimates.append(max(1, try SearchWords.estimate(db, "SELECT w.entry_id FROM crm_entry_words w WHERE \(range(word))")))
        }
        let entityTotal = pipelineID == nil && stageID == nil ? counted : try db.queryOne("""
            SELECT COALESCE(SUM(entries), 0) AS n FROM crm_stage_counts WHERE tenant_id = \(tenant) AND entity_id = \(entityID)
            """)?.int("n") ?? 0
        let n = Double(max(entityTotal, 1))
        var filters = conditions + otherConditions
        for filter in valueFilters { filters.append(Self.probe(filter)) }

        // The words' signature bits (schema/019: a bit per 3-letter prefix; none for a word
        // of fewer than three letters).
        var bits: [Int?] = []
        if searchWords.count > 1 {
            let columns = searchWords.enumerated().map { i, word -> SQL in "search_prefix_bit(\(word)) AS \(SearchWords.bitAliases[i])" }
            let row = try db.queryOne("SELECT \(SQL.join(columns, separator: ", "))")
            bits = searchWords.indices.map { row?.optionalInt("b\($0)") }
        }

        // The matches: the rarest word first, then each other word joined or probed.
        let plan = SearchWords.plan(estimates: estimates, total: n, signed: bits.map { $0 != nil })
        let joined: [SQL] = plan.joined.map { range(searchWords[$0]) }
        let probed = plan.probed.map { searchWords[$0] }
        let candidates = plan.candidates, matchCost = plan.cost
        // Probes come after the joins (on the entry, so that MariaDB cannot push them down
        // into a derived table), or, with no join, on the lead word's rows.
        var leadConditions: [SQL] = [range(searchWords[plan.lead])]
        if !plan.signed.isEmpty {
            var lo: UInt64 = 0, hi: UInt64 = 0
            for i in plan.signed {
                guard let bit = bits[i] else { continue }
                if bit < 64 { lo |= 1 << UInt64(bit) } else { hi |= 1 << UInt64(bit - 64) }
            }
            leadConditions.append("(w.sig_lo & \(lo)) = \(lo) AND (w.sig_hi & \(hi)) = \(hi)")
        }
        var after: [SQL] = []
        for word in probed {
            if joined.isEmpty { leadConditions.append(Self.wordProbe(word, entry: "w.entry_id")) } else { after.append(Self.wordProbe(word, entry: "e.id")) }
        }
        var from: SQL = "(SELECT DISTINCT w.entry_id FROM crm_entry_words w WHERE \(SQL.join(leadConditions, separator: " AND "))) d0"
        for (j, condition) in joined.enumerated() {
            from = from + " JOIN (SELECT DISTINCT w.entry_id FROM crm_entry_words w WHERE \(condition)) \(SearchWords.aliases[j]) ON \(SearchWords.aliases[j]).entry_id = d0.entry_id"
        }
        let candidateCost = matchCost + candidates * 3

        let density = estimates.reduce(1.0) { $0 * min(Double($1) / n, 1) }
        let scanned = Double(offset + perPage) / max(density, 1e-9)
        let wordsOnly = searchWords.count == 1 && filters.count == 1
        let matchClause = SQL.join(filters + after, separator: " AND ")
        let orderedCost = scanned * (0.3 + 4) + (wordsOnly ? matchCost : candidateCost)

        if candidateCost <= orderedCost {
            let ids = try db.query("""
                SELECT SQL_CALC_FOUND_ROWS e.id\(sortColumn) FROM \(from) STRAIGHT_JOIN crm_entries e ON e.id = d0.entry_id
                WHERE \(matchClause) ORDER BY \(order) LIMIT \(perPage) OFFSET \(offset)
                """).map { try $0.int("id") }
            let total = try db.queryOne("SELECT FOUND_ROWS() AS n")?.int("n") ?? ids.count
            return Result(ids: ids, total: total, exact: true)
        }

        var all = filters
        for word in searchWords { all.append(Self.wordProbe(word, entry: "e.id")) }
        let whereClause = SQL.join(all, separator: " AND ")
        let ids: [Int]
        if let sortField {
            ids = try sortedByValue(db, sortField, whereClause: whereClause, offset: offset)
        } else {
            ids = try db.query("""
                SELECT e.id\(sortColumn) FROM crm_entries e WHERE \(whereClause) ORDER BY \(order) LIMIT \(perPage) OFFSET \(offset)
                """).map { try $0.int("id") }
        }
        if ids.count < perPage && (!ids.isEmpty || offset == 0) {
            return Result(ids: ids, total: offset + ids.count, exact: true)
        }
        let matchesSQL: SQL = filters.count == 1 && after.isEmpty
            ? "SELECT d0.entry_id FROM \(from)"  // the words alone: no entry needs reading
            : "SELECT d0.entry_id FROM \(from) STRAIGHT_JOIN crm_entries e ON e.id = d0.entry_id WHERE \(matchClause)"
        let key = "entries:\(tenant.id):\(entityID):\(matchesSQL.text):\(matchesSQL.binds)"
        let countSQL: SQL = "SELECT COUNT(*) AS n FROM (\(matchesSQL)) x"
        let count: @Sendable (Connection) throws -> Int = { try $0.queryOne(countSQL)?.int("n") ?? 0 }
        if let total = try ListTotals.cached(db, tenant, key: key, count: count) { return Result(ids: ids, total: total, exact: true) }
        let capped = try db.queryOne("SELECT COUNT(*) AS n FROM (\(matchesSQL) LIMIT \(Self.countLimit + 1)) x")?.int("n") ?? 0
        if capped <= Self.countLimit { return Result(ids: ids, total: capped, exact: true) }
        return Result(ids: ids, total: try ListTotals.counted(db, tenant, key: key, count: count), exact: true)
    }
}
