import MariaDB
import Web
import Core

/// CRM entries for the global search: each entity's own `q` search (EntryQuery, the word
/// index), the entities in their order, until `limit` entries are found.
package enum EntrySearch {
    package static let source = SearchSource(type: "entry") { db, tenant, q, limit in
        var hits: [SearchHit] = []
        for entity in try Entity.all(db, tenant) where hits.count < limit {
            let fields = try Field.all(db, tenant, entityID: entity.id)
            let request = Request.derived(path: "/entries", query: [("q", q), ("per_page", String(limit - hits.count))])
            let query = try EntryQuery(request, tenant: tenant, entity: entity, fields: fields, db: db)
            for entry in try EntryStore.entries(db, ids: try query.run(db).ids) {
                hits.append(SearchHit(type: "entry", id: .string(entry.uid), title: entry.title, subtitle: entity.name,
                                      extra: JSONObject([("entity", .object(JSONObject([
                                          ("id", .int(Int64(entity.id))), ("slug", .string(entity.slug)), ("name", .string(entity.name)),
                                      ])))])))
            }
        }
        return hits
    }
}
