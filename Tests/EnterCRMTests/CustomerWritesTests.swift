import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web

/// customers_insert_rows (schema/043), the statement of CustomerWrites' new customers: a
/// chunk's rows in one INSERT, answered in order, counted and indexed, and, should one
/// of its addresses be a customer already, failing whole (no row of it written, no id that is
/// not its own handed out: issue 22), with its session switches reset either way.
@Suite struct CustomerWritesTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    static func row(_ name: String, _ email: String) -> JSON {
        .array([.string(name), .string(email), .null, .string("Wien"), .null, .string("{}"), .null, .null])
    }

    func insert(_ tenant: Int, _ rows: [JSON]) throws -> [(n: Int, id: Int)] {
        try client.db.query("CALL customers_insert_rows(\(tenant), \(JSONWriter.string(.array(rows))))")
            .map { (try $0.int("n"), try $0.int("id")) }.sorted { $0.n < $1.n }
    }

    func switchesAreOff() throws -> Bool {
        try client.db.queryOne("SELECT @entercrm_words_by_batch AS w")?.optionalInt("w") == nil
    }

    @Test func aChunkOfNewCustomersIsAnsweredCountedAndIndexedAndADuplicateFailsItWhole() throws {
        let owner = client.register()
        let tenant = owner.tenantID
        let total = { client.send("GET", "/v1/customers", token: owner.token)["meta"]?["total"] }
        let ids = try insert(tenant, (0..<30).map { Self.row("Chunk Kunde\($0)", "k\($0)@chunk-rows.example") })
        #expect(ids.map(\.n) == Array(1...30))
        for (n, id) in ids {
            #expect(try client.db.queryOne("SELECT email FROM customers WHERE id = \(id) AND tenant_id = \(tenant)")?.string("email")
                == "k\(n - 1)@chunk-rows.example")
        }
        #expect(total() == 30, "customer_counts")
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "q=kunde7")["meta"]?["total"] == 1, "its words, added at once")
        #expect(try switchesAreOff())

        // An address that is a customer already, among new ones: 1062, and nothing of the statement.
        do {
            _ = try insert(tenant, [Self.row("New One", "new1@chunk-rows.example"), Self.row("Again", "K3@chunk-rows.example"),
                                    Self.row("New Two", "new2@chunk-rows.example")])
            Issue.record("the duplicate was not refused")
        } catch let error as MariaDBError {
            #expect(error.isDuplicateKey)
        }
        #expect(try switchesAreOff(), "reset on error too: no pooled connection keeps them")
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM customers WHERE tenant_id = \(tenant)")?.int("n") == 30)
        #expect(total() == 30)

        // One row: its id is the insert's own (a customer without an email has nothing else).
        let single = try insert(tenant, [.array([.string("No Email"), .null, .null, .null, .null, .string("{}"), .null, .null])])
        #expect(single.count == 1 && single[0].n == 1)
        #expect(try client.db.queryOne("SELECT name FROM customers WHERE id = \(single[0].id) AND tenant_id = \(tenant)")?.string("name")
            == "No Email")
        // The API's create (the same procedure, one row) and the word trigger for other writes.
        #expect(client.send("POST", "/v1/customers", ["name": "Nach Chunk", "email": "nach@chunk-rows.example"], token: owner.token).status == 201)
        #expect(total() == 32)
        #expect(try client.db.execute("""
            INSERT INTO customers (tenant_id, name, email, created_at, updated_at)
            VALUES (\(tenant), 'Trigger Indexed', 'trig@chunk-rows.example', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).affectedRows == 1)
        #expect(client.send("GET", "/v1/customers", token: owner.token, query: "q=trigger%20indexed")["meta"]?["total"] == 1)
    }
}
