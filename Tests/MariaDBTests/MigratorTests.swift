import Foundation
import MariaDB
import Testing
import TestSupport

@Suite struct MigratorTests {
    @Test func appliesInOrderOnceAndRecordsEach() throws {
        // A throwaway database: the app user may create databases named entercrm*.
        let admin = try TestDatabase.connect()
        let name = TestDatabase.unique("\(admin.configuration.database)_mig")
        try admin.executeScriptForTests("CREATE DATABASE \(name)")
        defer { _ = try? admin.executeScriptForTests("DROP DATABASE \(name)") }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(TestDatabase.unique("migrations")).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "CREATE TABLE a (id INT PRIMARY KEY);\nINSERT INTO a VALUES (1);".write(toFile: dir + "/001_a.sql", atomically: true, encoding: .utf8)
        try "INSERT INTO a VALUES (2);".write(toFile: dir + "/002_more.sql", atomically: true, encoding: .utf8)
        try "not a migration".write(toFile: dir + "/README.txt", atomically: true, encoding: .utf8)

        var config = admin.configuration
        config.database = name
        config.multiStatements = true
        let db = Connection(configuration: config)
        let migrator = Migrator(directory: dir)
        #expect(try migrator.migrate(db) == ["001_a", "002_more"])
        #expect(try migrator.migrate(db) == [])
        #expect(try db.query("SELECT id FROM a ORDER BY id").map { try $0.int("id") } == [1, 2])
        #expect(try db.query("SELECT version FROM schema_migrations ORDER BY version").map { try $0.int("version") } == [1, 2])

        try "INSERT INTO a VALUES (3);".write(toFile: dir + "/003_third.sql", atomically: true, encoding: .utf8)
        #expect(try migrator.migrate(db) == ["003_third"])

        try "INSERT INTO missing_table VALUES (1);".write(toFile: dir + "/004_broken.sql", atomically: true, encoding: .utf8)
        #expect(throws: Migrator.Failure.self) { try migrator.migrate(db) }
        #expect(try db.query("SELECT version FROM schema_migrations").count == 3)
    }
}
