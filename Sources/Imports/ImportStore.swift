import Foundation
import MariaDB
import Web
import Core
import Pipelines

/// One import as read from `imports` (schema/040_imports.sql).
package struct ImportRecord {
    package let id: Int
    package let tenantID: Int
    package let target: ImportTarget
    package let status: String
    let filePath: String
    let format: CSVFormat
    let header: [String]
    let mapping: [String?]
    let mode: String
    let keyField: String?
    let pipelineID: Int?
    let dryRun: Bool
    let tags: [String]
    let rowsTotal: Int?
    let rowsDone: Int
    let createdByUserID: Int?
    let createdByAPIKeyID: Int?
    let row: Row

    static let columns: SQL = """
        id, tenant_id, target, status, file_name, file_path, file_bytes, encoding, bom, delimiter, header, mapping, mode, key_field,
        pipeline_id, dry_run, tags, rows_total, rows_done, created, updated, unchanged, skipped, failed, cancel_requested, error,
        created_by_user_id, created_by_api_key_id, created_at, updated_at, started_at, finished_at,
        TIMESTAMPDIFF(MICROSECOND, started_at, COALESCE(finished_at, UTC_TIMESTAMP(6))) AS elapsed_us
        """

    init(row: Row) throws {
        id = try row.int("id")
        tenantID = try row.int("tenant_id")
        target = ImportTarget(try row.string("target")) ?? .customers
        status = try row.string("status")
        filePath = try row.string("file_path")
        let delimiter: UInt8 = switch try row.string("delimiter") {
            case "semicolon": UInt8(ascii: ";")
            case "tab": UInt8(ascii: "\t")
            default: UInt8(ascii: ",")
        }
        format = CSVFormat(encoding: CSVEncoding(rawValue: try row.string("encoding")) ?? .utf8, bom: try row.bool("bom"), delimiter: delimiter)
        let parse = { (column: String) in (try? JSONParser.parse(row.optionalString(column) ?? "[]"))?.arrayValue ?? [] }
        header = parse("header").map { $0.stringValue ?? "" }
        mapping = parse("mapping").map { $0.stringValue }
        mode = try row.string("mode")
        keyField = row.optionalString("key_field")
        pipelineID = row.optionalInt("pipeline_id")
        dryRun = try row.bool("dry_run")
        tags = parse("tags").compactMap(\.stringValue)
        rowsTotal = row.optionalInt("rows_total")
        rowsDone = try row.int("rows_done")
        createdByUserID = row.optionalInt("created_by_user_id")
        createdByAPIKeyID = row.optionalInt("created_by_api_key_id")
        self.row = row
    }

    /// The API's shape: the file, its format, the choices, the progress.
    func json(preview: [[String]]? = nil) -> JSON {
        var o = row.json(["id", "status", "target", "file_name", "file_bytes", "encoding", "delimiter", "mode", "key_field", "pipeline_id",
                          "rows_total", "rows_done", "created", "updated", "unchanged", "skipped", "failed", "error",
                          "created_at", "updated_at", "started_at", "finished_at"]).objectValue!
        o["bom"] = .bool(format.bom)
        o["dry_run"] = .bool(dryRun)
        o["cancel_requested"] = .bool((row.optionalInt("cancel_requested") ?? 0) != 0)
        o["header"] = .array(header.map(JSON.string))
        o["mapping"] = .array(mapping.map { $0.map(JSON.string) ?? .null })
        o["tags"] = .array(tags.map(JSON.string))
        // Rows a second over the run so far, and the seconds left at that pace.
        let seconds = Double(row.optionalInt("elapsed_us") ?? 0) / 1_000_000
        let rate = seconds > 0 && rowsDone > 0 ? Double(rowsDone) / seconds : nil
        o["rows_per_second"] = rate.map { .double(($0 * 10).rounded() / 10) } ?? .null
        if let rate, let total = rowsTotal, status == "running" {
            o["eta_seconds"] = .int(Int((Double(max(total - rowsDone, 0)) / rate).rounded(.up)))
        } else {
            o["eta_seconds"] = .null
        }
        o["errors_url"] = .string("/v1/imports/\(id)/errors.csv")
        if let preview { o["preview"] = .array(preview.map { .array($0.map(JSON.string)) }) }
        return .object(o)
    }
}

