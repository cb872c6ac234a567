import Foundation
import MariaDB
import Web
import Core
import Accounts
import Tags
import Customers
import Pipelines
import Segments
import Campaigns

/// One bulk action (issue 25 part 5), checked, and how it changes one chunk of records.
/// Every change is the single edit's write path: a customer's `CustomerRoutes.apply` and
/// `erase`, a company's `CompanyRoutes.apply` and `delete`, an entry's `EntryRoutes.changes`
/// with `EntryStore.update` and `EntryStore.delete`, tags' `TagWrites`. So the change
/// history, the audit log, the segments' marks, the search words and the totals stay right
/// without a second copy of their rules.
///
///     {"type": "add_tags", "tags": […]}          {"type": "remove_tags", "tags": […]}
///     {"type": "set_owner", "owner_id": 7|null}  {"type": "set_field", "field": "city", "value": "Lyon"}
///     {"type": "move_stage", "stage_id": 12}     (entries)
///     {"type": "add_to_campaign", "campaign_id": 3} (customers: the tag the campaign's segment filters on)
///     {"type": "delete"}                         (admins and owners)
struct BulkAction {
    static let types = ["add_tags", "remove_tags", "set_owner", "set_field", "move_stage", "add_to_campaign", "delete"]

    let type: String
    var tags: [String] = []
    /// The body a single edit would get (set_owner, set_field).
    var body = JSONObject()
    var stageID: Int?

    /// The fields `set_field` may set, per list: plain profile fields (`properties.<key>`
    /// for customers and companies, `values.<key>` for entries are also accepted).
    static let settable: [Tags.Kind: [String]] = [
        .customer: ["name", "phone", "city", "country", "company_id"],
        .company: ["industry", "size", "country", "city"],
        .entry: ["title"],
    ]

    /// Reads and checks `json` for `list`, with the single edit's own checks (422 naming
    /// `action.<field>`). `delete` asks for an admin (403).
    init(_ c: Context, _ json: JSON?, list: ListSpec) throws {
        guard let object = json?.objectValue, let type = object["type"]?.stringValue, Self.types.contains(type) else {
            throw HTTPError.invalid("action.type", "The action type must be one of: \(Self.types.joined(separator: ", ")).")
        }
        if type == "add_to_campaign" {
            // Through a tag: the one the campaign's segment filters on, added as add_tags.
            self.type = "add_tags"
            tags = [try Self.campaignTag(c, object["campaign_id"], list: list)]
            return
        }
        self.type = type
        switch type {
        case "add_tags", "remove_tags":
            var errors = ValidationErrors()
            let names = Tags.normalize(object["tags"], field: "action.tags", errors: &errors)
            try errors.check()
            guard let names, !names.isEmpty else { throw HTTPError.invalid("action.tags", "Name at least one tag.") }
            tags = names
        case "set_owner":
            guard object.contains("owner_id") else { throw HTTPError.invalid("action.owner_id", "Give the owner's member id, or null.") }
            body = JSONObject([("owner_id", object["owner_id"] ?? .null)])
        case "set_field":
            guard let field = object["field"]?.stringValue, !field.isEmpty else {
                throw HTTPError.invalid("action.field", "Name the field to set.")
            }
            let value = object["value"] ?? .null
            if field.hasPrefix("properties."), list.kind != .entry {
                body = JSONObject([("properties", .object(JSONObject([(String(field.dropFirst("properties.".count)), value)])))])
            } else if field.hasPrefix("values."), list.kind == .entry {
                body = JSONObject([("values", .object(JSONObject([(String(field.dropFirst("values.".count)), value)])))])
            } else if Self.settable[list.kind]!.contains(field) {
                body = JSONObject([(field, value)])
            } else {
                let more = list.kind == .entry ? "values.<field key>" : "properties.<key>"
                throw HTTPError.invalid("action.field", "The field must be one of: \((Self.settable[list.kind]! + [more]).joined(separator: ", ")).")
            }
        case "move_stage":
            guard list.kind == .entry else { throw HTTPError.invalid("action.type", "Only entries move between stages.") }
            guard let id = object["stage_id"]?.intValue, id > 0,
                  let stage = try Stage.find(c.db, c.tenant, id: id), stage.entityID == list.entity!.id else {
                throw HTTPError.invalid("action.stage_id", "The stage must be a stage of this entity's pipelines.")
            }
            stageID = stage.id
        default:
            // Deleting is an admin's, as a single delete is (Permissions: DELETE … is .admin).
            if let role = c.principal?.role, role < .admin {
                throw HTTPError.forbidden("Only admins and owners delete in bulk.")
            }
        }
        // The single edit's checks, once, for the whole run: 422 now rather than a failure
        // per record later.
        if !body.isEmpty { try check(c, list: list) }
    }

    /// The tag that puts a customer in the audience of campaign `id`: its segment must be a tag
    /// condition (`{"tag": "…"}`, the first tag named); a campaign already sent, or whose segment
    /// is something else, is a 422 on `action.campaign_id` that says so.
    static func campaignTag(_ c: Context, _ id: JSON?, list: ListSpec) throws -> String {
        let field = "action.campaign_id"
        guard list.kind == .customer else { throw HTTPError.invalid("action.type", "Only customers join a campaign's audience.") }
        guard let id = id?.intValue, id > 0, let campaign = try CampaignStore.find(c.db, c.tenant, id: id) else {
            throw HTTPError.invalid(field, "The campaign must be a campaign of this workspace.")
        }
        guard ["draft", "scheduled"].contains(campaign.optionalString("status") ?? "") else {
            throw HTTPError.invalid(field, "The campaign has been sent; its audience no longer changes.")
        }
        guard let segmentID = campaign.optionalInt("segment_id"), let segment = try SegmentStore.find(c.db, c.tenant, id: segmentID) else {
            throw HTTPError.invalid(field, "The campaign has no segment yet: give it a segment that filters on a tag ({\"tag\": \"…\"}).")
        }
        guard case .tags(let names) = SegmentStore.filter(segment), let tag = names.first else {
            let name = segment.optionalString("name") ?? "its segment"
            throw HTTPError.invalid(field, "The campaign's audience is the segment “\(name)”, which does not filter on one tag ({\"tag\": \"…\"}).")
        }
        return tag
    }

