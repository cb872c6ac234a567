import Foundation
import MariaDB

/// The MariaDB that `make test` starts, named by ENTERCRM_TEST_DATABASE_URL.
/// The first call in a test run applies the migrations (idempotent and locked, so
/// parallel tests and a previous `entercrm migrate` are both fine).
public enum TestDatabase {
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String {
            "ENTERCRM_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts a throwaway MariaDB"
        }
    }

    /// The repository's `schema/` directory, found from this file's path.
    public static var schemaDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schema").path
    }

    public static func configuration() throws -> DatabaseConfiguration {
        guard let url = ProcessInfo.processInfo.environment["ENTERCRM_TEST_DATABASE_URL"], !url.isEmpty else {
            throw NotConfigured()
        }
        return try DatabaseConfiguration(url: url)
    }

    private static let migrated: Result<Void, Error> = {
        Result {
            Connection.initializeLibrary()
            var config = try configuration()
            config.multiStatements = true
            config.statementTimeout = 600
            let db = Connection(configuration: config)
            try Migrator(directory: schemaDirectory).migrate(db)
            db.disconnect()
        }
    }()

    /// A new connection to the migrated test database.
    public static func connect() throws -> Connection {
        try migrated.get()
        let db = Connection(configuration: try configuration())
        try db.connect()
        return db
    }

    /// A short random suffix for names that must not collide between parallel tests.
    public static func unique(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
    }
}
