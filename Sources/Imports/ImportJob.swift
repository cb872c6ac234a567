import Foundation
import MariaDB
import Web
import Core
import Jobs

/// The import job: reads the file again from the start, passes over the rows already done,
/// and writes the rest in chunks. Each chunk's rows, its failed rows and the progress are
/// one transaction, and the chunk only goes ahead if `rows_done` is still what this runner
/// read: a runner killed in the middle leaves the last committed chunk behind, the next
/// runner resumes after it, and no row is written twice.
package enum ImportJob {
    static let kind = "imports.run"
    static let prune = "imports.prune"
    static let chunkSize = 1_000
    /// Imports finished this long ago are removed with their files.
    static let keepDays = 30

    package static func register(_ registry: inout JobRegistry) {
        registry.register(kind, maxAttempts: 5, leaseSeconds: 30) { context in
            guard let id = context.job.payload["import_id"]?.intValue else { return }
            do {
                try run(context.db, id: id) { try context.heartbeat(seconds: 30) }
            } catch let error as MariaDBError {
                if context.job.attempts >= context.job.maxAttempts { try? ImportStore.finish(context.db, id: id, status: "failed", error: "The database failed: \(error.code).") }
                throw error
            } catch let error as HTTPError {
                try ImportStore.finish(context.db, id: id, status: "failed", error: error.message)
            } catch {
                try ImportStore.finish(context.db, id: id, status: "failed", error: "The file could not be read: \(error).")
            }
        }
        registry.register(prune, maxAttempts: 3) { context in
            for row in try context.db.query("""
                SELECT \(ImportRecord.columns) FROM imports
                WHERE status NOT IN ('queued', 'running') AND updated_at < UTC_TIMESTAMP(6) - INTERVAL \(keepDays) DAY LIMIT 1000
                """) {
                try ImportStore.delete(context.db, try ImportRecord(row: row))
            }
        }
        registry.every(86400, name: "imports-prune", kind: prune)
    }

    /// Long (about 70 lines): the run is one loop of chunks, and its steps (start, count,
    /// skip what was done, write, cancel, finish) read best in order.
    /// `heartbeat` is called after each chunk (the job's lease; nothing for the seed).
    package static func run(_ db: Connection, id: Int, heartbeat: () throws -> Void = {}) throws {
        guard var record = try ImportStore.find(db, id: id), ["queued", "running"].contains(record.status) else { return }
        try db.execute("""
            UPDATE imports SET status = 'running', started_at = COALESCE(started_at, UTC_TIMESTAMP(6)), updated_at = UTC_TIMESTAMP(6)
            WHERE id = \(id) AND status IN ('queued', 'running')
            """)
        if record.rowsTotal == nil {
            let counter = try CSVReader(path: record.filePath, format: record.format)
            var rows = -1
            while try counter.next() != nil {
                rows += 1
                // Counting a large file takes a while: the lease must outlast it.
                if rows % 100_000 == 0 { try heartbeat() }
            }
            try db.execute("UPDATE imports SET rows_total = \(max(rows, 0)) WHERE id = \(id)")
        }
        record = try ImportStore.find(db, id: id)!
        let tenant = Tenant(id: record.tenantID)
        let reader = try CSVReader(path: record.filePath, format: record.format)
        _ = try reader.next()
        var done = record.rowsDone
        var passed = 0
        while passed < done, try reader.next() != nil { passed += 1 }
        let writer = try ImportWriter(db, tenant, record)
        while true {
            var chunk: [CSVRecord] = []
            while chunk.count < chunkSize, let next = try reader.next() { chunk.append(next) }
            let expected = done
            let outcome: String? = try db.transaction {
                guard let state = try db.queryOne("SELECT rows_done, status, cancel_requested FROM imports WHERE id = \(id) FOR UPDATE"),
                      try state.int("rows_done") == expected, try state.string("status") == "running" else { return "lost" }
                if try state.bool("cancel_requested") {
                    try ImportStore.finish(db, id: id, status: "cancelled")
                    return "cancelled"
                }
                if chunk.isEmpty {
                    try ImportStore.finish(db, id: id, status: "done")
                    return "done"
                }
                try db.execute("SAVEPOINT import_chunk")
                let (counts, errors) = try takeChunk(chunk, record: record, writer: writer, db: db)
                try writer.tag(counts.records)
                if record.dryRun { try db.execute("ROLLBACK TO SAVEPOINT import_chunk") }
                try ImportStore.advance(db, id: id, rows: chunk.count, counts: counts, errors: errors)
                return nil
            }
            if outcome != nil { return }
            done += chunk.count
            try heartbeat()
        }
    }

    /// A chunk's rows: customers written together (ImportWriter.customers); should that fail
    /// on a row's value in the database (a duplicate address under the index's collation, a
    /// value out of range), the chunk is undone and its rows are written one at a time, so
    /// that only that row fails. Other targets' rows go one at a time.
    static func takeChunk(_ chunk: [CSVRecord], record: ImportRecord, writer: ImportWriter,
                          db: Connection) throws -> (ImportCounts, [ImportRowError]) {
        var counts = ImportCounts()
        var errors: [ImportRowError] = []
        if case .customers = record.target {
            do {
                let rows = chunk.compactMap { row in body(row, record: record, writer: writer, counts: &counts, errors: &errors).map { (row, $0) } }
                for ((row, _), result) in zip(rows, try writer.customers(rows.map(\.1))) {
                    switch result {
                    case .success(let outcome): counts.add(outcome)
                    case .failure(let error): fail(row, error, counts: &counts, errors: &errors)
                    }
                }
                return (counts, errors)
            } catch let error as MariaDBError where error.isDuplicateKey || error.isDataError {
                try db.execute("ROLLBACK TO SAVEPOINT import_chunk")
                (counts, errors) = (ImportCounts(), [])
            }
        }
        for row in chunk { try take(row, record: record, writer: writer, db: db, counts: &counts, errors: &errors) }
        return (counts, errors)
    }

    /// The row as the API body it becomes; nil (and counted) when it fails before that (the
    /// CSV's own problems) or has nothing to write.
    static func body(_ row: CSVRecord, record: ImportRecord, writer: ImportWriter,
                     counts: inout ImportCounts, errors: inout [ImportRowError]) -> JSONObject? {
        func fail(_ message: String) -> JSONObject? {
            counts.failed += 1
            errors.append(ImportRowError(line: row.line, field: nil, message: message, raw: row.raw))
            return nil
        }
        if let error = row.error { return fail(error) }
        if row.fields.count > record.header.count {
            return fail("The row has \(row.fields.count) fields; the header has \(record.header.count).")
        }
        let body = writer.body(row.fields)
        if body.isEmpty {
            counts.skipped += 1
            return nil
        }
        return body
    }

    /// A row the API refused: its line, the first field named and its message.
    static func fail(_ row: CSVRecord, _ error: HTTPError, counts: inout ImportCounts, errors: inout [ImportRowError]) {
        counts.failed += 1
        let first = error.errors?.fields.first
        errors.append(ImportRowError(line: row.line, field: first?.field, message: first?.messages.first ?? error.message, raw: row.raw))
    }

    /// One row: checked and written (or failed, with its line, field and message, and then
    /// undone to the row's savepoint). An error that is not the row's (the database lost, a
    /// deadlock) is thrown: the chunk is rolled back whole and tried again.
    static func take(_ row: CSVRecord, record: ImportRecord, writer: ImportWriter, db: Connection,
                     counts: inout ImportCounts, errors: inout [ImportRowError]) throws {
        guard let body = body(row, record: record, writer: writer, counts: &counts, errors: &errors) else { return }
        try db.execute("SAVEPOINT import_row")
        do {
            let outcome = try writer.write(body)
            // Nothing changed: not even the update time is kept.
            if case .unchanged = outcome { try db.execute("ROLLBACK TO SAVEPOINT import_row") }
            counts.add(outcome)
        } catch let error as HTTPError where error.status < 500 {
            try db.execute("ROLLBACK TO SAVEPOINT import_row")
            fail(row, error, counts: &counts, errors: &errors)
        } catch let error as MariaDBError where error.isDuplicateKey || error.isDataError {
            try db.execute("ROLLBACK TO SAVEPOINT import_row")
            counts.failed += 1
            errors.append(ImportRowError(line: row.line, field: error.duplicateKeyName.map { $0.hasPrefix("uq_") ? String($0.dropFirst(3)) : $0 },
                                         message: error.isDuplicateKey ? "The value is already taken." : "A value is too long or out of range.",
                                         raw: row.raw))
        }
    }
}
