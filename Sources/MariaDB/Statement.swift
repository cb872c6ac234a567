import CMariaDB
import Foundation
import Platform

/// What a statement that returns no rows reports.
public struct ExecuteResult: Sendable {
    public let affectedRows: Int
    public let lastInsertID: Int
}

/// One prepared statement; owns its `MYSQL_STMT*` and closes it in `deinit`.
/// Belongs to the connection that prepared it, and so to one thread.
final class Statement {
    let handle: UnsafeMutablePointer<MYSQL_STMT>
    let sql: String
    let parameterCount: Int
    /// The last result set's column index, kept while the columns stay the same (they do
    /// unless the server re-prepares after a schema change), so that each query does not
    /// build its name table again.
    private var columnIndex: ColumnIndex?

    init(connection: UnsafeMutablePointer<MYSQL>, sql: String) throws {
        guard let stmt = mysql_stmt_init(connection) else {
            throw MariaDBError.from(connection: connection, sql: sql)
        }
        let rc = sql.utf8CString.withUnsafeBufferPointer { buffer in
            mysql_stmt_prepare(stmt, buffer.baseAddress, UInt(buffer.count - 1))
        }
        if rc != 0 {
            let error = MariaDBError.from(statement: stmt, sql: sql)
            mysql_stmt_close(stmt)
            throw error
        }
        _ = cmariadb_stmt_set_bool(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, 1)
        self.handle = stmt
        self.sql = sql
        self.parameterCount = Int(mysql_stmt_param_count(stmt))
    }

    deinit { mysql_stmt_close(handle) }

    /// Binds `values`, executes, and returns the rows (for statements with a result set)
    /// or the affected-row count and insert id.
    func run(_ values: [DBValue]) throws -> (rows: [Row], result: ExecuteResult) {
        precondition(values.count == parameterCount, "SQL has \(parameterCount) placeholders, \(values.count) binds: \(sql)")
        try bindAndExecute(values)
        if mysql_stmt_field_count(handle) == 0 {
            let result = ExecuteResult(
                affectedRows: Int(truncatingIfNeeded: mysql_stmt_affected_rows(handle)),
                lastInsertID: Int(truncatingIfNeeded: mysql_stmt_insert_id(handle))
            )
            try drainMoreResults()
            return ([], result)
        }
        let rows = try fetchAll()
        try drainMoreResults()
        return (rows, ExecuteResult(affectedRows: rows.count, lastInsertID: 0))
    }

    /// A CALL of a stored procedure answers its result sets and then a final status: the
    /// rows of the first are returned, the rest read and dropped, so that the connection
    /// is ready for the next command.
    private func drainMoreResults() throws {
        while mysql_stmt_more_results(handle) != 0 {
            let rc = mysql_stmt_next_result(handle)
            if rc > 0 { throw MariaDBError.from(statement: handle, sql: sql) }
            if rc < 0 { break }
            if mysql_stmt_field_count(handle) > 0 {
                if mysql_stmt_store_result(handle) != 0 { throw MariaDBError.from(statement: handle, sql: sql) }
                mysql_stmt_free_result(handle)
            }
        }
    }

