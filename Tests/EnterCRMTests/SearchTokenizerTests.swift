@testable import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
@testable import Search

/// The search tokenizer has one home, search_words_json() (schema/017): the word tables'
/// triggers split what they index with it, and a search asks it to split q. On a corpus of
/// tricky texts, the words a search looks for are exactly the words the index holds.
@Suite struct SearchTokenizerTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    static let corpus: [String] = [
        "Kovačević Ana", "Zoë O'Brien-Smith", "jana.kovac123@gmail.com", "under_score and-dash",
        "Ørsted 2024", "café", "cafe\u{301} noir", "1\u{301}a", "a\u{301}1", "abcⅫ", "x²y", "٣٤ arabic ٥", "東京タワー 2",
        "안녕하세요", "emoji 😀 ❤\u{FE0F} 👍🏽 ok", "Straße", "İstanbul", "ǅemal", "tab\there\nnewline",
        String(repeating: "e\u{301}", count: 20), String(repeating: "w", count: 40) + " end",
        "  leading and trailing  ", "\"quotes\" \\back\\slash", "", "...", "100% sure", "O'Neil", "d'Artagnan",
    ]

    @Test func aSearchLooksForExactlyTheWordsTheIndexHolds() throws {
        let owner = client.register()
        let tenant = owner.tenantID
        for (i, text) in Self.corpus.enumerated() {
            let id = try client.db.execute("""
                INSERT INTO customers (tenant_id, name, email, created_at, updated_at)
                VALUES (\(tenant), \(text), NULL, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """).lastInsertID
            let indexed = try client.db.query("SELECT word FROM customer_words WHERE customer_id = \(id)").map { try $0.string("word") }
            let searched = try SearchWords.split(client.db, text)
            // Every word searched is a word indexed (under the column's collation), and there
            // are as many (the corpus keeps under eight words a text, none an accent variant).
            for word in searched {
                let found = try client.db.queryOne("SELECT 1 AS one FROM customer_words WHERE customer_id = \(id) AND word = \(word)")
                #expect(found != nil, "corpus[\(i)] \(text.debugDescription): \(word.debugDescription) is not indexed (\(indexed))")
            }
            #expect(searched.count == indexed.count, "corpus[\(i)] \(text.debugDescription): searched \(searched), indexed \(indexed)")
        }
        #expect(try SearchWords.split(client.db, "jana.kovac123@gmail.com") == ["jana", "kovac", "123", "gmail", "com"])
        #expect(try SearchWords.split(client.db, "Zoë O'Brien-Smith") == ["Zoë", "O", "Brien", "Smith"])
        #expect(try SearchWords.split(client.db, "a b c d e f g h i j") == ["a", "b", "c", "d", "e", "f", "g", "h"])
        #expect(try SearchWords.split(client.db, "Ana ana ANA") == ["Ana"])
    }

    /// A word longer than the tables keep is cut as they cut it, by characters (code points),
    /// so that a search for it still matches: 20 decomposed "é" are 40 characters.
    @Test func longWordsAreCutAsTheIndexCutsThem() throws {
        let owner = client.register()
        let text = String(repeating: "e\u{301}", count: 20)
        client.send("POST", "/v1/customers", ["name": .string(text), "email": "long@example.com"], token: owner.token)
        let found = client.send("GET", "/v1/customers", token: owner.token, query: "q=" + text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        #expect(found["meta"]?["total"] == 1, "\(found.body)")
    }
}
