import Cryptography
import Foundation
import MariaDB
import Web
import Core
import Activities
import Tags

/// An entry as read from `crm_entries`, with its values keyed by field id.
package struct Entry {
    package let id: Int
    package let uid: String
    package let entityID: Int
    package let pipelineID: Int
    package let stageID: Int
    let title: String
    /// Field id → value, as stored in `data`.
    var data: [Int: JSON]
    let row: Row
    /// Its customers and companies (EntryStore reads them with the entry).
    var links = EntryLinks.Links()
    /// Its tags (EntryStore reads them with the entry).
    package var tags: [String] = []

    static let columns: SQL = """
        e.id, e.uid, e.entity_id, e.pipeline_id, e.stage_id, e.title, e.reference_type, e.reference_id,
        e.assigned_to_user_id, e.assigned_to_team_id, e.data, e.created_at, e.updated_at, e.tenant_id
        """

    package init(row: Row) throws {
        id = try row.int("id")
        uid = try row.string("uid")
        entityID = try row.int("entity_id")
        pipelineID = try row.int("pipeline_id")
        stageID = try row.int("stage_id")
        title = try row.string("title")
        data = Entry.decode(row.optionalString("data") ?? "{}")
        self.row = row
    }

    static func decode(_ text: String) -> [Int: JSON] {
        var data: [Int: JSON] = [:]
        if let object = (try? JSONParser.parse(text))?.objectValue {
            for (key, value) in object { if let id = Int(key) { data[id] = value } }
        }
        return data
    }

    static func encode(_ data: [Int: JSON]) -> String {
        JSONWriter.string(.object(JSONObject(data.keys.sorted().map { (String($0), data[$0]!) })))
    }

    /// The value of the first email field, lowercased: the key to the workspace's customer.
    package func email(_ fields: [Field]) -> String? {
        for field in fields where field.type == .email {
            if let s = data[field.id]?.stringValue, !s.isEmpty { return s.lowercased() }
        }
        return nil
    }

    /// The contract's shape; `values` and `values_flat` follow the order of the fields, and
    /// values of deleted fields are not shown.
    package func json(_ tenant: Tenant, fields: [Field], customer: JSON? = nil) -> JSON {
        var list: [JSON] = []
        var flat = JSONObject()
        for field in fields {
            guard let value = data[field.id] else { continue }
            list.append(["key": .string(field.key), "value": value])
            flat[field.key] = value
        }
        var object = JSONObject([
            ("id", .string(uid)), ("title", .string(title)), ("pipeline_id", .int(pipelineID)), ("stage_id", .int(stageID)),
            ("crm_entity_id", .int(entityID)), ("brand_id", .int(tenant.id)),
            ("reference_type", row.json("reference_type")), ("reference_id", row.json("reference_id")),
            ("assigned_to_user_id", row.json("assigned_to_user_id")), ("assigned_to_team_id", row.json("assigned_to_team_id")),
            // Issue 24's owner: the same member as assigned_to_user_id, by the name customers and companies use.
            ("owner_id", row.json("assigned_to_user_id")),
            ("values", .array(list)), ("values_flat", .object(flat)),
            ("created_at", CRM.entryTimestamp(row, "created_at")), ("updated_at", CRM.entryTimestamp(row, "updated_at")),
        ])
        for (key, value) in links.json { object[key] = value }
        object["tags"] = .array(tags.map(JSON.string))
        if let customer { object["customer"] = customer }
        return .object(object)
    }
}
