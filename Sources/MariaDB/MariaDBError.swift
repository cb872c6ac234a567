import CMariaDB

/// An error reported by MariaDB or its client library.
///
/// The description names the code, the SQL state and the server's message, and the SQL text
/// when there is one; bound values are never part of it, so that data does not leak into logs.
public struct MariaDBError: Error, CustomStringConvertible, Sendable {
    /// The MariaDB error number (server `ER_*` or client `CR_*`).
    public let code: UInt32
    /// The five-character SQLSTATE.
    public let sqlState: String
    /// The server's or the client library's message.
    public let message: String
    /// The statement text with `?` placeholders, when the error came from a statement.
    public let sql: String?

    public init(code: UInt32, sqlState: String = "HY000", message: String, sql: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "MariaDB error \(code) (\(sqlState)): \(message)"
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }

    /// ER_DUP_ENTRY: a unique key refused the row.
    public var isDuplicateKey: Bool { code == 1062 || code == 1586 }

    /// The name of the unique key that refused the row, read from the server's message
    /// ("Duplicate entry '…' for key 'uq_email'").
    public var duplicateKeyName: String? {
        guard isDuplicateKey, let range = message.range(of: "for key '", options: .backwards) else { return nil }
        let rest = message[range.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        var key = String(rest[..<end])
        if let dot = key.lastIndex(of: ".") { key = String(key[key.index(after: dot)...]) }
        return key
    }

    /// A foreign key refused the row (ER_NO_REFERENCED_ROW_2, ER_ROW_IS_REFERENCED_2).
    public var isForeignKeyViolation: Bool { code == 1452 || code == 1451 }

    /// The connection is gone: the server is down, restarting, or closed it.
    public var isConnectionLost: Bool {
        switch code {
        case 2002, 2003, 2006, 2013, 2055, 1927, 4031, 1053, 1040, 1152, 1047: return true
        default: return false
        }
    }

    /// The statement was not sent, so running it again cannot apply it twice.
    public var isSafeToRetry: Bool { code == 2006 || code == 2002 || code == 2003 || code == 1927 || code == 4031 || isNodeNotReady }

    /// ER_UNKNOWN_COM_ERROR from a Galera node that is not in the primary component
    /// ("WSREP has not yet prepared node for application use"): the statement did not run,
    /// and another node may take it.
    public var isNodeNotReady: Bool { code == 1047 }

    /// The server's disk is full: ER_RECORD_FILE_FULL (1114, "The table is full": InnoDB
    /// could not extend a tablespace), ER_DISK_FULL (1021), or any error whose message
    /// carries errno 28 (ENOSPC: "No space left on device", "Got error 28", "Errcode: 28").
    /// The statement did not apply; it may succeed once space is freed.
    public var isDiskFull: Bool {
        if code == 1114 || code == 1021 { return true }
        let text = message.lowercased()
        return text.contains("no space left") || text.contains("errno: 28") || text.contains("errcode: 28")
            || text.contains("error 28 ") || text.hasSuffix("error 28") || text.contains("error 28\"")
            || text.contains("os error: 28") || text.contains("errno 28")
    }

    /// ER_LOCK_DEADLOCK: the transaction was rolled back and may be run again.
    public var isDeadlock: Bool { code == 1213 }

    /// The statement ran past its time limit (max_statement_time or lock wait).
    public var isTimeout: Bool { code == 1969 || code == 1205 || code == 3024 }

    /// A value did not fit its column (too long, out of range, wrong type in strict mode).
    public var isDataError: Bool {
        switch code {
        case 1406, 1264, 1366, 1292, 1265, 1048, 4025, 3140: return true
        default: return false
        }
    }
}

extension MariaDBError {
    static func from(connection db: UnsafeMutablePointer<MYSQL>?, sql: String? = nil) -> MariaDBError {
        guard let db else { return MariaDBError(code: 2006, message: "no connection", sql: sql) }
        return MariaDBError(
            code: mysql_errno(db),
            sqlState: String(cString: mysql_sqlstate(db)),
            message: String(cString: mysql_error(db)),
            sql: sql
        )
    }

    static func from(statement stmt: UnsafeMutablePointer<MYSQL_STMT>, sql: String) -> MariaDBError {
        MariaDBError(
            code: mysql_stmt_errno(stmt),
            sqlState: String(cString: mysql_stmt_sqlstate(stmt)),
            message: String(cString: mysql_stmt_error(stmt)),
            sql: sql
        )
    }
}
