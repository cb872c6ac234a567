import CMariaDB
import Foundation

/// One connection to MariaDB. It belongs to one thread and is not `Sendable`.
///
/// It connects lazily, keeps a cache of prepared statements, and after a lost connection
/// reconnects at the next use. A statement that certainly did not reach the server is sent
/// again once; anything else surfaces as a `MariaDBError` whose `isConnectionLost` is true.
public final class Connection {
    public let configuration: DatabaseConfiguration
    private var handle: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: Statement] = [:]
    private var statementOrder: [String] = []
    private static let statementCacheSize = 200
    /// True between `START TRANSACTION` and its commit or rollback.
    public private(set) var inTransaction = false
    /// With several nodes configured: the node this connection uses (or tries first).
    public private(set) var nodeIndex = 0

    public init(configuration: DatabaseConfiguration) {
        self.configuration = configuration
        if configuration.balanceRandomly, configuration.hosts.count > 1 {
            nodeIndex = Int.random(in: 0..<configuration.hosts.count)
        }
    }

    deinit { disconnect() }

    /// Must run once per process before any thread connects.
    public static func initializeLibrary() {
        _ = cmariadb_library_init()
    }

    /// Makes one thread's use of the client library safe; call at the start of each thread.
    public static func initializeThread() { _ = mysql_thread_init() }

    /// Frees the client library's per-thread state; call before a thread exits.
    public static func finishThread() { mysql_thread_end() }

    public var isConnected: Bool { handle != nil }

    /// Opens the connection if it is not open.
    public func connect() throws {
        if handle != nil { return }
        let nodes = configuration.hosts
        guard nodes.count > 1, configuration.socket == nil else {
            return try connect(host: configuration.host, port: configuration.port)
        }
        // Several nodes (a Galera cluster): start with the current one and go round the
        // list once; the first that accepts and is ready for work keeps this connection.
        var lastError: Error = MariaDBError(code: 2003, message: "no database node answered")
        for step in 0..<nodes.count {
            let index = (nodeIndex + step) % nodes.count
            do {
                try connect(host: nodes[index].host, port: nodes[index].port)
                if step > 0 {
                    let from = nodes[nodeIndex], to = nodes[index]
                    let line = "[mariadb] node \(from.host):\(from.port) unavailable (\(lastError)); using \(to.host):\(to.port)\n"
                    FileHandle.standardError.write(Data(line.utf8))
                }
                nodeIndex = index
                return
            } catch let error as MariaDBError where error.isConnectionLost || error.isNodeNotReady {
                lastError = error
            }
        }
        nodeIndex = (nodeIndex + 1) % nodes.count
        throw lastError
    }

    /// Moves to the next node at the next connect (a lost node, or one not ready).
    private func failOver() {
        disconnect()
        if configuration.hosts.count > 1 { nodeIndex = (nodeIndex + 1) % configuration.hosts.count }
    }

    private func connect(host: String, port: UInt32) throws {
        guard let db = mysql_init(nil) else { throw MariaDBError(code: 2008, message: "out of memory") }
        let c = configuration
        _ = cmariadb_set_uint(db, MYSQL_OPT_CONNECT_TIMEOUT, c.connectTimeout)
        _ = cmariadb_set_uint(db, MYSQL_OPT_READ_TIMEOUT, c.statementTimeout + 2)
        _ = cmariadb_set_uint(db, MYSQL_OPT_WRITE_TIMEOUT, c.statementTimeout + 2)
        _ = cmariadb_set_bool(db, MYSQL_OPT_RECONNECT, 0)
        _ = cmariadb_set_string(db, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        let flags = UInt(c.multiStatements ? CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS : 0) | UInt(CLIENT_FOUND_ROWS)
        let connected = mysql_real_connect(
            db,
            c.socket == nil ? host : nil,
            c.user, c.password, c.database,
            c.socket == nil ? port : 0,
            c.socket, flags
        )
        if connected == nil {
            // A handle half-made by a failing connect is closed before throwing.
            let error = MariaDBError.from(connection: db)
            mysql_close(db)
            throw error
        }
        handle = db
        let session = "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO', max_statement_time = \(c.statementTimeout), innodb_lock_wait_timeout = \(max(1, c.statementTimeout / 2)), tx_isolation = 'READ-COMMITTED'"
        do {
            try runText(session)
            // A Galera node outside the primary component accepts connections but refuses
            // work (1047); find out now, so that the caller moves on to another node.
            if c.hosts.count > 1 { try runText("SELECT 1 FROM DUAL") }
        } catch {
            disconnect()
            throw error
        }
    }

    /// Closes the connection and forgets its prepared statements.
    public func disconnect() {
        statements.removeAll()
        statementOrder.removeAll()
        inTransaction = false
        if let db = handle {
            mysql_close(db)
            handle = nil
        }
    }

    /// Closes the connection if the server has already hung up on it (after a restart, a
    /// `wait_timeout` or a kill), so that the next statement reconnects instead of failing.
    /// A healthy idle connection has nothing to read; a closed one reads as end of file.
    public func dropIfClosedByServer() {
        guard let db = handle, !inTransaction else { return }
        let fd = mysql_get_socket(db)
        guard fd >= 0 else { return disconnect() }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN | 0x2000 /* POLLRDHUP */), revents: 0)
        if poll(&pfd, 1, 0) > 0 { disconnect() }
    }

    /// A round trip to the server (COM_PING), reconnecting first if needed. A ping is always
    /// safe to repeat: one that finds the connection lost (the server hung up on it while it
    /// was idle) is sent once more on a new connection.
    public func ping() throws {
        for attempt in 1...2 {
            try connect()
            if mysql_ping(handle) == 0 { return }
            let error = MariaDBError.from(connection: handle)
            disconnect()
            if attempt == 2 || !error.isConnectionLost { throw error }
        }
    }

    // MARK: Statements

    /// Runs a statement and returns its rows.
    public func query(_ sql: SQL) throws -> [Row] {
        try run(sql).rows
    }

    /// Runs a statement and returns its first row, if any.
    public func queryOne(_ sql: SQL) throws -> Row? {
        try run(sql).rows.first
    }

    /// Runs a statement that returns no rows.
    @discardableResult
    public func execute(_ sql: SQL) throws -> ExecuteResult {
        try run(sql).result
    }

    /// Runs `sql` (a DELETE or UPDATE) with `LIMIT batch` again and again, each time a
    /// statement of its own, until one changes fewer rows than the batch: a large delete that
    /// never holds many locks or a long transaction. Returns how many rows changed in all.
    @discardableResult
    public func executeInBatches(_ sql: SQL, batch: Int = 1000) throws -> Int {
        var total = 0
        while true {
            let changed = try execute(sql + " LIMIT \(batch)").affectedRows
            total += changed
            if changed < batch { return total }
        }
    }

    private func run(_ sql: SQL) throws -> (rows: [Row], result: ExecuteResult) {
        do {
            return try runOnce(sql)
        } catch let error as MariaDBError where error.isConnectionLost || error.isNodeNotReady {
            let wasInTransaction = inTransaction
            failOver()
            // Outside a transaction, a statement that never reached the server, or a read,
            // is sent once more on a new connection.
            let isRead = sql.text.prefix(6).uppercased() == "SELECT"
            if !wasInTransaction && (error.isSafeToRetry || isRead) {
                return try runOnce(sql)
            }
            throw error
        }
    }

    /// Runs text that is not a literal. Internal, for tests that name generated tables.
    func runUnsafe(text: String, binds: [DBValue]) throws -> (rows: [Row], result: ExecuteResult) {
        try connect()
        return try prepared(text).run(binds)
    }

    private func runOnce(_ sql: SQL) throws -> (rows: [Row], result: ExecuteResult) {
        try connect()
        let statement = try prepared(sql.text)
        do {
            return try statement.run(sql.binds)
        } catch let error as MariaDBError where error.code == 1615 {
            // ER_NEED_REPREPARE: the table changed under a cached statement.
            forget(sql.text)
            return try prepared(sql.text).run(sql.binds)
        }
    }

    private func prepared(_ text: String) throws -> Statement {
        if let statement = statements[text] { return statement }
        guard let db = handle else { throw MariaDBError(code: 2006, message: "not connected") }
        let statement = try Statement(connection: db, sql: text)
        if statementOrder.count >= Self.statementCacheSize {
            statements.removeValue(forKey: statementOrder.removeFirst())
        }
        statements[text] = statement
        statementOrder.append(text)
        return statement
    }

    private func forget(_ text: String) {
        statements.removeValue(forKey: text)
        statementOrder.removeAll { $0 == text }
    }

    /// Runs fixed text over the text protocol. Internal: session set-up and transactions.
    private func runText(_ text: String) throws {
        guard let db = handle else { throw MariaDBError(code: 2006, message: "not connected") }
        if mysql_real_query(db, text, UInt(text.utf8.count)) != 0 {
            let error = MariaDBError.from(connection: db, sql: text)
            if error.isConnectionLost || error.isNodeNotReady { failOver() }
            throw error
        }
        // Drain every result so the connection is ready for the next command.
        repeat {
            if let result = mysql_store_result(db) { mysql_free_result(result) }
            else if mysql_field_count(db) != 0 { throw MariaDBError.from(connection: db, sql: text) }
            let next = mysql_next_result(db)
            if next > 0 { throw MariaDBError.from(connection: db, sql: text) }
            if next != 0 { break }
        } while true
    }

    /// Runs a trusted script of several statements, such as a migration file.
    /// Needs `multiStatements` in the configuration. Never give it input from a request.
    public func executeScript(unsafeSQL script: String) throws {
        try connect()
        try runText(script)
    }

    // MARK: Transactions

    /// Runs `body` in a transaction that commits when it returns and rolls back when it
    /// throws. A deadlock (1213, which is also how Galera reports a certification conflict,
    /// at COMMIT or before) reruns the whole body, up to `retries` times. Inside a
    /// transaction already, `body` simply joins it.
    @discardableResult
    public func transaction<T>(retries: Int = 3, _ body: () throws -> T) throws -> T {
        if inTransaction { return try body() }
        var attempt = 0
        while true {
            attempt += 1
            dropIfClosedByServer()
            try connect()
            try runText("START TRANSACTION")
            inTransaction = true
            do {
                let value = try body()
                try runText("COMMIT")
                inTransaction = false
                return value
            } catch {
                if handle != nil, inTransaction { try? runText("ROLLBACK") }
                inTransaction = false
                if let db = error as? MariaDBError, db.isDeadlock, attempt <= retries {
                    // A deadlock, or on Galera a certification conflict with a transaction
                    // committed through another node: run it again after a short random
                    // pause, so that the two do not meet again at once.
                    usleep(UInt32.random(in: 1_000...5_000) * UInt32(attempt))
                    continue
                }
                throw error
            }
        }
    }
}
