import Foundation
import MariaDB

/// The words of a search, as the word tables (schema/017_search_index.sql) hold them: the
/// tokenizer's one home is the SQL function search_words_json(), which the tables' triggers
/// split every indexed text with; a search asks it to split q, so the two can never differ.
/// Words are cut to `maximumLength` characters, as the tables cut them. A word matches every
/// indexed word it begins, compared under utf8mb4_unicode_ci, so case and accents do not
/// matter.
package enum SearchWords {
    static let maximumLength = 32
    static let maximumWords = 8
    /// The derived tables' names of the words joined after the first (d0).
    package static let aliases: [SQL] = ["d1", "d2", "d3", "d4", "d5", "d6", "d7"]
    /// The columns of the words' signature bits (b0 for the first word, …).
    package static let bitAliases: [SQL] = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"]

    /// The distinct words of `q` (compared case-insensitively), at most `maximumWords`, in
    /// order: what search_words_json() splits it into (runs of letters with their marks, or
    /// of digits: "kovac123" is kovac and 123), each cut as the tables' triggers cut it
    /// (LEFT(word, 32): characters, not graphemes).
    package static func split(_ db: Connection, _ q: String) throws -> [String] {
        var words: [String] = []
        var seen: Set<String> = []
        for row in try db.query("""
            SELECT LEFT(w.word, \(maximumLength)) AS word
            FROM JSON_TABLE(search_words_json(\(q)), '$[*]' COLUMNS (i FOR ORDINALITY, word TEXT PATH '$')) w
            WHERE w.word <> '' ORDER BY w.i
            """) {
            let word = try row.string("word")
            if seen.insert(word.lowercased()).inserted { words.append(word) }
            if words.count == maximumWords { break }
        }
        return words
    }

    /// The index's estimate of how many rows of a word table match `condition` (EXPLAIN's
    /// rows: a few B-tree dives, not a count).
    /// How a search's words are matched: the rarest word leads; each other word, rarest
    /// first, is read and joined when reading its matches (0.3 a row) costs less than
    /// probing every candidate left (4 a probe), and probed otherwise. `candidates` is the
    /// expected number of matches, `cost` what finding them is expected to cost.
    ///
    /// With word signatures (crm_entry_words' sig_lo and sig_hi: a bit per 3-letter prefix
    /// of the document's words), a `signed` word other than the lead is checked on the
    /// lead's rows by its bit first, which leaves its matches and `signatureFalseRate` of
    /// the others, and only those are probed.
    package struct Plan {
        package var lead = 0
        package var joined: [Int] = []
        package var probed: [Int] = []
        /// Probed words whose bits the lead's rows are checked for first.
        package var signed: [Int] = []
        package var candidates = 0.0
        package var cost = 0.0
    }

    /// How many documents without a word beginning with a prefix have its bit anyway
    /// (about ten prefixes a document over 128 bits).
    static let signatureFalseRate = 0.1

    /// The plan for words whose matches are estimated at `estimates`, among `total` documents;
    /// `signed[i]`: word i has a signature bit.
    package static func plan(estimates: [Int], total n: Double, signed: [Bool] = []) -> Plan {
        let byRarity = estimates.indices.sorted { estimates[$0] < estimates[$1] }
        var plan = Plan(lead: byRarity[0])
        plan.candidates = Double(estimates[plan.lead])
        plan.cost = plan.candidates * 0.3
        let bits = byRarity.dropFirst().filter { signed.indices.contains($0) && signed[$0] }
        if !bits.isEmpty {
            var passing = plan.candidates
            for i in bits { passing *= min(Double(estimates[i]) / n + signatureFalseRate, 1) }
            for i in bits {
                plan.cost += passing * 4
                plan.probed.append(i)
                plan.signed.append(i)
                plan.candidates *= min(Double(estimates[i]) / n, 1)
                passing = max(plan.candidates, passing * 0.5)
            }
        }
        for i in byRarity.dropFirst() where !bits.contains(i) {
            let read = Double(estimates[i]) * 0.3
            let probes = plan.candidates * 4
            if read < probes {
                plan.cost += read
                plan.joined.append(i)
            } else {
                plan.cost += probes
                plan.probed.append(i)
            }
            plan.candidates *= min(Double(estimates[i]) / n, 1)
        }
        return plan
    }

    package static func estimate(_ db: Connection, _ select: SQL) throws -> Int {
        let rows = try db.query("EXPLAIN \(select)")
        return rows.compactMap { try? $0.int("rows") }.max() ?? 0
    }
}
