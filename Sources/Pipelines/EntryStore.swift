import Cryptography
import Foundation
import MariaDB
import Web
import Core
import Activities
import Tags

/// The SQL of entries: writes keep `data`, `search_text`, the typed values and the stage
/// history in step, in one transaction.
package enum EntryStore {
    /// What a create or an update sets; nil leaves a column as it is.
    package struct Changes {
        package var title: String?
        package var pipeline: Pipeline?
        package var stage: Stage?
        package var referenceType: String??
        package var referenceID: String??
        var userID: Int??
        var teamID: Int??
        /// Field → checked value, or nil to remove the value.
        package var values: [(field: Field, value: FieldValue?)] = []
        /// The entry's tags, all of them (normalized by `Tags.normalize`); nil leaves them.
        package var tags: [String]?

        /// No changes (the implicit initializer is internal to this module).
        package init() {}
    }

    package static func find(_ db: Connection, _ tenant: Tenant, uid: String, entityID: Int? = nil, lock: Bool = false) throws -> Entry? {
        guard uid.count == 20, uid.utf8.allSatisfy({ $0 < 128 }) else { return nil }
        let entity: SQL = entityID.map { " AND e.entity_id = \($0)" } ?? ""
        let forUpdate: SQL = lock ? " FOR UPDATE" : ""
        return try withLinks(db, db.queryOne("""
            SELECT \(Entry.columns) FROM crm_entries e WHERE e.uid = \(uid) AND e.tenant_id = \(tenant)\(entity)\(forUpdate)
            """).map(Entry.init))
    }

    package static func find(_ db: Connection, _ tenant: Tenant, entityID: Int, referenceType: String, referenceID: String) throws -> Entry? {
        try withLinks(db, db.queryOne("""
            SELECT \(Entry.columns) FROM crm_entries e
            WHERE e.tenant_id = \(tenant) AND e.entity_id = \(entityID)
              AND e.reference_type = \(referenceType) AND e.reference_id = \(referenceID)
            """).map(Entry.init))
    }

    /// The entries with their links to customers and companies (EntryLinks) and their tags,
    /// in one read each.
    static func withLinks(_ db: Connection, _ entries: [Entry]) throws -> [Entry] {
        let links = try EntryLinks.load(db, entryIDs: entries.map(\.id))
        var tags: [Int: [String]] = [:]
        if let first = entries.first, let tenant = first.row.optionalInt("tenant_id") {
            tags = try Tags.names(db, Tenant(id: tenant), .entry, ids: entries.map(\.id))
        }
        return entries.map { entry in
            var entry = entry
            entry.links = links[entry.id] ?? EntryLinks.Links()
            entry.tags = tags[entry.id] ?? []
            return entry
        }
    }

    static func withLinks(_ db: Connection, _ entry: Entry?) throws -> Entry? {
        guard let entry else { return nil }
        return try withLinks(db, [entry]).first
    }

    package static func entries(_ db: Connection, ids: [Int]) throws -> [Entry] {
        let rows = try withLinks(db, db.query("SELECT \(Entry.columns) FROM crm_entries e WHERE e.id IN (\(list: ids))").map(Entry.init))
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
        return ids.compactMap { byID[$0] }
    }

    /// The title and the searchable values, for the full-text index.
    static func searchText(title: String, data: [Int: JSON], fields: [Field]) -> String {
        var parts = [title]
        for field in fields where field.type.isSearchable {
            switch data[field.id] {
            case .string(let s)?: parts.append(s)
            case .array(let items)?: parts += items.compactMap(\.stringValue)
            default: break
            }
        }
        return String(parts.joined(separator: " ").prefix(15_000))
    }

    static func insertValues(_ db: Connection, _ tenant: Tenant, entryID: Int, _ values: [(field: Field, value: FieldValue)]) throws {
        var rows: [SQL] = []
        for (field, value) in values {
            for (seq, stored) in value.rows.enumerated() {
                rows.append("(\(entryID), \(field.id), \(seq), \(tenant), \(stored.text), \(stored.number.map { DBValue.decimal($0) }))")
            }
        }
        guard !rows.isEmpty else { return }
        try db.execute("""
            INSERT INTO crm_entry_values (entry_id, field_id, seq, tenant_id, value_text, value_num) VALUES \(SQL.join(rows, separator: ", "))
            """)
    }

    /// Adds `delta` to a stage's count of entries (inside the caller's transaction).
    static func count(_ db: Connection, _ tenant: Tenant, stageID: Int, entityID: Int, pipelineID: Int, _ delta: Int) throws {
        try db.execute("""
            INSERT INTO crm_stage_counts (tenant_id, stage_id, entity_id, pipeline_id, entries)
            VALUES (\(tenant), \(stageID), \(entityID), \(pipelineID), \(delta))
            ON DUPLICATE KEY UPDATE entries = entries + VALUES(entries)
            """)
    }

    /// The number values of an entry, as exact decimal text by field id.
    static func numbers(_ data: [Int: JSON], fields: [Field]) -> [Int: String] {
        var result: [Int: String] = [:]
        for field in fields where field.type == .number {
            if let value = data[field.id], let text = FieldValue.decimal(value) { result[field.id] = text }
        }
        return result
    }

    /// Moves an entry's weight in the per-stage counts and sums: out of `before` (stage and
    /// number values), into `after`. Rows are touched in key order, so that concurrent moves
    /// cannot deadlock each other.
    static func reweigh(_ db: Connection, _ tenant: Tenant, entityID: Int,
                        before: (stageID: Int, pipelineID: Int, numbers: [Int: String])?,
                        after: (stageID: Int, pipelineID: Int, numbers: [Int: String])?) throws {
        if before?.stageID != after?.stageID {
            var moves: [(Int, Int, Int)] = []
            if let before { moves.append((before.stageID, before.pipelineID, -1)) }
            if let after { moves.append((after.stageID, after.pipelineID, 1)) }
            for (stageID, pipelineID, delta) in moves.sorted(by: { $0.0 < $1.0 }) {
                try count(db, tenant, stageID: stageID, entityID: entityID, pipelineID: pipelineID, delta)
            }
        }
        var deltas: [(stage: Int, field: Int, text: String)] = []
        for (field, text) in before?.numbers ?? [:] where !(before?.stageID == after?.stageID && after?.numbers[field] == text) {
            deltas.append((before!.stageID, field, text.hasPrefix("-") ? String(text.dropFirst()) : "-" + text))
        }
        for (field, text) in after?.numbers ?? [:] where !(before?.stageID == after?.stageID && before?.numbers[field] == text) {
            deltas.append((after!.stageID, field, text))
        }
        for d in deltas.sorted(by: { ($0.stage, $0.field) < ($1.stage, $1.field) }) {
            try db.execute("""
                INSERT INTO crm_stage_sums (tenant_id, stage_id, field_id, total) VALUES (\(tenant), \(d.stage), \(d.field), \(DBValue.decimal(d.text)))
                ON DUPLICATE KEY UPDATE total = total + VALUES(total)
                """)
        }
    }

    /// Counts and sums an entity's entries per stage afresh (after bulk loads and deletes).
    static func recount(_ db: Connection, _ tenant: Tenant, entityID: Int) throws {
        try db.transaction {
            try db.execute("DELETE FROM crm_stage_counts WHERE tenant_id = \(tenant) AND entity_id = \(entityID)")
            try db.execute("""
                INSERT INTO crm_stage_counts (tenant_id, stage_id, entity_id, pipeline_id, entries)
                SELECT e.tenant_id, e.stage_id, e.entity_id, e.pipeline_id, COUNT(*) FROM crm_entries e
                JOIN crm_stages s ON s.tenant_id = e.tenant_id AND s.id = e.stage_id
                WHERE e.tenant_id = \(tenant) AND e.entity_id = \(entityID)
                GROUP BY e.stage_id, e.pipeline_id
                """)
            try db.execute("""
                DELETE m FROM crm_stage_sums m JOIN crm_fields f ON f.tenant_id = m.tenant_id AND f.id = m.field_id
                WHERE m.tenant_id = \(tenant) AND f.entity_id = \(entityID)
                """)
            try db.execute("""
                INSERT INTO crm_stage_sums (tenant_id, stage_id, field_id, total)
                SELECT e.tenant_id, e.stage_id, v.field_id, SUM(v.value_num) FROM crm_entries e
                JOIN crm_entry_values v ON v.entry_id = e.id
                JOIN crm_fields f ON f.tenant_id = e.tenant_id AND f.id = v.field_id AND f.type = 'number'
                JOIN crm_stages s ON s.tenant_id = e.tenant_id AND s.id = e.stage_id
                WHERE e.tenant_id = \(tenant) AND e.entity_id = \(entityID)
                GROUP BY e.stage_id, v.field_id
                """)
        }
    }

    /// An entry's webhook item (entry.created, entry.updated): its values by field id.
    static func webhook(_ type: String, uid: String, entityID: Int, pipelineID: Int, stageID: Int, title: String,
                        data: [Int: JSON]) -> WebhookOutbox.Item {
        .init(type, subject: "entry:\(uid)", data: [
            "id": .string(uid), "entity_id": .int(Int64(entityID)), "pipeline_id": .int(Int64(pipelineID)),
            "stage_id": .int(Int64(stageID)), "title": .string(title),
            "values": .object(JSONObject(data.sorted { $0.key < $1.key }.map { (String($0.key), $0.value) })),
        ])
    }

    static func recordStage(_ db: Connection, _ tenant: Tenant, entryID: Int, pipelineID: Int, from: Stage?, to: Stage, actor: Actor) throws {
        try db.execute("""
            INSERT INTO crm_stage_history (tenant_id, entry_id, pipeline_id, from_stage_id, from_stage_name, to_stage_id, to_stage_name,
                                           user_id, api_key_id, created_at)
            VALUES (\(tenant), \(entryID), \(pipelineID), \(from?.id), \(from?.name), \(to.id), \(to.name),
                    \(actor.userID), \(actor.apiKeyID), UTC_TIMESTAMP(6))
            """)
    }

    /// Inserts an entry with its values and the first line of its history. A (reference_type,
    /// reference_id) that exists already yields that entry and `created == false`.
    package static func create(_ db: Connection, _ tenant: Tenant, entityID: Int, fields: [Field], _ changes: Changes, actor: Actor,
                       createdAt: Date? = nil) throws -> (entry: Entry, created: Bool) {
        guard let title = changes.title, let pipeline = changes.pipeline, let stage = changes.stage else {
            preconditionFailure("create needs a title, a pipeline and a stage")
        }
        var data: [Int: JSON] = [:]
        var values: [(field: Field, value: FieldValue)] = []
        for (field, value) in changes.values {
            guard let value else { continue }
            data[field.id] = value.json
            values.append((field, value))
        }
        let uid = Random.base62(length: 20)
        let referenceType = changes.referenceType ?? nil
        let referenceID = changes.referenceID ?? nil
        do {
            try db.transaction {
                let id = try db.execute("""
                    INSERT INTO crm_entries (uid, tenant_id, entity_id, pipeline_id, stage_id, title, reference_type, reference_id,
                                             assigned_to_user_id, assigned_to_team_id, data, search_text, created_at, updated_at)
                    VALUES (\(uid), \(tenant), \(entityID), \(pipeline.id), \(stage.id), \(title), \(referenceType), \(referenceID),
                            \(changes.userID ?? nil), \(changes.teamID ?? nil), \(Entry.encode(data)),
                            \(searchText(title: title, data: data, fields: fields)),
                            COALESCE(\(createdAt), UTC_TIMESTAMP(6)), COALESCE(\(createdAt), UTC_TIMESTAMP(6)))
                    """).lastInsertID
                try insertValues(db, tenant, entryID: id, values)
                if let tags = changes.tags { _ = try Tags.link(db, tenant, .entry, ids: [id], names: tags) }
                try recordStage(db, tenant, entryID: id, pipelineID: pipeline.id, from: nil, to: stage, actor: actor)
                try reweigh(db, tenant, entityID: entityID, before: nil,
                            after: (stage.id, pipeline.id, numbers(data, fields: fields)))
                try WebhookOutbox.record(db, tenant: tenant.id, [webhook("entry.created", uid: uid, entityID: entityID, pipelineID: pipeline.id,
                                                                        stageID: stage.id, title: title, data: data)])
            }
        } catch let error as MariaDBError where error.duplicateKeyName == "uq_reference" {
            // The same webhook, retried while the first was being written.
            if let referenceType, let referenceID,
               let existing = try find(db, tenant, entityID: entityID, referenceType: referenceType, referenceID: referenceID) {
                return (existing, false)
            }
            throw error
        }
        return (try find(db, tenant, uid: uid)!, true)
    }

    /// Applies `changes` to a locked entry: values merge (nil removes one), a new stage is
    /// recorded in the history. Returns the entry as it is afterwards.
    package static func update(_ db: Connection, _ tenant: Tenant, uid: String, entityID: Int?, fields: [Field], _ changes: Changes,
                       actor: Actor, check: (Entry) throws -> Void = { _ in }) throws -> Entry {
        let entryID: Int = try db.transaction {
            guard var entry = try find(db, tenant, uid: uid, entityID: entityID, lock: true) else {
                throw HTTPError.notFound("Entry not found.")
            }
            try check(entry)
            let before = (entry.stageID, entry.pipelineID, numbers(entry.data, fields: fields))
            var changed: [Int] = []
            var inserted: [(field: Field, value: FieldValue)] = []
            for (field, value) in changes.values {
                changed.append(field.id)
                if let value {
                    entry.data[field.id] = value.json
                    inserted.append((field, value))
                } else {
                    entry.data[field.id] = nil
                }
            }
            let title = changes.title ?? entry.title
            let stageChanged = changes.stage.map { $0.id != entry.stageID } ?? false
            do {
                try db.execute("""
                    UPDATE crm_entries SET title = \(title),
                        pipeline_id = \(changes.pipeline?.id ?? entry.pipelineID), stage_id = \(changes.stage?.id ?? entry.stageID),
                        reference_type = IF(\(changes.referenceType != nil), \(changes.referenceType ?? nil), reference_type),
                        reference_id = IF(\(changes.referenceID != nil), \(changes.referenceID ?? nil), reference_id),
                        assigned_to_user_id = IF(\(changes.userID != nil), \(changes.userID ?? nil), assigned_to_user_id),
                        assigned_to_team_id = IF(\(changes.teamID != nil), \(changes.teamID ?? nil), assigned_to_team_id),
                        data = \(Entry.encode(entry.data)), search_text = \(searchText(title: title, data: entry.data, fields: fields)),
                        updated_at = UTC_TIMESTAMP(6)
                    WHERE id = \(entry.id)
                    """)
            } catch let error as MariaDBError where error.duplicateKeyName == "uq_reference" {
                throw HTTPError.invalid("reference_id", "Another entry of this entity has this reference.")
            }
            if !changed.isEmpty {
                try db.execute("DELETE FROM crm_entry_values WHERE entry_id = \(entry.id) AND field_id IN (\(list: changed))")
                try insertValues(db, tenant, entryID: entry.id, inserted)
            }
            if let tags = changes.tags { try Tags.replace(db, tenant, .entry, id: entry.id, names: tags) }
            if stageChanged, let to = changes.stage {
                let from = try Stage.find(db, tenant, id: entry.stageID)
                try recordStage(db, tenant, entryID: entry.id, pipelineID: to.pipelineID, from: from, to: to, actor: actor)
            }
            let after = (changes.stage?.id ?? entry.stageID, changes.stage?.pipelineID ?? entry.pipelineID, numbers(entry.data, fields: fields))
            try reweigh(db, tenant, entityID: entry.entityID, before: before, after: after)
            var items = [webhook("entry.updated", uid: entry.uid, entityID: entry.entityID, pipelineID: after.1, stageID: after.0,
                                 title: title, data: entry.data)]
            if stageChanged, let to = changes.stage {
                items.append(.init("entry.stage_changed", subject: "entry:\(entry.uid)", data: [
                    "id": .string(entry.uid), "entity_id": .int(Int64(entry.entityID)), "pipeline_id": .int(Int64(to.pipelineID)),
                    "from_stage_id": .int(Int64(entry.stageID)), "to_stage_id": .int(Int64(to.id)), "to_stage_name": .string(to.name),
                ]))
            }
            try WebhookOutbox.record(db, tenant: tenant.id, items)
            if !changed.isEmpty || changes.stage != nil { try CompanyOpenValue.refresh(db, tenant, entryIDs: [entry.id]) }
            return entry.id
        }
        return try entries(db, ids: [entryID])[0]
    }

    package static func delete(_ db: Connection, _ tenant: Tenant, uid: String, entityID: Int?) throws -> Bool {
        try db.transaction {
            guard let entry = try find(db, tenant, uid: uid, entityID: entityID, lock: true) else { return false }
            let companies = try CompanyOpenValue.companies(linkedTo: [entry.id], db)
            guard try db.execute("DELETE FROM crm_entries WHERE id = \(entry.id) AND tenant_id = \(tenant)").affectedRows == 1 else {
                return false
            }
            try Subject.forget(db, tenant, Subject(type: "entry", id: entry.uid))
            try WebhookOutbox.record(db, tenant: tenant.id, [.init("entry.deleted", subject: "entry:\(entry.uid)", data: [
                "id": .string(entry.uid), "entity_id": .int(Int64(entry.entityID)), "title": .string(entry.title),
            ])])
            let fields = try Field.all(db, tenant, entityID: entry.entityID)
            try reweigh(db, tenant, entityID: entry.entityID,
                        before: (entry.stageID, entry.pipelineID, numbers(entry.data, fields: fields)), after: nil)
            try CompanyOpenValue.refresh(db, tenant, companyIDs: companies)
            return true
        }
    }

    /// Deletes the entries of an entity (or of one of its pipelines) in batches, so that no
    /// single transaction grows with the entity; values and history go with them.
    static func deleteAll(_ db: Connection, _ tenant: Tenant, entityID: Int, pipelineID: Int? = nil) throws {
        let pipeline: SQL = pipelineID.map { " AND pipeline_id = \($0)" } ?? ""
        let companies = try CompanyOpenValue.companies(entityID: entityID, pipelineID: pipelineID, db, tenant)
        // Their notes and tasks first, while the entries can still be named.
        try Subject.forget(db, tenant, type: "entry", ids: """
            SELECT uid FROM crm_entries WHERE tenant_id = \(tenant) AND entity_id = \(entityID)\(pipeline)
            """)
        while try db.execute("""
            DELETE FROM crm_entries WHERE tenant_id = \(tenant) AND entity_id = \(entityID)\(pipeline) LIMIT 2000
            """).affectedRows > 0 {}
        try recount(db, tenant, entityID: entityID)
        try CompanyOpenValue.refresh(db, tenant, companyIDs: companies)
    }

    /// Moves every entry of `from` to `to` (same pipeline), recording each move. Inside the
    /// caller's transaction.
    static func moveAll(_ db: Connection, _ tenant: Tenant, from: Stage, to: Stage, actor: Actor) throws -> Int {
        try db.execute("""
            INSERT INTO crm_stage_history (tenant_id, entry_id, pipeline_id, from_stage_id, from_stage_name, to_stage_id, to_stage_name,
                                           user_id, api_key_id, created_at)
            SELECT tenant_id, id, pipeline_id, \(from.id), \(from.name), \(to.id), \(to.name), \(actor.userID), \(actor.apiKeyID), UTC_TIMESTAMP(6)
            FROM crm_entries WHERE tenant_id = \(tenant) AND entity_id = \(from.entityID) AND stage_id = \(from.id)
            """)
        let moved = try db.execute("""
            UPDATE crm_entries SET stage_id = \(to.id), updated_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = \(tenant) AND entity_id = \(from.entityID) AND stage_id = \(from.id)
            """).affectedRows
        for (stage, delta) in [(from, -moved), (to, moved)].sorted(by: { $0.0.id < $1.0.id }) {
            try count(db, tenant, stageID: stage.id, entityID: stage.entityID, pipelineID: stage.pipelineID, delta)
        }
        try db.execute("""
            INSERT INTO crm_stage_sums (tenant_id, stage_id, field_id, total)
            SELECT m.tenant_id, \(to.id), m.field_id, m.total FROM crm_stage_sums m WHERE m.tenant_id = \(tenant) AND m.stage_id = \(from.id)
            ON DUPLICATE KEY UPDATE total = crm_stage_sums.total + VALUES(total)
            """)
        try db.execute("DELETE FROM crm_stage_sums WHERE tenant_id = \(tenant) AND stage_id = \(from.id)")
        if from.status != to.status { try CompanyOpenValue.refresh(db, tenant, entityID: from.entityID) }
        return moved
    }

    /// Removes a field's values from every entry, a thousand entries per transaction.
    /// Returns how many entries changed.
    static func purge(_ db: Connection, _ tenant: Tenant, field: Field) throws -> Int {
        let rest = try Field.all(db, tenant, entityID: field.entityID).filter { $0.id != field.id }
        let key = "\(field.id)"
        var total = 0
        var after = 0
        while true {
            let ids = try db.query("""
                SELECT id FROM crm_entries
                WHERE tenant_id = \(tenant) AND entity_id = \(field.entityID) AND id > \(after)
                  AND JSON_CONTAINS_PATH(data, 'one', CONCAT('$."', \(key), '"'))
                ORDER BY id LIMIT 1000
                """).map { try $0.int("id") }
            guard let last = ids.last else { break }
            after = last
            try db.transaction {
                for var entry in try db.query("SELECT \(Entry.columns) FROM crm_entries e WHERE e.id IN (\(list: ids)) FOR UPDATE").map(Entry.init) {
                    entry.data[field.id] = nil
                    try db.execute("""
                        UPDATE crm_entries SET data = \(Entry.encode(entry.data)),
                            search_text = \(searchText(title: entry.title, data: entry.data, fields: rest))
                        WHERE id = \(entry.id)
                        """)
                }
                try db.execute("DELETE FROM crm_entry_values WHERE entry_id IN (\(list: ids)) AND field_id = \(field.id)")
            }
            total += ids.count
        }
        // Rows that had no counterpart in data (none should), so that filters never see them.
        try db.executeInBatches("DELETE FROM crm_entry_values WHERE tenant_id = \(tenant) AND field_id = \(field.id)", batch: 5000)
        try db.execute("DELETE FROM crm_stage_sums WHERE tenant_id = \(tenant) AND field_id = \(field.id)")
        return total
    }

    /// The customers whose email is one of `emails`, by lowercased email.
    package static func customers(_ db: Connection, _ tenant: Tenant, emails: [String]) throws -> [String: JSON] {
        guard !emails.isEmpty else { return [:] }
        var result: [String: JSON] = [:]
        for row in try db.query("""
            SELECT id, name, email, clv_total, rfm_segment FROM customers WHERE tenant_id = \(tenant) AND email IN (\(list: emails))
            """) {
            if let email = row.optionalString("email") {
                result[email.lowercased()] = row.json(["id", "name", "email", "clv_total", "rfm_segment"])
            }
        }
        return result
    }
}
