import Foundation

/// Applies `schema/NNN_name.sql` files in order, each once, and records them in
/// `schema_migrations`. Safe to run from several hosts at once, on one server or a Galera cluster: a lock row
/// serialises them.
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
        // The lock is a row, not GET_LOCK: named locks are local to one server, and on a
        // Galera cluster two hosts migrating through two nodes would both get one. A row
        // with a fixed primary key replicates; the second INSERT fails with a duplicate key
        // (or a certification conflict, 1213) on every node. A holder that died leaves the
        // row behind; after ten minutes it counts as abandoned.
        try db.execute("""
            CREATE TABLE IF NOT EXISTS schema_migration_lock (
                id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
                holder VARCHAR(255) NOT NULL,
                acquired_at DATETIME(6) NOT NULL
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
            """)
        let holder = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        let deadline = Date().addingTimeInterval(60)
        while true {
            try db.execute("DELETE FROM schema_migration_lock WHERE id = 1 AND acquired_at < UTC_TIMESTAMP(6) - INTERVAL 10 MINUTE")
            do {
                try db.execute("INSERT INTO schema_migration_lock (id, holder, acquired_at) VALUES (1, \(holder), UTC_TIMESTAMP(6))")
                break
            } catch let error as MariaDBError where error.isDuplicateKey || error.isDeadlock {
                guard Date() < deadline else { throw Failure(message: "another migration holds the lock") }
                usleep(200_000)
            }
        }
        defer { _ = try? db.execute("DELETE FROM schema_migration_lock WHERE id = 1 AND holder = \(holder)") }
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
