import Foundation
import MariaDB

/// The words of a search, as the word tables (schema/017_search_index.sql) hold them: runs
/// of letters, digits and combining marks, at most `maximumLength` characters each (longer
/// ones are cut, as the tables cut them). A word matches every indexed word it begins,
/// compared under utf8mb4_unicode_ci, so case and accents do not matter.
enum SearchWords {
    static let maximumLength = 32
    static let maximumWords = 8
    /// The derived tables' names of the words joined after the first (d0).
    static let aliases: [SQL] = ["d1", "d2", "d3", "d4", "d5", "d6", "d7"]
    /// The columns of the words' signature bits (b0 for the first word, …).
    static let bitAliases: [SQL] = ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"]

    /// The distinct words of `q` (compared case-insensitively), at most `maximumWords`, in
    /// order: runs of letters (with their marks) or of digits, as search_words_json() splits
    /// the indexed text ("kovac123" is kovac and 123).
    static func split(_ q: String) -> [String] {
        var words: [String] = []
        var seen: Set<String> = []
        var current = ""
        var digits = false
        func flush() {
            guard !current.isEmpty else { return }
            let word = String(current.prefix(maximumLength))
            if seen.insert(word.lowercased()).inserted { words.append(word) }
            current = ""
        }
        for scalar in q.unicodeScalars {
            let p = scalar.properties
            let mark = p.generalCategory == .nonspacingMark || p.generalCategory == .spacingMark || p.generalCategory == .enclosingMark
            if mark, !current.isEmpty {
                current.unicodeScalars.append(scalar)
            } else if p.isAlphabetic || mark {
                if digits { flush() }
                digits = false
                current.unicodeScalars.append(scalar)
            } else if p.numericType != nil {
                if !digits { flush() }
                digits = true
                current.unicodeScalars.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return Array(words.prefix(maximumWords))
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
    struct Plan {
        var lead = 0
        var joined: [Int] = []
        var probed: [Int] = []
        /// Probed words whose bits the lead's rows are checked for first.
        var signed: [Int] = []
        var candidates = 0.0
        var cost = 0.0
    }

    /// How many documents without a word beginning with a prefix have its bit anyway
    /// (about ten prefixes a document over 128 bits).
    static let signatureFalseRate = 0.1

    /// The plan for words whose matches are estimated at `estimates`, among `total` documents;
    /// `signed[i]`: word i has a signature bit.
    static func plan(estimates: [Int], total n: Double, signed: [Bool] = []) -> Plan {
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

    static func estimate(_ db: Connection, _ select: SQL) throws -> Int {
        let rows = try db.query("EXPLAIN \(select)")
        return rows.compactMap { try? $0.int("rows") }.max() ?? 0
    }
}