    private func bindAndExecute(_ values: [DBValue]) throws {
        if values.isEmpty {
            if mysql_stmt_execute(handle) != 0 { throw MariaDBError.from(statement: handle, sql: sql) }
            return
        }
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: values.count)
        binds.initialize(repeating: MYSQL_BIND(), count: values.count)
        var allocations: [UnsafeMutableRawPointer] = []
        allocations.reserveCapacity(values.count * 2)
        defer {
            for pointer in allocations { pointer.deallocate() }
            binds.deinitialize(count: values.count)
            binds.deallocate()
        }
        // Every buffer lives until `defer` runs, after mysql_stmt_execute has sent the values.
        func storeBytes<C: Collection>(_ bytes: C, type: enum_field_types, into bind: inout MYSQL_BIND) where C.Element == UInt8 {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            allocations.append(buffer)
            _ = UnsafeMutableRawBufferPointer(start: buffer, count: bytes.count).initializeMemory(as: UInt8.self, from: bytes)
            bind.buffer = buffer
            bind.buffer_length = UInt(bytes.count)
            bind.length_value = UInt(bytes.count)
            bind.buffer_type = type
        }
        func storeScalar<T>(_ value: T, type: enum_field_types, into bind: inout MYSQL_BIND) {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment)
            allocations.append(buffer)
            buffer.initializeMemory(as: T.self, to: value)
            bind.buffer = buffer
            bind.buffer_length = UInt(MemoryLayout<T>.size)
            bind.buffer_type = type
        }
        for (i, value) in values.enumerated() {
            var bind = MYSQL_BIND()
            switch value {
            case .null:
                bind.buffer_type = MYSQL_TYPE_NULL
            case .int(let v):
                storeScalar(v, type: MYSQL_TYPE_LONGLONG, into: &bind)
            case .uint(let v):
                storeScalar(v, type: MYSQL_TYPE_LONGLONG, into: &bind)
                bind.is_unsigned = 1
            case .double(let v):
                storeScalar(v, type: MYSQL_TYPE_DOUBLE, into: &bind)
            case .decimal(let s):
                storeBytes(s.utf8, type: MYSQL_TYPE_NEWDECIMAL, into: &bind)
            case .string(let s):
                storeBytes(s.utf8, type: MYSQL_TYPE_STRING, into: &bind)
            case .bytes(let b):
                storeBytes(b, type: MYSQL_TYPE_BLOB, into: &bind)
            case .date(let d):
                storeScalar(MYSQL_TIME(date: d), type: MYSQL_TYPE_DATETIME, into: &bind)
            }
            binds[i] = bind
        }
        // length == nil makes the library read length_value; is_null == nil reads is_null_value.
        if mysql_stmt_bind_param(handle, binds) != 0 || mysql_stmt_execute(handle) != 0 {
            throw MariaDBError.from(statement: handle, sql: sql)
        }
    }

    private static func isBinaryCapable(_ type: enum_field_types) -> Bool {
        [MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB,
         MYSQL_TYPE_STRING, MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_VARCHAR].contains(type)
    }

    private enum ColumnKind { case signed, unsigned, double, time, text, decimal, bytes }

    /// Every row of the executed statement, each column converted by its kind.
    /// Long (about 110 lines): libmariadb's binding of result buffers (the result stored, one
    /// MYSQL_BIND per column sized from the column's longest value, then each row fetched and
    /// converted) is one protocol with its C buffers to free, kept in one place.
    private func fetchAll() throws -> [Row] {
        if mysql_stmt_store_result(handle) != 0 { throw MariaDBError.from(statement: handle, sql: sql) }
        defer { mysql_stmt_free_result(handle) }
        guard let metadata = mysql_stmt_result_metadata(handle) else {
            throw MariaDBError.from(statement: handle, sql: sql)
        }
        defer { mysql_free_result(metadata) }
        let count = Int(mysql_num_fields(metadata))
        guard let fields = mysql_fetch_fields(metadata) else { return [] }

        var names: [String] = []
        var kinds: [ColumnKind] = []
        names.reserveCapacity(count)
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        let nulls = UnsafeMutablePointer<my_bool>.allocate(capacity: count)
        nulls.initialize(repeating: 0, count: count)
        var buffers: [UnsafeMutableRawPointer] = []
        defer {
            for b in buffers { b.deallocate() }
            binds.deallocate()
            lengths.deallocate()
            nulls.deallocate()
        }
        for i in 0..<count {
            let field = fields[i]
            names.append(String(cString: field.name))
            let kind: ColumnKind
            var size: Int
            var type: enum_field_types
            switch field.type {
            case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_INT24, MYSQL_TYPE_LONG, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
                kind = (field.flags & UInt32(UNSIGNED_FLAG)) != 0 ? .unsigned : .signed
                size = 8
                type = MYSQL_TYPE_LONGLONG
            case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
                kind = .double
                size = 8
                type = MYSQL_TYPE_DOUBLE
            case MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE:
                kind = .time
                size = MemoryLayout<MYSQL_TIME>.size
                type = MYSQL_TYPE_DATETIME
            case MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_DECIMAL:
                kind = .decimal
                size = Int(field.max_length) + 1
                type = MYSQL_TYPE_STRING
            case _ where field.charsetnr == 63 && Self.isBinaryCapable(field.type):
                kind = .bytes
                size = Int(field.max_length) + 1
                type = MYSQL_TYPE_BLOB
            default:
                kind = .text
                size = Int(field.max_length) + 1
                type = MYSQL_TYPE_STRING
            }
            size = max(size, 8)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            buffers.append(buffer)
            binds[i].buffer = buffer
            binds[i].buffer_length = UInt(size)
            binds[i].buffer_type = type
            binds[i].length = lengths + i
            binds[i].is_null = nulls + i
            binds[i].is_unsigned = kind == .unsigned ? 1 : 0
            kinds.append(kind)
        }
        if mysql_stmt_bind_result(handle, binds) != 0 { throw MariaDBError.from(statement: handle, sql: sql) }

        let columns: ColumnIndex
        if let cached = columnIndex, cached.names == names {
            columns = cached
        } else {
            columns = ColumnIndex(names: names)
            columnIndex = columns
        }
        var rows: [Row] = []
        rows.reserveCapacity(Int(mysql_stmt_num_rows(handle)))
        while true {
            let rc = mysql_stmt_fetch(handle)
            if rc == MYSQL_NO_DATA { break }
            if rc == 1 { throw MariaDBError.from(statement: handle, sql: sql) }
            var values: [DBValue] = []
            values.reserveCapacity(count)
            for i in 0..<count {
                if nulls[i] != 0 {
                    values.append(.null)
                    continue
                }
                let buffer = buffers[i]
                let length = Int(lengths[i])
                switch kinds[i] {
                case .signed: values.append(.int(buffer.load(as: Int64.self)))
                case .unsigned: values.append(.uint(buffer.load(as: UInt64.self)))
                case .double: values.append(.double(buffer.load(as: Double.self)))
                case .time: values.append(.date(buffer.load(as: MYSQL_TIME.self).date))
                case .text:
                    let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
                    values.append(.string(String(decoding: bytes, as: UTF8.self)))
                case .decimal:
                    let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
                    values.append(.decimal(String(decoding: bytes, as: UTF8.self)))
                case .bytes:
                    values.append(.bytes(Array(UnsafeRawBufferPointer(start: buffer, count: length))))
                }
            }
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }
}

extension MYSQL_TIME {
    init(date: Date) {
        let (seconds, micros) = UTC.microseconds(date)
        let parts = UTC.parts(seconds)
        self.init()
        year = UInt32(parts.year)
        month = UInt32(parts.month)
        day = UInt32(parts.day)
        hour = UInt32(parts.hour)
        minute = UInt32(parts.minute)
        second = UInt32(parts.second)
        second_part = UInt(micros)
        time_type = MYSQL_TIMESTAMP_DATETIME
    }

    var date: Date {
        let seconds = UTC.seconds(UTC.Parts(year: Int(year), month: Int(month), day: Int(max(day, 1)),
                                            hour: Int(hour), minute: Int(minute), second: Int(second)))
        return Date(timeIntervalSince1970: Double(seconds) + Double(second_part) / 1_000_000)
    }
}
