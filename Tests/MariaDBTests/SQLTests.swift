import MariaDB
import Testing

@Suite struct SQLTests {
    @Test func fragmentsKeepBindsInOrder() {
        let tenant = 7
        let name: String? = nil
        let filter: SQL = "name = \(name)"
        let sql: SQL = "SELECT id FROM customers WHERE tenant_id = \(tenant) AND \(filter) ORDER BY \(SQLIdentifier("created_at")) LIMIT \(25)"
        #expect(sql.text == "SELECT id FROM customers WHERE tenant_id = ? AND name = ? ORDER BY `created_at` LIMIT ?")
        #expect(sql.binds == [.int(7), .null, .int(25)])
    }

    @Test func listsExpandAndEmptyListsMatchNothing() {
        let ids = [1, 2, 3]
        let sql: SQL = "id IN (\(list: ids))"
        #expect(sql.text == "id IN (?, ?, ?)")
        let none: [Int] = []
        let empty: SQL = "id IN (\(list: none))"
        #expect(empty.text == "id IN (NULL)")
        #expect(empty.binds.isEmpty)
    }

    @Test func joinUsesTheSeparator() {
        let parts: [SQL] = ["a = \(1)", "b = \(2)"]
        let joined = SQL.join(parts, separator: " AND ")
        #expect(joined.text == "a = ? AND b = ?")
        #expect(joined.binds == [.int(1), .int(2)])
    }

    @Test func decimalsAcceptOnlyNumbers() {
        #expect(SQLDecimal("149.99")?.text == "149.99")
        #expect(SQLDecimal("-3") != nil)
        #expect(SQLDecimal("1e5") == nil)
        #expect(SQLDecimal("1.2.3") == nil)
        #expect(SQLDecimal("") == nil)
        #expect(SQLDecimal("12; DROP") == nil)
        #expect(SQLDecimal(149.99).text == "149.99")
    }

    @Test func databaseURLIsParsed() throws {
        let c = try DatabaseConfiguration(url: "mariadb://app:p%40ss@127.0.0.1:3317/entercrm_test?socket=/tmp/m.sock")
        #expect(c.user == "app")
        #expect(c.password == "p@ss")
        #expect(c.port == 3317)
        #expect(c.database == "entercrm_test")
        #expect(c.socket == "/tmp/m.sock")
        #expect(throws: DatabaseConfiguration.InvalidURL.self) { try DatabaseConfiguration(url: "postgres://x@y/z") }
        #expect(throws: DatabaseConfiguration.InvalidURL.self) { try DatabaseConfiguration(url: "mariadb://x@y/") }
    }
}
