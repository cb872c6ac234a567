import MariaDB
import TestSupport
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

    @Test func databaseURLListsSeveralNodes() throws {
        let c = try DatabaseConfiguration(url: "mariadb://app:p%40ss@db1:3306,db2,[::1]:3307/entercrm?balance=random")
        #expect(c.user == "app")
        #expect(c.password == "p@ss")
        #expect(c.database == "entercrm")
        #expect(c.host == "db1" && c.port == 3306)
        #expect(c.hosts.map(\.host) == ["db1", "db2", "::1"])
        #expect(c.hosts.map(\.port) == [3306, 3306, 3307])
        #expect(c.balanceRandomly)
        let one = try DatabaseConfiguration(url: "mariadb://app@db1:3310/entercrm")
        #expect(one.hosts.count == 1 && one.hosts[0].port == 3310 && !one.balanceRandomly)
        #expect(throws: DatabaseConfiguration.InvalidURL.self) { try DatabaseConfiguration(url: "mariadb://x@db1,,db2/z") }
        #expect(throws: DatabaseConfiguration.InvalidURL.self) { try DatabaseConfiguration(url: "mariadb://x@db1:99999,db2/z") }
    }
}

@Suite struct LikePatternTests {
    @Test func wildcardsAndTheEscapeCharacterAreEscaped() {
        #expect(SQL.likeEscaped("a_b") == "a\\_b")
        #expect(SQL.likeEscaped("50%") == "50\\%")
        #expect(SQL.likeEscaped("c:\\x") == "c:\\\\x")
        #expect(SQL.likeEscaped("Kovačević") == "Kovačević")
        #expect(SQL.likePattern(startingWith: "a_") == "a\\_%")
        #expect(SQL.likePattern(containing: "%") == "%\\%%")
        #expect(SQL.likePattern(wordStartingWith: "jo") == "% jo%")
    }

    /// What MariaDB itself makes of the patterns (the session's sql_mode keeps `\` as LIKE's escape).
    @Test func mariaDBMatchesOnlyTheTextItself() throws {
        let db = try TestDatabase.connect()
        defer { db.disconnect() }
        func matches(_ value: String, _ pattern: String) throws -> Bool {
            try db.queryOne("SELECT \(value) LIKE \(pattern) AS m")!.bool("m")
        }
        #expect(try !matches("axb", SQL.likePattern(containing: "a_b")))
        #expect(try matches("xa_by", SQL.likePattern(containing: "a_b")))
        #expect(try !matches("500", SQL.likePattern(startingWith: "50%")))
        #expect(try matches("50% off", SQL.likePattern(startingWith: "50%")))
        #expect(try matches("c:\\x", SQL.likePattern(startingWith: "c:\\")))
        #expect(try !matches("c:x", SQL.likePattern(startingWith: "c:\\")))
        #expect(try matches("Mary Jones", SQL.likePattern(wordStartingWith: "jo")))
        #expect(try !matches("Jones", SQL.likePattern(wordStartingWith: "jo")))
    }
}
