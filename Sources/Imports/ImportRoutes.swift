import Foundation
import MariaDB
import Web
import Core
import Jobs
import Accounts
import Pipelines
import Tags

/// `/v1/imports` (issue 25 part 1): upload a CSV file, see its format, first rows and the
/// proposed mapping, set the mapping and mode, start, follow, cancel, and get the failed rows.
package enum ImportRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/imports", .server, list)
        routes.post("/v1/imports", .server, upload)
        routes.get("/v1/imports/{id}", .server, show)
        routes.put("/v1/imports/{id}", .server, configure)
        routes.delete("/v1/imports/{id}", .server, delete)
        routes.post("/v1/imports/{id}/start", .server, start)
        routes.post("/v1/imports/{id}/cancel", .server, cancel)
        routes.get("/v1/imports/{id}/errors.csv", .server, errorsFile)
    }

    /// Rows shown with the upload, and kept for the console's preview.
    static let previewRows = 20
    static let acceptedTypes: Set<String> = ["text/csv", "text/plain", "application/csv", "text/tab-separated-values",
                                             "application/vnd.ms-excel", "application/octet-stream"]

    @Sendable static func list(_ c: Context) throws -> Response {
        let page = try Pagination(c.request, sortable: ["created_at", "rows_total"], defaultSort: "created_at")
        let (rows, total) = try ImportStore.list(c.db, c.tenant, page)
        return .json(page.envelope(rows.map { $0.json() }, total: total))
    }

    static func require(_ c: Context, lock: Bool = false) throws -> ImportRecord {
        guard let record = try ImportStore.find(c.db, c.tenant, id: try c.request.id(), lock: lock) else {
            throw HTTPError.notFound("Import not found.")
        }
        return record
    }

    /// The import with its first rows, the fields it may map to, and each of those rows as
    /// the body it becomes with the current mapping.
    static func detailed(_ c: Context, _ record: ImportRecord) throws -> JSON {
        let reader = try CSVReader(path: record.filePath, format: record.format)
        _ = try reader.next()
        var rows: [CSVRecord] = []
        while rows.count < previewRows, let row = try reader.next() { rows.append(row) }
        var o = record.json(preview: rows.map(\.fields)).objectValue!
        let writer = try ImportWriter(c.db, c.tenant, record)
        o["preview_records"] = .array(rows.map { .object(writer.body($0.fields)) })
        o["fields"] = .array(ImportMapping.fields(record.target, fieldKeys: writer.fields.map(\.key)).map(JSON.string))
        return .object(o)
    }

    /// The body is the file (`text/csv`), streamed to disk by the server (`BodySpool`).
    @Sendable static func upload(_ c: Context) throws -> Response {
        let q = c.request.query
        guard let target = ImportTarget(q["target"] ?? "") else {
            throw HTTPError.invalid("target", "The target must be customers, companies or entity:<id>.")
        }
        if case .entity(let id) = target, try Entity.find(c.db, c.tenant, String(id)) == nil {
            throw HTTPError.invalid("target", "The entity \(id) does not exist in this workspace.")
        }
        let type = Request.mediaType(c.request.header("content-type") ?? "")
        guard acceptedTypes.contains(type) else {
            throw HTTPError(415, "Send the file as the body with Content-Type: text/csv.", errors: {
                var e = ValidationErrors(); e.add("content_type", "The Content-Type must be text/csv."); return e
            }())
        }
        let directory = c.configuration.importDirectory + "/\(c.tenant.id)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + UUID().uuidString.lowercased() + ".csv"
        if let spooled = c.request.bodyFile {
            try FileManager.default.moveItem(atPath: spooled, toPath: path)
        } else {
            guard FileManager.default.createFile(atPath: path, contents: Data(c.request.body), attributes: [.posixPermissions: 0o600]) else {
                throw HTTPError.unavailable("The upload could not be stored. Try again later.", retryAfter: 30)
            }
        }
        do {
            let id = try ImportStore.create(c.db, c.tenant, target: target, path: path, fileName: q["filename"],
                                            userID: c.principal?.userID, apiKeyID: c.principal?.apiKeyID)
            return .json(try detailed(c, try ImportStore.find(c.db, c.tenant, id: id)!), status: 201)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try detailed(c, try require(c)))
    }

    /// `{mapping, mode, key_field, pipeline_id, dry_run, tags}`: each optional; not while it runs.
    @Sendable static func configure(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        try c.db.transaction {
            let record = try require(c, lock: true)
            guard !["queued", "running"].contains(record.status) else { throw HTTPError.conflict("The import is \(record.status); cancel it first.") }
            let writer = try ImportWriter(c.db, c.tenant, record)
            let fieldKeys = writer.fields.map(\.key)
            var mapping = record.mapping
            if let raw = input.object["mapping"], !raw.isNull {
                if let items = raw.arrayValue, items.allSatisfy({ $0.isNull || $0.stringValue != nil }) {
                    mapping = items.map(\.stringValue)
                    var errors = input.errors
                    ImportMapping.check(mapping, header: record.header, target: record.target, fieldKeys: fieldKeys, errors: &errors)
                    for (field, messages) in errors.fields where !input.errors.has(field) { messages.forEach { input.fail(field, $0) } }
                } else {
                    input.fail("mapping", "The mapping must be an array with a field name or null for each column.")
                }
            }
            let mode = input.has("mode") ? input.oneOf("mode", ["create", "update", "upsert"]) : record.mode
            var key = record.keyField ?? record.target.defaultKey
            if input.has("key_field"), let given = input.string("key_field", max: 200) {
                let allowed = record.target.isEntity ? ["reference_id"] + fieldKeys.map { "values.\($0)" } : [record.target.defaultKey]
                if allowed.contains(given) { key = given } else { input.fail("key_field", "The key must be one of: \(allowed.joined(separator: ", ")).") }
            }
            if mode != "create", !input.errors.has("mapping"), !mapping.contains(key) {
                input.fail("mapping", "Map a column to \(key): mode \(mode ?? "upsert") finds existing records by it.")
            }
            var pipelineID = record.pipelineID
            if input.has("pipeline_id") {
                pipelineID = input.int("pipeline_id", required: false, min: 1)
                if case .entity(let entity) = record.target, let given = pipelineID,
                   try EntryStore.importPipeline(c.db, c.tenant, entityID: entity, pipelineID: given) != given {
                    input.fail("pipeline_id", "The pipeline must be one of the entity's.")
                }
            }
            let dryRun = input.has("dry_run") ? input.bool("dry_run") ?? false : record.dryRun
            var tags = record.tags
            if let raw = input.object["tags"], !raw.isNull {
                // What a tag is has one home (Tags.normalize), as for a record's own tags.
                var problems = ValidationErrors()
                if let names = Tags.normalize(raw, errors: &problems) { tags = names }
                for (_, messages) in problems.fields { for message in messages { input.fail("tags", message) } }
            }
            try input.check()
            try c.db.execute("""
                UPDATE imports SET mapping = \(JSONWriter.string(.array(mapping.map { $0.map(JSON.string) ?? .null }))),
                    mode = \(mode ?? "upsert"), key_field = \(key), pipeline_id = \(pipelineID), dry_run = \(dryRun),
                    tags = \(JSONWriter.string(.array(tags.map(JSON.string)))), updated_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND id = \(record.id)
                """)
        }
        return .json(try detailed(c, try require(c)))
    }

    /// Queues the run; a finished import (a dry run, say) runs again from the start.
    @Sendable static func start(_ c: Context) throws -> Response {
        let record: ImportRecord = try c.db.transaction {
            let record = try require(c, lock: true)
            guard !["queued", "running"].contains(record.status) else { throw HTTPError.conflict("The import is \(record.status) already.") }
            try c.db.execute("DELETE FROM import_errors WHERE import_id = \(record.id)")
            try c.db.execute("""
                UPDATE imports SET status = 'queued', rows_done = 0, created = 0, updated = 0, unchanged = 0, skipped = 0, failed = 0,
                    cancel_requested = 0, error = NULL, started_at = NULL, finished_at = NULL, updated_at = UTC_TIMESTAMP(6)
                WHERE id = \(record.id)
                """)
            try JobQueue.enqueue(c.db, kind: ImportJob.kind, payload: ["import_id": .int(record.id)], tenantID: c.tenant.id)
            try AuditLog.record(c, "import.started", target: ("import", record.id),
                                details: ["target": .string(record.target.name), "dry_run": .bool(record.dryRun), "mode": .string(record.mode)])
            return try require(c)
        }
        return .json(record.json(), status: 202)
    }

    /// Stops a queued import at once, a running one at its next row boundary (what was
    /// written stays, and the counts say so).
    @Sendable static func cancel(_ c: Context) throws -> Response {
        try c.db.transaction {
            let record = try require(c, lock: true)
            switch record.status {
            case "queued": try ImportStore.finish(c.db, id: record.id, status: "cancelled")
            case "running": try c.db.execute("UPDATE imports SET cancel_requested = 1, updated_at = UTC_TIMESTAMP(6) WHERE id = \(record.id)")
            default: throw HTTPError.conflict("Only a queued or running import can be cancelled; this one is \(record.status).")
            }
        }
        return .json(try require(c).json(), status: 202)
    }

    @Sendable static func delete(_ c: Context) throws -> Response {
        let record = try require(c)
        guard !["queued", "running"].contains(record.status) else { throw HTTPError.conflict("The import is \(record.status); cancel it first.") }
        try ImportStore.delete(c.db, record)
        return .noContent()
    }

    /// The failed rows as they were read, each with a last column: "line N: field: why".
    /// Fix them and import this file again.
    @Sendable static func errorsFile(_ c: Context) throws -> Response {
        let record = try require(c)
        let db = c.db
        let delimiter = String(UnicodeScalar(record.format.delimiter))
        let header = record.header.map(CSVWriter.field).joined(separator: delimiter) + delimiter + "error\r\n"
        return .streamed(headers: CSVWriter.headers(filename: "import-\(record.id)-errors.csv")) { send in
            send(Array(header.utf8))
            var after = 0
            while true {
                let rows = try db.query("""
                    SELECT line, field, message, raw FROM import_errors WHERE import_id = \(record.id) AND line > \(after)
                    ORDER BY line LIMIT 1000
                    """)
                var out: [UInt8] = []
                for row in rows {
                    let line = try row.int("line")
                    if case .bytes(let raw) = row["raw"] { out.append(contentsOf: raw) } else { out.append(contentsOf: (row.optionalString("raw") ?? "").utf8) }
                    let why = "line \(line): " + (row.optionalString("field").map { $0 + ": " } ?? "") + (row.optionalString("message") ?? "")
                    out.append(contentsOf: (delimiter + CSVWriter.field(why) + "\r\n").utf8)
                    after = line
                }
                if !out.isEmpty { send(out) }
                if rows.count < 1000 { break }
            }
        }
    }
}
