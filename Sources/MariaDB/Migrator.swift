import Foundation

/// Applies `schema/NNN_name.sql` files in order, each once, and records them in
/// `schema_migrations`. Safe to run from several hosts at once: a named lock serialises them.
public struct Migrator {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The migration files, in version order.
    public func migrations() throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        var result: [Migration] = []
        for file in files where file.hasSuffix(".sql") {
            let digits = file.prefix { $0.isNumber }
            guard digits.count >= 3, let version = Int(digits) else { continue }
            let sql = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            result.append(Migration(version: version, name: String(file.dropLast(4)), sql: sql))
        }
        result.sort { $0.version < $1.version }
        for (a, b) in zip(result, result.dropFirst()) where a.version == b.version {
            throw Failure(message: "two migrations have version \(a.version): \(a.name), \(b.name)")
        }
        return result
    }

    /// Applies what has not been applied; returns the names applied now.
    @discardableResult
    public func migrate(_ db: Connection, log: (String) -> Void = { _ in }) throws -> [String] {
        let all = try migrations()
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INT UNSIGNED NOT NULL PRIMARY KEY,
                name VARCHAR(255) NOT NULL,
                applied_at DATETIME(6) NOT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
            """)
        guard try db.queryOne("SELECT GET_LOCK('entercrm_migrate', 60) AS got")?.int("got") == 1 else {
            throw Failure(message: "another migration holds the lock")
        }
        defer { _ = try? db.query("SELECT RELEASE_LOCK('entercrm_migrate') AS released") }
        let applied = Set(try db.query("SELECT version FROM schema_migrations").map { try $0.int("version") })
        var done: [String] = []
        for migration in all where !applied.contains(migration.version) {
            log("applying \(migration.name)")
            do {
                try db.executeScript(unsafeSQL: migration.sql)
            } catch {
                throw Failure(message: "\(migration.name) failed: \(error)")
            }
            try db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), UTC_TIMESTAMP(6))")
            done.append(migration.name)
        }
        return done
    }
}
