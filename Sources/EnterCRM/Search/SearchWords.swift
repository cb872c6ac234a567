import Foundation
import MariaDB

/// The words of a search, as the word tables (schema/017_search_index.sql) hold them: runs
/// of letters, digits and combining marks, at most `maximumLength` characters each (longer
/// ones are cut, as the tables cut them). A word matches every indexed word it begins,
/// compared under utf8mb4_unicode_ci, so case and accents do not matter.
enum SearchWords {
    static let maximumLength = 32
    static let maximumWords = 8

    /// The distinct words of `q` (compared case-insensitively), at most `maximumWords`, in order.
    static func split(_ q: String) -> [String] {
        var words: [String] = []
        var seen: Set<String> = []
        var current = ""
        func flush() {
            guard !current.isEmpty else { return }
            let word = String(current.prefix(maximumLength))
            if seen.insert(word.lowercased()).inserted { words.append(word) }
            current = ""
        }
        for scalar in q.unicodeScalars {
            let p = scalar.properties
            if p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark
                || p.generalCategory == .spacingMark || p.generalCategory == .enclosingMark {
                current.unicodeScalars.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return Array(words.prefix(maximumWords))
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
