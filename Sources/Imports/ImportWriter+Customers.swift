import MariaDB
import Web
import Core
import Customers

/// Customers, a chunk of rows at a time: each row checked as the API checks a body
/// (`CustomerRoutes.Fields`), the chunk's emails looked up (and locked) together, then every
/// row written by one `CustomerWrites.write`, the API's own write path, in a few statements.
extension ImportWriter {
    /// What became of each of `bodies` (rows as `body` makes them), in order. Keyed on the
    /// email (the API's `uq_email`): a row whose email is a customer updates it, and so does a
    /// row repeating the email of an earlier row of the chunk (the customer that row made).
    /// A row the API would refuse is its 422 (or the mode's: update and upsert need the email).
    /// Long (about 60 lines): check, look up, choose each row's target, write, in order.
    func customers(_ bodies: [JSONObject]) throws -> [Result<ImportOutcome, HTTPError>] {
        let companies = try companyIDs(Array(Set(bodies.compactMap { $0["company"]?.stringValue })))
        var results = [Result<ImportOutcome, HTTPError>?](repeating: nil, count: bodies.count)
        var checked: [(index: Int, body: JSONObject, fields: CustomerRoutes.Fields)] = []
        for (index, given) in bodies.enumerated() {
            var body = given
            // "Company": a company of the workspace by name or domain; otherwise kept as a property.
            if let company = body["company"]?.stringValue {
                body["company"] = JSON?.none
                if let id = companies[company] {
                    body["company_id"] = .int(Int64(id))
                } else {
                    var properties = body["properties"]?.objectValue ?? JSONObject()
                    properties["company"] = .string(company)
                    body["properties"] = .object(properties)
                }
            }
            do {
                let fields = try CustomerRoutes.Fields(body, db: db, tenant: tenant, creating: false)
                if fields.email == nil, updates {
                    throw HTTPError.invalid("email", "An email is needed to find the customer (mode \(record.mode)).")
                }
                checked.append((index, body, fields))
            } catch let error as HTTPError where error.status < 500 {
                results[index] = .failure(error)
            }
        }
        let existing = try CustomerWrites.lockByEmail(db, tenant, checked.compactMap(\.fields.email))
        var items: [CustomerWrites.Item] = []
        var rowOfItem: [Int] = []
        var made: [String: Int] = [:]
        for (index, body, fields) in checked {
            var target = CustomerWrites.Target.new
            if let email = fields.email, let id = existing[email] {
                target = .existing(id)
            } else if let email = fields.email, let earlier = made[email] {
                target = .sameAs(earlier)
            }
            if case .new = target {
                guard creates else {
                    results[index] = .success(.skipped)
                    continue
                }
                do {
                    items.append(.init(.new, try CustomerRoutes.Fields(body, db: db, tenant: tenant, creating: true)))
                } catch let error as HTTPError where error.status < 500 {
                    results[index] = .failure(error)
                    continue
                }
                if let email = fields.email { made[email] = items.count - 1 }
            } else {
                guard updates else {
                    results[index] = .success(.skipped)
                    continue
                }
                items.append(.init(target, fields))
            }
            rowOfItem.append(index)
        }
        for (n, outcome) in try CustomerWrites.write(db, tenant, items, actor: CustomerChanges.Actor(principal)).enumerated() {
            results[rowOfItem[n]] = switch outcome {
            case .created(let id): .success(.created(id))
            case .updated(let id): .success(.updated(id))
            case .unchanged(let id): .success(.unchanged(id))
            case .failed(let error): .failure(error)
            }
        }
        return results.map { $0! }
    }

    /// The company each of `names` names, by name or domain (the first made when several do),
    /// in one query for the chunk; names that are no company are absent.
    private func companyIDs(_ names: [String]) throws -> [String: Int] {
        guard !names.isEmpty else { return [:] }
        let list = JSONWriter.string(.array(names.map { .array([.string($0), .string($0.lowercased())]) }))
        let given: SQL = """
            JSON_TABLE(\(list), '$[*]' COLUMNS (n FOR ORDINALITY,
                name VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[0]',
                domain VARCHAR(190) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[1]')) j
            """
        var ids: [String: Int] = [:]
        for row in try db.query("""
            SELECT n, MIN(id) AS id FROM (
                SELECT j.n, co.id FROM \(given) JOIN companies co ON co.tenant_id = \(tenant) AND co.name = j.name
                UNION ALL
                SELECT j.n, co.id FROM \(given) JOIN companies co ON co.tenant_id = \(tenant) AND co.domain = j.domain
            ) x GROUP BY n
            """) {
            ids[names[try row.int("n") - 1]] = try row.int("id")
        }
        return ids
    }
}
