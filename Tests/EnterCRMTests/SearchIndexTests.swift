import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web

/// Text search through the word tables of schema/017_search_index.sql: entries (`q` of the
/// pipeline CRM) and customers (`q` of /v1/customers). Word prefixes, every word ANDed,
/// case and accents folded, the workspace's own documents only, and the tables kept by every
/// write that changes the text.
@Suite struct SearchIndexTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    func leads() -> CRMWorkspace {
        let ws = CRMWorkspace(client)
        ws.preset("leads")
        let field = ws.send("POST", "/entities/1/fields", [
            "name": "Lead Source", "key": "lead_source", "type": "select", "options": ["Facebook", "Google", "Organic"],
        ])
        precondition(field.status == 201, field.body)
        return ws
    }

    func search(_ ws: CRMWorkspace, _ q: String, _ extra: String = "") -> TestClient.Reply {
        let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
        let r = ws.send("GET", "/entities/1/entries", query: "q=\(encoded)\(extra)")
        precondition(r.status == 200, r.body)
        return r
    }

    func titles(_ ws: CRMWorkspace, _ q: String) -> [String] { search(ws, q).titles.sorted() }

    func entryWords(_ uid: String) throws -> Int {
        try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM crm_entry_words w JOIN crm_entries e ON e.id = w.entry_id WHERE e.uid = \(uid)
            """)?.int("n") ?? -1
    }

    @Test func entriesMatchWordPrefixesAllWordsFoldedAndOnlyTheirOwn() throws {
        let ws = leads()
        let entity = ws.send("GET", "/entities/1").json
        ws.entry(entity, title: "Zoë Zimmermann", values: ["email": "zoe.zimmermann@acme.io", "lead_source": "Facebook"])
        ws.entry(entity, title: "Ivan Kovačević", values: ["email": "ivan@example.hr"])
        ws.entry(entity, title: "Zimmer Frame Ltd")
        #expect(titles(ws, "zim") == ["Zimmer Frame Ltd", "Zoë Zimmermann"], "a word prefix")
        #expect(titles(ws, "ZIMMERMANN") == ["Zoë Zimmermann"], "case folds")
        #expect(titles(ws, "zoe zimm") == ["Zoë Zimmermann"], "accents fold, every word must match")
        #expect(titles(ws, "kovacevic") == ["Ivan Kovačević"], "accents of the text fold too")
        #expect(titles(ws, "zoe kovac").isEmpty, "the words are ANDed")
        #expect(titles(ws, "mann").isEmpty, "the start of a word, not its middle")
        #expect(titles(ws, "acme") == ["Zoë Zimmermann"], "an email's parts are words")
        #expect(titles(ws, "zoe.zimmermann@acme.io") == ["Zoë Zimmermann"], "and the whole address finds it")
        ws.entry(entity, title: "Mira Horvat", values: ["email": "mira.horvat123@mail.hr"])
        #expect(titles(ws, "horvat123") == ["Mira Horvat"], "letters and digits are words of their own, both must match")
        #expect(titles(ws, "horvat12") == ["Mira Horvat"])
        #expect(titles(ws, "horvat124").isEmpty)
        #expect(titles(ws, "mira.horvat123@mail.hr") == ["Mira Horvat"])
        #expect(titles(ws, "facebook zim") == ["Zoë Zimmermann"], "select values are searched")
        #expect(search(ws, "zim")["total"] == 2)

        // Another workspace's entries with the same words are never found, nor the other way.
        let other = leads()
        let otherEntity = other.send("GET", "/entities/1").json
        other.entry(otherEntity, title: "Zimmermann Secret")
        #expect(titles(ws, "zimmermann") == ["Zoë Zimmermann"])
        #expect(titles(other, "zimmermann") == ["Zimmermann Secret"])
        #expect(titles(other, "kovacevic").isEmpty)
    }

    @Test func theEntryIndexFollowsEveryWrite() throws {
        let ws = leads()
        let entity = ws.send("GET", "/entities/1").json
        let id = ws.entry(entity, title: "Quentin Blake", values: ["email": "qb@oldmail.com", "lead_source": "Facebook"])["id"]!.stringValue!
        ws.entry(entity, title: "Unrelated Person")
        #expect(titles(ws, "quentin") == ["Quentin Blake"])

        // The title changes.
        #expect(ws.send("PUT", "/entries/\(id)", ["title": "Rowena Blake"]).status == 200)
        #expect(titles(ws, "quentin").isEmpty, "the old title's word is gone")
        #expect(titles(ws, "rowena blake") == ["Rowena Blake"])
        #expect(titles(ws, "oldmail") == ["Rowena Blake"], "values untouched stay")

        // The values merge: the changed one is searched as it is now, the rest stay.
        #expect(ws.send("PUT", "/entries/\(id)", ["values": ["email": "rowena@newmail.org"]]).status == 200)
        #expect(titles(ws, "oldmail").isEmpty)
        #expect(titles(ws, "newmail") == ["Rowena Blake"])
        #expect(titles(ws, "facebook") == ["Rowena Blake"])
        #expect(ws.send("PUT", "/entries/\(id)", ["values": ["lead_source": "Google"]]).status == 200)
        #expect(titles(ws, "facebook").isEmpty && titles(ws, "google") == ["Rowena Blake"])

        // A stage move leaves the words as they were.
        let before = try entryWords(id)
        #expect(ws.send("PUT", "/entries/\(id)/stage", ["stage_id": .int(ws.stages(entity)[1])]).status == 200)
        #expect(try entryWords(id) == before && titles(ws, "rowena") == ["Rowena Blake"])

        // Deleting the field removes its values from the index.
        let field = try #require(entity["fields"]?.arrayValue?.first { $0["key"] == "lead_source" }?["id"]?.intValue)
        #expect(ws.send("DELETE", "/fields/\(field)").status == 200)
        #expect(titles(ws, "google").isEmpty)
        #expect(titles(ws, "newmail") == ["Rowena Blake"])

        // Deleting the entry removes its words.
        #expect(try entryWords(id) > 0)
        #expect(ws.send("DELETE", "/entries/\(id)").status < 300)
        #expect(titles(ws, "rowena").isEmpty)
        #expect(try entryWords(id) == 0)
        #expect(try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM crm_entry_words w LEFT JOIN crm_entries e ON e.id = w.entry_id
            WHERE w.tenant_id = \(ws.owner.tenantID) AND e.id IS NULL
            """)?.int("n") == 0, "no word outlives its entry")
    }

    @Test func searchPagesFollowTheSortOrder() throws {
        let ws = leads()
        let entity = ws.send("GET", "/entities/1").json
        for i in 0..<23 { ws.entry(entity, title: "Pager \(String(format: "%02d", (i * 7) % 23)) Walker") }
        for i in 0..<4 { ws.entry(entity, title: "Other \(i)") }
        // Every order, read page by page (the word is in most entries: the first pages read the
        // entries in order; the last, the word's matches), is the unfiltered list's order.
        for (sort, extra) in [("", ""), ("title", "&sort=title"), ("title desc", "&sort=title&order=desc"), ("created", "&sort=created_at&order=asc")] {
            let all = ws.send("GET", "/entities/1/entries", query: "per_page=100\(extra)").titles.filter { $0.hasPrefix("Pager") }
            #expect(all.count == 23)
            var paged: [String] = []
            for page in 1...5 {
                let r = search(ws, "walk", "&per_page=5&page=\(page)\(extra)")
                #expect(r["total"] == 23, "\(sort) page \(page)")
                #expect(r["last_page"] == 5)
                paged += r.titles
            }
            #expect(paged == all, "\(sort)")
        }
        let rare = search(ws, "pager 07 walk", "&sort=title")
        #expect(rare.titles == ["Pager 07 Walker"] && rare["total"] == 1)
    }

    /// Several word prefixes (the rarest read, the others checked by their signature bits,
    /// then probed) find exactly what checking every entry's words finds.
    @Test func severalPrefixesFindWhatEveryEntrysWordsFind() throws {
        let ws = leads()
        let entity = ws.send("GET", "/entities/1").json
        let firsts = ["Jana", "JANKO", "Mira", "Mirko", "Luka", "Željka", "Zoë", "Ivan"]
        let lasts = ["Kovač", "Kovačević", "Horvat", "HORVATIĆ", "Babić", "Novak", "Knežević", "Jurić"]
        var documents: [(title: String, text: String)] = []
        for (i, first) in firsts.enumerated() {
            for (j, last) in lasts.enumerated() where (i + j) % 3 != 0 {
                let n = (i * 8 + j) % 7
                let email = "\(first.prefix(3)).\(last.prefix(4))\(n)@mail\(n % 2).hr"
                    .folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
                ws.entry(entity, title: "\(first) \(last)", values: ["email": .string(email)])
                documents.append(("\(first) \(last)", "\(first) \(last) \(email)"))
            }
        }
        // Words whose prefixes have the first and last bits of either half (aab: 127,
        // abh: 64, acs: 63, and jan: 0).
        for title in ["Aabel Acsai", "Abhay Aabel", "Acsai Jana", "Aabel Jankovic"] {
            ws.entry(entity, title: title)
            documents.append((title, title))
        }
        func fold(_ s: String) -> String { s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased() }
        func words(_ s: String) -> [String] {
            var out: [String] = [], current = "", digits = false
            for c in fold(s) {
                if c.isLetter || c.isNumber {
                    if !current.isEmpty && c.isNumber != digits { out.append(current); current = "" }
                    digits = c.isNumber
                    current.append(c)
                } else if !current.isEmpty { out.append(current); current = "" }
            }
            if !current.isEmpty { out.append(current) }
            return out
        }
        let queries = ["jan kov", "JAN KOVAČ", "mir hor", "zoe bab", "kov jan", "luk bab mail", "jan 3", "jana kovacevic",
                       "kovač jurić", "ivan nov", "zel kne", "janko kov", "hor hor", "ja kov", "mira.horv", "mai1 hor kov",
                       "hr mail0 zoe", "zoë horvatić", "ivan mail1 hr", "aab acs", "acs aab", "abh aab", "aab abh", "acs jan", "jan aab"]
        for q in queries {
            let wanted = words(q)
            let expected = documents.filter { d in let have = words(d.text); return wanted.allSatisfy { w in have.contains { $0.hasPrefix(w) } } }
                .map(\.title).sorted()
            let r = search(ws, q, "&per_page=100")
            #expect(r.titles.sorted() == expected, "\(q)")
            #expect(r["total"]?.intValue == expected.count, "\(q)")
        }

        // Each word row carries its entry's signature: every bit of its words, and no other.
        #expect(try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM crm_entry_words w JOIN crm_entry_words o ON o.entry_id = w.entry_id
            WHERE w.tenant_id = \(ws.owner.tenantID) AND search_prefix_bit(o.word) IS NOT NULL
              AND IF(search_prefix_bit(o.word) < 64, (w.sig_lo >> search_prefix_bit(o.word)) & 1,
                     (w.sig_hi >> (search_prefix_bit(o.word) - 64)) & 1) = 0
            """)?.int("n") == 0, "every word's bit is set")
        #expect(try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM (
                SELECT w.entry_id FROM crm_entry_words w JOIN crm_entry_words o ON o.entry_id = w.entry_id
                WHERE w.tenant_id = \(ws.owner.tenantID)
                GROUP BY w.entry_id, w.word HAVING MAX(BIT_COUNT(w.sig_lo) + BIT_COUNT(w.sig_hi)) <> COUNT(DISTINCT search_prefix_bit(o.word))) x
            """)?.int("n") == 0, "and no other")
        // As 019's backfill computes it from the words.
        #expect(try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM crm_entry_words w
            JOIN (SELECT entry_id, COALESCE(BIT_OR((b < 64) << (b MOD 64)), 0) AS lo, COALESCE(BIT_OR((b >= 64) << (b MOD 64)), 0) AS hi
                  FROM (SELECT entry_id, search_prefix_bit(word) AS b FROM crm_entry_words WHERE tenant_id = \(ws.owner.tenantID)) x
                  GROUP BY entry_id) s ON s.entry_id = w.entry_id
            WHERE w.tenant_id = \(ws.owner.tenantID) AND (w.sig_lo <> s.lo OR w.sig_hi <> s.hi OR (w.sig_lo | w.sig_hi) = 0)
            """)?.int("n") == 0)
    }

    // MARK: Customers

    func key(_ token: String) -> String {
        client.send("POST", "/v1/api-keys", ["name": "k", "type": "secret"], token: token)["key"]!.stringValue!
    }

    func names(_ token: String, _ q: String, _ extra: String = "") -> [String] {
        let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
        let r = client.send("GET", "/v1/customers", token: token, query: "q=\(encoded)\(extra)")
        precondition(r.status == 200, r.body)
        return r["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test func customersMatchNameAndEmailWordsFoldedAndOnlyTheirOwn() throws {
        let owner = client.register()
        for (name, email) in [("Željko Zimmermann", "zz@firma.de"), ("Ana Kovačević", "ana.k@example.com"),
                              ("Anabel Horvat", "bel@example.com"), ("Mirko Novak", "zimmer.mirko@post.hr")] {
            #expect(client.send("POST", "/v1/customers", ["name": .string(name), "email": .string(email)], token: owner.token).status == 201)
        }
        func found(_ q: String) -> [String] { names(owner.token, q, "&sort=name&order=asc") }
        #expect(found("zim") == ["Mirko Novak", "Željko Zimmermann"], "a prefix of the name or of an email part")
        #expect(found("zeljko") == ["Željko Zimmermann"], "accents fold")
        #expect(found("KOVACEVIC") == ["Ana Kovačević"])
        #expect(found("ana kov") == ["Ana Kovačević"], "every word must match")
        #expect(found("ana horvat") == ["Anabel Horvat"], "ana begins Anabel")
        #expect(found("ana novak").isEmpty)
        #expect(found("anab") == ["Anabel Horvat"])
        #expect(found("example") == ["Ana Kovačević", "Anabel Horvat"], "the email's domain is words")
        #expect(found("mirko post") == ["Mirko Novak"])
        #expect(found("vacevic").isEmpty, "the start of a word, not its middle")
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "q=zim")["meta"]?["total"] == 2)

        let other = client.register()
        client.send("POST", "/v1/customers", ["name": "Zimmermann Other", "email": "z@other.example"], token: other.token)
        #expect(found("zimmermann") == ["Željko Zimmermann"])
        #expect(names(other.token, "zimmermann") == ["Zimmermann Other"])
    }

    @Test func theCustomerIndexFollowsEveryWrite() throws {
        let owner = client.register()
        let k = key(owner.token)
        let id = client.send("POST", "/v1/customers", ["name": "Petra Quist", "email": "petra@alpha.example"], token: owner.token)["id"]!.intValue!
        #expect(names(owner.token, "quist") == ["Petra Quist"])

        // PUT changes the name and the email.
        #expect(client.send("PUT", "/v1/customers/\(id)", ["name": "Petra Lindqvist", "email": "petra@beta.example"], token: owner.token).status == 200)
        #expect(names(owner.token, "quist").isEmpty && names(owner.token, "alpha").isEmpty)
        #expect(names(owner.token, "lindq beta") == ["Petra Lindqvist"])

        // Tracking: an event of a known customer leaves the words alone; an unknown email
        // creates a customer that is found by it.
        let words = { try self.client.db.queryOne("SELECT COUNT(*) AS n FROM customer_words WHERE customer_id = \(id)")?.int("n") ?? -1 }
        let before = try words()
        #expect(client.send("POST", "/v1/track/event", ["customer_email": "petra@beta.example", "event": "purchase", "properties": ["amount": 10]], key: k).status == 200)
        #expect(try words() == before)
        #expect(client.send("POST", "/v1/track/event", ["customer_email": "tracked.person@gamma.example", "event": "signup"], key: k).status == 200)
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "q=gamma")["meta"]?["total"] == 1)
        // A batch import too.
        #expect(client.send("POST", "/v1/track/batch", ["events": [["customer_email": "batch.one@delta.example", "event": "a"],
                                                                   ["customer_email": "batch.two@delta.example", "event": "a"]]], key: k).status == 200)
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "q=delta")["meta"]?["total"] == 2)
        // Identify: an anonymous visitor gets an email and a name.
        client.send("POST", "/v1/track/pageview", ["anonymous_id": "browser-9", "url": "https://shop.example/"], key: k)
        #expect(client.send("POST", "/v1/track/identify", ["anonymous_id": "browser-9", "email": "vera@epsilon.example", "traits": ["name": "Vera Šimić"]], key: k).status == 200)
        #expect(names(owner.token, "simic") == ["Vera Šimić"])
        #expect(names(owner.token, "epsilon vera") == ["Vera Šimić"])

        // Erasure removes the customer's words.
        #expect(client.send("DELETE", "/v1/customers/\(id)", token: owner.token).status == 200)
        #expect(names(owner.token, "lindqvist").isEmpty)
        #expect(try words() == 0)
    }

    /// The batch import adds its new customers' words with one set-based statement
    /// (customers_add_by_email and customer_words_add, schema/029) instead of the per-row
    /// trigger: they are found as soon as the batch answers, their words are exactly what
    /// search_words_json makes, and the trigger is on again for every other write.
    @Test func aBatchImportsNewCustomersAreFoundRightAfterTheBatch() throws {
        let owner = client.register()
        let k = key(owner.token)
        #expect(client.send("POST", "/v1/customers", ["name": "Old Kunde", "email": "old.kunde@zeta.example"], token: owner.token).status == 201)
        // More than EventRecorder.fewRows addresses (the JSON path), one known, one repeated.
        var events: [JSON] = (0..<40).map { i -> JSON in ["customer_email": .string("imp\(i).Kovač@zeta\(i % 3).example"), "event": "a"] }
        events.append(["customer_email": "old.kunde@zeta.example", "event": "a"])
        events.append(["customer_email": "imp7.Kovač@zeta1.example", "event": "b"])
        let r = client.send("POST", "/v1/track/batch", ["events": .array(events)], key: k)
        #expect(r.status == 200, "\(r.body)")
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "q=zeta")["meta"]?["total"] == 41)
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "q=kovac")["meta"]?["total"] == 40, "accents fold")
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "q=imp7%20zeta1")["meta"]?["total"] == 1)
        // The index holds exactly the words of the one tokenizer, for every customer.
        let tenant = owner.tenantID
        let expected: SQL = """
            SELECT c.id, LEFT(w.word, 32) AS word FROM customers c,
                JSON_TABLE(search_words_json(CONCAT_WS(' ', c.name, c.email)), '$[*]' COLUMNS (word TEXT PATH '$')) w
            WHERE c.tenant_id = \(tenant) AND w.word <> ''
            """
        let missing = try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM (\(expected)) e
            WHERE NOT EXISTS (SELECT 1 FROM customer_words x WHERE x.tenant_id = \(tenant) AND x.word = e.word AND x.customer_id = e.id)
            """)?.int("n")
        #expect(missing == 0)
        let extra = try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM customer_words x WHERE x.tenant_id = \(tenant)
              AND NOT EXISTS (SELECT 1 FROM (\(expected)) e WHERE x.word = e.word AND x.customer_id = e.id)
            """)?.int("n")
        #expect(extra == 0)
        // The customer counts add up (the count trigger's shard is the session's).
        #expect(client.send("GET", "/v1/customers", token: owner.token)["meta"]?["total"] == 41)
        // The other paths still index through the trigger afterwards.
        #expect(client.send("POST", "/v1/customers", ["name": "Nach Batch", "email": "nach@eta.example"], token: owner.token).status == 201)
        #expect(client.send("POST", "/v1/track/event", ["customer_email": "single@theta.example", "event": "a"], key: k).status == 200)
        #expect(names(owner.token, "nach eta") == ["Nach Batch"])
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "q=theta")["meta"]?["total"] == 1)
        #expect(try client.db.queryOne("SELECT @entercrm_words_by_batch AS v")?.optionalInt("v") == nil)
    }

    @Test func customerSearchPagesFollowTheSortOrder() throws {
        let owner = client.register()
        for i in 0..<12 {
            client.send("POST", "/v1/customers", ["name": .string("Walker \(String(format: "%02d", (i * 5) % 12))"), "email": .string("w\(i)@walk.example")], token: owner.token)
        }
        client.send("POST", "/v1/customers", ["name": "Someone Else", "email": "else@other.example"], token: owner.token)
        for (extra, expected) in [("&sort=name&order=asc", (0..<12).map { String(format: "Walker %02d", $0) }),
                                  ("&sort=name&order=desc", (0..<12).reversed().map { String(format: "Walker %02d", $0) })] {
            var paged: [String] = []
            for page in 1...3 {
                let r = client.send("GET", "/v1/customers", token: owner.token, query: "q=walk&per_page=5&page=\(page)\(extra)")
                #expect(r["meta"]?["total"] == 12)
                paged += r["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            }
            #expect(paged == expected)
        }
    }
}
