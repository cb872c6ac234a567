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
    static func estimate(_ db: Connection, _ select: SQL) throws -> Int {
        let rows = try db.query("EXPLAIN \(select)")
        return rows.compactMap { try? $0.int("rows") }.max() ?? 0
    }

    /// The LIKE pattern of the words that `word` begins.
    static func prefixPattern(_ word: String) -> String {
        var out = ""
        for c in word {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "%"
    }
}
