import Foundation
import MariaDB
import Testing
import TestSupport

@Suite struct ConnectionTests {
    let db: Connection
    let table: String

    init() throws {
        db = try TestDatabase.connect()
        table = TestDatabase.unique("t")
        // One table per test instance (tests run in parallel); the name is generated here,
        // not taken from input, so this script is safe.
        try db.executeScriptForTests("""
            CREATE TABLE \(table) (
                id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                name VARCHAR(50) NOT NULL,
                email VARCHAR(100) NULL,
                amount DECIMAL(12,2) NULL,
                ratio DOUBLE NULL,
                seen_at DATETIME(6) NULL,
                doc LONGTEXT NULL CHECK (doc IS NULL OR JSON_VALID(doc)),
                blob_data VARBINARY(64) NULL,
                counter INT NOT NULL DEFAULT 0,
                UNIQUE KEY uq_email (email)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
            """)
    }

    @Test func aConnectionFailsOverToTheNextNode() throws {
        // The first node refuses connections (nothing listens on port 1); the second is the
        // test database over TCP.
        var c = try TestDatabase.configuration()
        c.socket = nil
        c.hosts = [("127.0.0.1", 1), (c.host, c.port)]
        let db = Connection(configuration: c)
        defer { db.disconnect() }
        #expect(try db.queryOne("SELECT 1 AS one")?.int("one") == 1)
        #expect(db.nodeIndex == 1)
    }

    @Test func typedValuesRoundTrip() throws {
        let seen = Date(timeIntervalSince1970: 1_773_657_720.123456)
        let id = try db.execute(table: table, "INSERT INTO %t (name, email, amount, ratio, seen_at, doc, blob_data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                ["Ana Kovač 😀", DBValue.null, SQLDecimal("4850.05")!, 0.25, seen, #"{"a": [1, 2]}"#, [0, 255, 7] as [UInt8]]).lastInsertID
        #expect(id > 0)
        let row = try #require(try db.query(table: table, "SELECT * FROM %t WHERE id = ?", [id]).first)
        #expect(try row.string("name") == "Ana Kovač 😀")
        #expect(row["email"] == .null)
        #expect(try row.decimal("amount") == "4850.05")
        #expect(try row.double("ratio") == 0.25)
        #expect(abs(try row.date("seen_at").timeIntervalSince1970 - seen.timeIntervalSince1970) < 0.000001)
        #expect(try row.string("doc") == #"{"a": [1, 2]}"#)
        #expect(row["blob_data"] == .bytes([0, 255, 7]))
        #expect(try row.int("id") == id)
    }

    @Test func interpolatedValuesAreBoundNotSpliced() throws {
        let hostile = "x'); DROP TABLE \(table); --"
        try db.execute(table: table, "INSERT INTO %t (name) VALUES (?)", [String(hostile.prefix(50))])
        let sql: SQL = "SELECT COUNT(*) AS n FROM jobs WHERE kind = \(hostile)"
        #expect(sql.text == "SELECT COUNT(*) AS n FROM jobs WHERE kind = ?")
        #expect(sql.binds == [.string(hostile)])
        #expect(try db.queryOne(sql)?.int("n") == 0)
        #expect(try db.query(table: table, "SELECT name FROM %t", []).count == 1)
    }

    @Test func duplicateKeyNamesTheKey() throws {
        try db.execute(table: table, "INSERT INTO %t (name, email) VALUES (?, ?)", ["a", "a@example.com"])
        do {
            try db.execute(table: table, "INSERT INTO %t (name, email) VALUES (?, ?)", ["b", "a@example.com"])
            Issue.record("a duplicate email was accepted")
        } catch let error as MariaDBError {
            #expect(error.isDuplicateKey)
            #expect(error.duplicateKeyName == "uq_email")
            #expect(!error.description.contains("a@example.com") || error.message.contains("a@example.com"))
        }
    }

    /// The stack's MariaDB hands out auto-increment ids interleaved (scripts/stack.sh): an
    /// INSERT … SELECT of many rows holds no table-wide lock that makes other inserts wait or
    /// time out (1467), which a tracking batch creating customers and every seed rely on.
    @Test func autoIncrementIdsAreInterleaved() throws {
        #expect(try db.queryOne("SELECT @@innodb_autoinc_lock_mode AS mode")?.int("mode") == 2)
    }

    /// A large delete goes in statements of `batch` rows until one falls short, and says how many.
    @Test func deletesInBatchesUntilOneFallsShort() throws {
        // A temporary table is this connection's own, so its fixed name is safe in parallel tests.
        try db.execute("CREATE TEMPORARY TABLE batch_rows (id INT PRIMARY KEY, keep TINYINT NOT NULL)")
        try db.execute("INSERT INTO batch_rows SELECT seq, seq % 10 = 0 FROM seq_1_to_2500")
        #expect(try db.executeInBatches("DELETE FROM batch_rows WHERE keep = 0", batch: 1000) == 2250)
        #expect(try db.queryOne("SELECT COUNT(*) AS n FROM batch_rows")?.int("n") == 250)
        #expect(try db.executeInBatches("DELETE FROM batch_rows WHERE keep = 0", batch: 1000) == 0)
        #expect(try db.executeInBatches("DELETE FROM batch_rows", batch: 50) == 250, "an exact multiple ends on an empty batch")
    }

    @Test func transactionCommitsOnReturnAndRollsBackOnThrow() throws {
        struct Boom: Error {}
        try db.transaction {
            try db.execute(table: table, "INSERT INTO %t (name) VALUES (?)", ["kept"])
        }
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute(table: table, "INSERT INTO %t (name) VALUES (?)", ["discarded"])
                throw Boom()
            }
        }
        #expect(!db.inTransaction)
        let names = try db.query(table: table, "SELECT name FROM %t ORDER BY id", []).map { try $0.string("name") }
        #expect(names == ["kept"])
    }

    @Test func reconnectsAfterTheServerDropsTheConnection() throws {
        let before = try #require(try db.queryOne("SELECT CONNECTION_ID() AS id")?.int("id"))
        let killer = try TestDatabase.connect()
        try killer.execute("KILL CONNECTION \(before)")
        usleep(100_000)
        // The next statement finds the connection dead and runs on a new one.
        db.dropIfClosedByServer()
        let after = try #require(try db.queryOne("SELECT CONNECTION_ID() AS id")?.int("id"))
        #expect(after != before)
    }

    @Test func tooLongValueIsADataError() throws {
        do {
            try db.execute(table: table, "INSERT INTO %t (name) VALUES (?)", [String(repeating: "x", count: 51)])
            Issue.record("strict mode let a too-long value through")
        } catch let error as MariaDBError {
            #expect(error.isDataError)
        }
    }

    @Test func sessionIsUTC() throws {
        let row = try #require(try db.queryOne("SELECT @@session.time_zone AS tz"))
        #expect(try row.string("tz") == "+00:00")
    }
}
