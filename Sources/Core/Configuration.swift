import Foundation
import MariaDB

/// Everything the service reads from its environment (`ENTERCRM_*`), with defaults.
public struct Configuration: Sendable {
    public var database: DatabaseConfiguration
    public var jwtSecret: [UInt8]
    public var socketPath: String
    /// host:port to listen on TCP instead of the unix socket (for a remote nginx).
    public var listenAddress: String?
    public var workers: Int
    public var threads: Int
    public var pidFile: String?
    public var schemaDirectory: String
    public var maxBodyBytes: Int
    /// Where uploaded import files are kept, a directory per workspace (ENTERCRM_IMPORT_DIR;
    /// default `imports/` in the run directory).
    public var importDirectory: String
    /// The largest import file taken (ENTERCRM_MAX_IMPORT_BYTES, 1 GiB).
    public var maxImportBytes: Int
    /// Lifetime of a session token, seconds.
    public var tokenLifetime: Int
    public var jobConcurrency: Int
    /// scrypt cost as log2(N); 17 (128 MiB per hash) is OWASP's recommendation.
    public var scryptLogN: Int
    public static let version = "0.1.0"

    public struct Missing: Error, CustomStringConvertible {
        public let name: String
        public let reason: String
        public var description: String { "\(name): \(reason)" }
    }

    public init(database: DatabaseConfiguration, jwtSecret: [UInt8]) {
        self.database = database
        self.jwtSecret = jwtSecret
        socketPath = ".run/entercrm.sock"
        listenAddress = nil
        workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        threads = 8
        pidFile = nil
        schemaDirectory = "schema"
        maxBodyBytes = 10 << 20
        importDirectory = ".run/imports"
        maxImportBytes = 1 << 30
        tokenLifetime = 7 * 24 * 3600
        jobConcurrency = 2
        scryptLogN = 17
    }

    /// Reads `ENTERCRM_*` variables. Only the database URL is required; without a JWT
    /// secret, token signing refuses to start (checked where tokens are made).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
        guard let url = env["ENTERCRM_DATABASE_URL"], !url.isEmpty else {
            throw Missing(name: "ENTERCRM_DATABASE_URL", reason: "not set (mariadb://user:pass@host:port/db?socket=…)")
        }
        var database = try DatabaseConfiguration(url: url)
        if let t = env["ENTERCRM_DB_TIMEOUT"].flatMap(UInt32.init), t > 0 { database.statementTimeout = t }
        var secret: [UInt8] = []
        if let hex = env["ENTERCRM_JWT_SECRET"], !hex.isEmpty {
            secret = Array(hex.utf8)
            guard secret.count >= 32 else { throw Missing(name: "ENTERCRM_JWT_SECRET", reason: "must be at least 32 characters") }
        }
        var c = Configuration(database: database, jwtSecret: secret)
        if let v = env["ENTERCRM_SOCKET"], !v.isEmpty { c.socketPath = v }
        if let v = env["ENTERCRM_LISTEN"], !v.isEmpty { c.listenAddress = v }
        if let v = env["ENTERCRM_WORKERS"].flatMap(Int.init), v > 0 { c.workers = v }
        if let v = env["ENTERCRM_THREADS"].flatMap(Int.init), v > 0 { c.threads = v }
        if let v = env["ENTERCRM_PID_FILE"], !v.isEmpty { c.pidFile = v }
        if let v = env["ENTERCRM_SCHEMA_DIR"], !v.isEmpty { c.schemaDirectory = v }
        if let v = env["ENTERCRM_MAX_BODY_BYTES"].flatMap(Int.init), v > 0 { c.maxBodyBytes = v }
        if let v = env["ENTERCRM_RUN_DIR"], !v.isEmpty { c.importDirectory = v + "/imports" }
        if let v = env["ENTERCRM_IMPORT_DIR"], !v.isEmpty { c.importDirectory = v }
        if let v = env["ENTERCRM_MAX_IMPORT_BYTES"].flatMap(Int.init), v > 0 { c.maxImportBytes = v }
        if let v = env["ENTERCRM_TOKEN_TTL"].flatMap(Int.init), v > 0 { c.tokenLifetime = v }
        if let v = env["ENTERCRM_JOB_CONCURRENCY"].flatMap(Int.init), v > 0 { c.jobConcurrency = v }
        if let v = env["ENTERCRM_SCRYPT_LOG_N"].flatMap(Int.init), (14...20).contains(v) { c.scryptLogN = v }
        return c
    }
}
