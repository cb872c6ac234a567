import MariaDB
import Web
import Core
import Activities

/// Associations of entries with customers and companies (issue 24 part 2): replacing an
/// entry's links, and the entries linked to a customer or a company.
enum EntryLinkRoutes {
    static func register(_ routes: inout Routes) {
        for base in [CRM.prefix + "/entries/{entry}", CRM.prefix + "/entities/{entity}/entries/{entry}"] {
            routes.put(base + "/associations", .crm, replace)
        }
        routes.get("/v1/customers/{id}/entries", .server) { c in try linked(c, type: "customer", noun: "Customer") }
        routes.get("/v1/companies/{id}/entries", .server) { c in try linked(c, type: "company", noun: "Company") }
    }

    /// `PUT …/entries/{entry}/associations` `{"customer_ids": […], "company_ids": […]}`: the
    /// links of each type given replace that type's; an id of another workspace is a 422.
    @Sendable static func replace(_ c: Context) throws -> Response {
        let (found, fields) = try EntryRoutes.require(c)
        let body = try c.request.jsonObject()
        try c.db.transaction {
            guard try EntryStore.find(c.db, c.tenant, uid: found.uid, lock: true) != nil else { throw HTTPError.notFound("Entry not found.") }
            let current = try EntryLinks.load(c.db, entryIDs: [found.id])[found.id] ?? EntryLinks.Links()
            let links = try EntryLinks.read(body, current: current, db: c.db, tenant: c.tenant)
            try EntryLinks.replace(c.db, c.tenant, entryID: found.id, with: links)
            try CompanyOpenValue.refresh(c.db, c.tenant, companyIDs: current.companies + links.companies)
            try c.db.execute("UPDATE crm_entries SET updated_at = UTC_TIMESTAMP(6) WHERE id = \(found.id)")
        }
        guard let entry = try EntryStore.find(c.db, c.tenant, uid: found.uid) else { throw HTTPError.notFound("Entry not found.") }
        return .json(entry.json(c.tenant, fields: fields))
    }

    /// `GET /v1/customers/{id}/entries` (and companies'): the linked entries, newest link first,
    /// each with its entity, pipeline and stage, paginated like every `/v1` list.
    static func linked(_ c: Context, type: String, noun: String) throws -> Response {
        let id = try c.request.id()
        guard try Subject.existing(c.db, c.tenant, type: type, ids: [String(id)])?.contains(String(id)) == true else {
            throw HTTPError.notFound("\(noun) not found.")
        }
        let page = try Pagination(c.request, sortable: ["linked_at"], defaultSort: "linked_at")
        let (ids, total) = try EntryLinks.entryIDs(c.db, c.tenant, type: type, id: id, limit: page.perPage, offset: page.offset)
        let entries = try EntryStore.entries(c.db, ids: ids)
        var fields: [Int: [Field]] = [:]
        for entity in Set(entries.map(\.entityID)) { fields[entity] = try Field.all(c.db, c.tenant, entityID: entity) }
        var places: [Int: JSONObject] = [:]
        if !ids.isEmpty {
            for row in try c.db.query("""
                SELECT e.id, e.pipeline_id, e.stage_id, en.id AS entity_id, en.slug AS entity_slug, en.name AS entity_name, p.name AS pipeline_name,
                       s.name AS stage_name, s.color AS stage_color, s.status AS stage_status
                FROM crm_entries e JOIN crm_entities en ON en.tenant_id = e.tenant_id AND en.id = e.entity_id
                JOIN crm_pipelines p ON p.tenant_id = e.tenant_id AND p.id = e.pipeline_id
                JOIN crm_stages s ON s.tenant_id = e.tenant_id AND s.id = e.stage_id
                WHERE e.id IN (\(list: ids))
                """) {
                places[try row.int("id")] = JSONObject([
                    ("entity", .object(JSONObject([("id", row.json("entity_id")), ("slug", row.json("entity_slug")), ("name", row.json("entity_name"))]))),
                    ("pipeline", .object(JSONObject([("id", row.json("pipeline_id")), ("name", row.json("pipeline_name"))]))),
                    ("stage", .object(JSONObject([("id", row.json("stage_id")), ("name", row.json("stage_name")), ("color", row.json("stage_color")), ("status", row.json("stage_status"))]))),
                ])
            }
        }
        let data: [JSON] = entries.map { entry in
            var object = entry.json(c.tenant, fields: fields[entry.entityID] ?? []).objectValue ?? JSONObject()
            for (key, value) in places[entry.id] ?? JSONObject() { object[key] = value }
            return .object(object)
        }
        return .json(page.envelope(data, total: total))
    }
}
