import Foundation
import MariaDB
import Core
import Web

/// Notes for the global search (issue 24 part 8): the workspace's notes whose body contains the
/// search, pinned and newest first. A hit is titled with the words around the match and names
/// the record the note is about (`subject_type`, `subject_id`, an entry's entity), so that the
/// console opens that record.
package enum NoteSearch {
    package static let source = SearchSource(type: "note") { db, tenant, q, limit in
        try db.query("""
            SELECT n.id, LEFT(n.body, 4000) AS body, n.subject_type, n.subject_id,
                   COALESCE(cu.name, cu.email, co.name, e.title) AS subject_title, en.id AS entity_id, en.slug AS entity_slug
            FROM notes n
            LEFT JOIN customers cu ON n.subject_type = 'customer' AND cu.tenant_id = n.tenant_id AND cu.id = CAST(n.subject_id AS UNSIGNED)
            LEFT JOIN companies co ON n.subject_type = 'company' AND co.tenant_id = n.tenant_id AND co.id = CAST(n.subject_id AS UNSIGNED)
            LEFT JOIN crm_entries e ON n.subject_type = 'entry' AND e.tenant_id = n.tenant_id AND e.uid = n.subject_id
            LEFT JOIN crm_entities en ON en.tenant_id = e.tenant_id AND en.id = e.entity_id
            WHERE n.tenant_id = \(tenant) AND n.body LIKE \(SQL.likePattern(containing: q))
            ORDER BY n.pinned DESC, n.created_at DESC, n.id DESC LIMIT \(limit)
            """).map { row in
            let subject = Subject(type: try row.string("subject_type"), id: try row.string("subject_id"))
            var extra = JSONObject(subject.json)
            if let slug = row.optionalString("entity_slug") {
                extra["entity"] = .object(JSONObject([("id", .int(Int64(try row.int("entity_id")))), ("slug", .string(slug))]))
            }
            let about = row.optionalString("subject_title").map { "Note on \($0)" } ?? "Note"
            return SearchHit(type: "note", id: .int(Int64(try row.int("id"))), title: snippet(try row.string("body"), around: q),
                             subtitle: about, extra: extra)
        }
    }

    /// About 90 characters of a note's text on one line, from a little before the first match,
    /// without Markdown's line markers.
    static func snippet(_ body: String, around q: String, width: Int = 90) -> String {
        let text = body.split(whereSeparator: \.isNewline)
            .map { $0.drop(while: { "#>*-+ \t".contains($0) }) }
            .filter { !$0.isEmpty }.joined(separator: " · ")
        guard let match = text.range(of: q, options: [.caseInsensitive, .diacriticInsensitive]) else { return String(text.prefix(width)) }
        let start = text.index(match.lowerBound, offsetBy: -30, limitedBy: text.startIndex) ?? text.startIndex
        let cut = text[start...]
        let shown = String(cut.prefix(width))
        return (start > text.startIndex ? "…" : "") + shown + (cut.count > width ? "…" : "")
    }
}