/// The SQL of imports. Every function takes the workspace, except the job's, which has the id.
package enum ImportStore {
    package static func find(_ db: Connection, _ tenant: Tenant, id: Int, lock: Bool = false) throws -> ImportRecord? {
        let forUpdate: SQL = lock ? " FOR UPDATE" : ""
        return try db.queryOne("SELECT \(ImportRecord.columns) FROM imports WHERE tenant_id = \(tenant) AND id = \(id)\(forUpdate)")
            .map(ImportRecord.init)
    }

    /// A new import of the file at `path` (in the import directory already): its format and
    /// header read, the mapping proposed. 422 naming `file` when it has no header row.
    package static func create(_ db: Connection, _ tenant: Tenant, target: ImportTarget, path: String, fileName: String?,
                               userID: Int?, apiKeyID: Int?) throws -> Int {
        var fieldKeys: [String] = [], fieldNames: [String: String] = [:]
        if case .entity(let id) = target {
            for field in try Field.all(db, tenant, entityID: id) {
                fieldKeys.append(field.key)
                fieldNames[field.key] = field.label
            }
        }
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        guard bytes > 0 else { throw HTTPError.invalid("file", "The file is empty.") }
        let reader = try CSVReader(path: path)
        guard let header = try reader.next(), header.error == nil else {
            throw HTTPError.invalid("file", "The first line must be a header row naming the columns.")
        }
        // A column without a name (a spreadsheet's blank heading) is "Column N".
        let names = header.fields.enumerated().map { index, name in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? "Column \(index + 1)" : trimmed
        }
        let mapping = ImportMapping.propose(names, target: target, fieldKeys: fieldKeys, fieldNames: fieldNames)
        let name = fileName.flatMap { $0.isEmpty ? nil : String($0.prefix(255)) }
        return try db.execute("""
            INSERT INTO imports (tenant_id, target, status, file_name, file_path, file_bytes, encoding, bom, delimiter, header, mapping,
                                 key_field, created_by_user_id, created_by_api_key_id, created_at, updated_at)
            VALUES (\(tenant), \(target.name), 'uploaded', \(name), \(path), \(bytes), \(reader.format.encoding.rawValue),
                    \(reader.format.bom), \(reader.format.delimiterName), \(JSONWriter.string(.array(names.map(JSON.string)))),
                    \(JSONWriter.string(.array(mapping.map { $0.map(JSON.string) ?? .null }))), \(target.defaultKey),
                    \(userID), \(apiKeyID), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
    }

    /// For the job: by id alone (the job's payload names it; the row names the workspace).
    static func find(_ db: Connection, id: Int) throws -> ImportRecord? {
        try db.queryOne("SELECT \(ImportRecord.columns) FROM imports WHERE id = \(id)").map(ImportRecord.init)
    }

    static func list(_ db: Connection, _ tenant: Tenant, _ page: Pagination) throws -> (rows: [ImportRecord], total: Int) {
        let total = try db.queryOne("SELECT COUNT(*) AS n FROM imports WHERE tenant_id = \(tenant)")?.int("n") ?? 0
        let order = page.order(["created_at": "created_at", "rows_total": "rows_total"], fallback: "created_at", tiebreak: "id")
        let rows = try db.query("""
            SELECT \(ImportRecord.columns) FROM imports WHERE tenant_id = \(tenant)
            ORDER BY \(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """).map(ImportRecord.init)
        return (rows, total)
    }

    /// The progress of one chunk, with its failed rows, in the chunk's transaction.
    static func advance(_ db: Connection, id: Int, rows: Int, counts: ImportCounts, errors: [ImportRowError]) throws {
        for e in errors {
            try db.execute("""
                INSERT INTO import_errors (import_id, line, field, message, raw)
                VALUES (\(id), \(e.line), \(e.field.map { String($0.prefix(200)) }), \(String(e.message.prefix(1000))), \(e.raw))
                ON DUPLICATE KEY UPDATE message = VALUES(message)
                """)
        }
        try db.execute("""
            UPDATE imports SET rows_done = rows_done + \(rows), created = created + \(counts.created), updated = updated + \(counts.updated),
                unchanged = unchanged + \(counts.unchanged), skipped = skipped + \(counts.skipped), failed = failed + \(counts.failed),
                updated_at = UTC_TIMESTAMP(6)
            WHERE id = \(id)
            """)
    }

    static func finish(_ db: Connection, id: Int, status: String, error: String? = nil) throws {
        try db.execute("""
            UPDATE imports SET status = \(status), error = \(error.map { String($0.prefix(1000)) }), finished_at = UTC_TIMESTAMP(6),
                updated_at = UTC_TIMESTAMP(6)
            WHERE id = \(id)
            """)
    }

    /// Removes an import, its errors and its file.
    static func delete(_ db: Connection, _ record: ImportRecord) throws {
        try db.execute("DELETE FROM imports WHERE id = \(record.id) AND tenant_id = \(record.tenantID)")
        try? FileManager.default.removeItem(atPath: record.filePath)
    }
}

/// What became of a chunk's rows.
struct ImportCounts {
    var created = 0, updated = 0, unchanged = 0, skipped = 0, failed = 0
    /// The records the rows wrote or found (the import's tags go on them).
    var records: [Int] = []

    mutating func add(_ outcome: ImportOutcome) {
        switch outcome {
        case .created(let id): created += 1; records.append(id)
        case .updated(let id): updated += 1; records.append(id)
        case .unchanged(let id): unchanged += 1; records.append(id)
        case .skipped: skipped += 1
        }
    }
}

/// A row the import could not take: its first line, the field and why, the row as read.
struct ImportRowError {
    var line: Int
    var field: String?
    var message: String
    var raw: [UInt8]
}
