import Foundation
import MariaDB
import Web
import Core
import Tags
import Customers
import Pipelines

/// A list of records that saved views and bulk actions work on: the customers, the
/// companies, or the entries of one entity. Its filters are read by the list's own query
/// parser (`CustomerQuery`, `CompanyQuery`, `EntryQuery`), given as the query string the
/// list would get, so that a view or a bulk action accepts exactly what the list accepts.
package struct ListSpec {
    /// `customers`, `companies` or `entries:<entity id>`.
    package let name: String
    package let kind: Tags.Kind
    package let entity: Entity?

    /// The table and its alias, as the list's conditions name it.
    var table: SQL {
        switch kind {
        case .customer: "customers c"
        case .company: "companies co"
        case .entry: "crm_entries e"
        }
    }

    var idColumn: SQL {
        switch kind {
        case .customer: "c.id"
        case .company: "co.id"
        case .entry: "e.id"
        }
    }

    /// The list named `raw` (`customers`, `companies`, `entries:<entity id>`, or `entries`
    /// with `entityID`); 422 on `field` otherwise, or when the entity is not the workspace's.
    static func resolve(_ c: Context, _ raw: String?, entityID: Int? = nil, field: String) throws -> ListSpec {
        let known = "customers, companies or entries:<entity id>"
        switch raw ?? "" {
        case "customers": return ListSpec(name: "customers", kind: .customer, entity: nil)
        case "companies": return ListSpec(name: "companies", kind: .company, entity: nil)
        case let text where text == "entries" || text.hasPrefix("entries:"):
            let id = text == "entries" ? entityID : Int(text.dropFirst("entries:".count))
            guard let id, id > 0 else { throw HTTPError.invalid(text == "entries" ? "entity_id" : field, "Name the entity: \(known).") }
            guard let entity = try Entity.find(c.db, c.tenant, String(id)) else {
                throw HTTPError.invalid(text == "entries" ? "entity_id" : field, "The entity does not exist in this workspace.")
            }
            return ListSpec(name: "entries:\(entity.id)", kind: .entry, entity: entity)
        default:
            throw HTTPError.invalid(field, "The \(field) must be \(known).")
        }
    }

    /// The filter keys the list reads (entries: also `values[<field key>]…`).
    var filterKeys: [String] {
        switch kind {
        case .customer: CustomerQuery.filterKeys
        case .company: CompanyQuery.filterKeys
        case .entry: EntryQuery.filterKeys
        }
    }

    var sortable: [String] {
        switch kind {
        case .customer: CustomerQuery.sortable
        case .company: CompanyQuery.sortable
        case .entry: EntryQuery.sortable
        }
    }

    /// The condition selecting what `filters` selects in this list, checked by the list's
    /// parser (with `sort`, when given). 422 naming `filters.<key>` (or `sort`) otherwise.
    func matching(_ c: Context, filters: JSONObject, sort: (field: String, order: String)? = nil) throws -> SQL {
        var errors = ValidationErrors()
        var pairs: [(String, String)] = []
        for (key, value) in filters {
            guard filterKeys.contains(key) || (kind == .entry && key.hasPrefix("values[")) else {
                errors.add("filters.\(key)", "The list does not filter on \(key). Known: \(filterKeys.joined(separator: ", ")).")
                continue
            }
            let items = value.arrayValue ?? [value]
            for item in items {
                switch item {
                case .string(let s): pairs.append((key, s))
                case .int(let n): pairs.append((key, String(n)))
                case .bool(let b): pairs.append((key, b ? "true" : "false"))
                default:
                    if let d = item.doubleValue { pairs.append((key, String(d))) } else {
                        errors.add("filters.\(key)", "A filter value must be a string, a number or a list of them.")
                    }
                }
            }
        }
        if let sort { pairs += [("sort", sort.field), ("order", sort.order)] }
        try errors.check()
        let request = Request(method: "GET", path: "/", queryString: Self.queryString(pairs))
        do {
            switch kind {
            case .customer:
                return try CustomerQuery(request, tenant: c.tenant, principal: c.principal, db: c.db).whereClause
            case .company:
                return try CompanyQuery(request, tenant: c.tenant, principal: c.principal, db: c.db).whereClause
            case .entry:
                let fields = try Field.all(c.db, c.tenant, entityID: entity!.id)
                return try EntryQuery(request, tenant: c.tenant, principal: c.principal, entity: entity!, fields: fields, db: c.db).matching
            }
        } catch var error as HTTPError where error.status == 422 {
            var renamed = ValidationErrors()
            for (field, messages) in error.errors?.fields ?? [] {
                let name = ["sort", "order", "page", "per_page"].contains(field) ? "sort" : "filters.\(field)"
                for m in messages { renamed.add(name, m) }
            }
            error.errors = renamed
            throw error
        }
    }

    static func queryString(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }
}