    func check(_ c: Context, list: ListSpec) throws {
        do {
            switch list.kind {
            case .customer: _ = try CustomerRoutes.Fields(body, db: c.db, tenant: c.tenant, creating: false)
            case .company: _ = try CompanyRoutes.Fields(body, db: c.db, tenant: c.tenant, creating: false)
            case .entry:
                // An update's checks need an entry (a stage of its pipeline …): any of the entity's.
                let sample = try c.db.queryOne("SELECT id FROM crm_entries WHERE tenant_id = \(c.tenant) AND entity_id = \(list.entity!.id) LIMIT 1")
                guard let sample, let entry = try EntryStore.entries(c.db, ids: [try sample.int("id")]).first else { return }
                var input = Input(body)
                let fields = try Field.all(c.db, c.tenant, entityID: list.entity!.id)
                _ = try EntryRoutes.changes(c, &input, entityID: list.entity!.id, fields: fields, current: entry)
                try input.check()
            }
        } catch var error as HTTPError where error.status == 422 {
            var renamed = ValidationErrors()
            for (field, messages) in error.errors?.fields ?? [] { for m in messages { renamed.add("action.\(field)", m) } }
            error.errors = renamed
            throw error
        }
    }

    var json: JSON {
        var o = JSONObject([("type", .string(type))])
        if !tags.isEmpty { o["tags"] = .array(tags.map(JSON.string)) }
        if !body.isEmpty { o["body"] = .object(body) }
        if let stageID { o["stage_id"] = .int(stageID) }
        return .object(o)
    }

    /// The action as stored (`json`), for the job.
    init(stored: JSON) {
        let o = stored.objectValue ?? JSONObject()
        type = o["type"]?.stringValue ?? ""
        tags = o["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        body = o["body"]?.objectValue ?? JSONObject()
        stageID = o["stage_id"]?.intValue
    }

    /// Applies the action to the records `ids` (the chunk, in id order) inside the chunk's
    /// transaction. Each record's change runs under a savepoint, so that one refused (gone
    /// meanwhile, a stage of another pipeline) is counted as failed and leaves no half.
    /// Returns how many changed and how many failed.
    func apply(_ c: Context, list: ListSpec, ids: [Int]) throws -> (changed: Int, failed: Int) {
        let actor = CustomerChanges.Actor(c.principal)
        switch type {
        case "add_tags": return (try TagWrites.add(c.db, c.tenant, list.kind, ids: ids, names: tags, actor: actor, field: "action.tags").count, 0)
        case "remove_tags": return (try TagWrites.remove(c.db, c.tenant, list.kind, ids: ids, names: tags, actor: actor).count, 0)
        default: break
        }
        var changed = 0, failed = 0
        let fields = try list.entity.map { try Field.all(c.db, c.tenant, entityID: $0.id) } ?? []
        let entries = list.kind == .entry ? try EntryStore.entries(c.db, ids: ids) : []
        for id in ids {
            try c.db.execute("SAVEPOINT bulk_record")
            do {
                if try applyOne(c, list: list, id: id, entry: entries.first { $0.id == id }, fields: fields) { changed += 1 }
                try c.db.execute("RELEASE SAVEPOINT bulk_record")
            } catch let error as HTTPError where error.status < 500 {
                try c.db.execute("ROLLBACK TO SAVEPOINT bulk_record")
                failed += 1
            }
        }
        return (changed, failed)
    }

    /// One record's change by its single edit's path; false when there was nothing to do.
    func applyOne(_ c: Context, list: ListSpec, id: Int, entry: Entry?, fields: [Field]) throws -> Bool {
        switch (list.kind, type) {
        case (.customer, "delete"): _ = try CustomerRoutes.erase(c, id: id)
        case (.customer, _): try CustomerRoutes.apply(c.db, c.tenant, id: id, try CustomerRoutes.Fields(body, db: c.db, tenant: c.tenant, creating: false),
                                                     actor: CustomerChanges.Actor(c.principal))
        case (.company, "delete"): _ = try CompanyRoutes.delete(c, id: id)
        case (.company, _): try CompanyRoutes.apply(c.db, c.tenant, id: id, try CompanyRoutes.Fields(body, db: c.db, tenant: c.tenant, creating: false),
                                                    actor: CustomerChanges.Actor(c.principal))
        case (.entry, _):
            guard let entry else { throw HTTPError.notFound("Entry not found.") }
            if type == "delete" { return try EntryStore.delete(c.db, c.tenant, uid: entry.uid, entityID: entry.entityID) }
            var changes: EntryStore.Changes
            if let stageID {
                guard let stage = try Stage.find(c.db, c.tenant, id: stageID), stage.pipelineID == entry.pipelineID else {
                    throw HTTPError.invalid("stage_id", "The stage must belong to the entry's current pipeline.")
                }
                if stage.id == entry.stageID { return false }
                changes = EntryStore.Changes()
                changes.stage = stage
            } else {
                var input = Input(body)
                changes = try EntryRoutes.changes(c, &input, entityID: entry.entityID, fields: fields, current: entry)
                try input.check()
            }
            _ = try EntryStore.update(c.db, c.tenant, uid: entry.uid, entityID: entry.entityID, fields: fields, changes, actor: Actor(c.principal))
        }
        return true
    }
}
