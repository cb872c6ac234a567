import MariaDB
import Web
import Core

/// What a note or a task is about: a record of the workspace, named as the API names it (a
/// customer's number, an entry's uid), kept as text in `subject_id`.
package struct Subject: Sendable, Equatable {
    package let type: String
    package let id: String

    package init(type: String, id: String) {
        self.type = type
        self.id = id
    }

    /// `subject_type` and `subject_id` for an answer: a numeric id as a number, a uid as text.
    package var json: [(String, JSON)] {
        let numeric = Subject.kinds[type]?.numericID ?? false
        return [("subject_type", .string(type)), ("subject_id", numeric ? (Int(id).map { .int(Int64($0)) } ?? .string(id)) : .string(id))]
    }

    /// One row per subject type: how its ids look and how one is found in a workspace. The one
    /// place that knows which records notes and tasks can be about: adding a type (companies)
    /// is one row here and the value in the `subject_type` ENUM (`schema/032_notes_tasks.sql`
    /// already has `company`).
    struct Kind: Sendable {
        /// A positive integer (customers) rather than a uid (entries).
        let numericID: Bool
        /// Which of the ids (as the API shows them) name a record of the workspace, in one
        /// read; nil while the type is not available.
        let existing: (@Sendable (Connection, Tenant, [String]) throws -> Set<String>)?
        /// Said when the id names nothing in this workspace.
        let missing: String
    }

    static let kinds: [String: Kind] = [
        "customer": Kind(numericID: true, existing: { db, tenant, ids in
            Set(try db.query("SELECT id FROM customers WHERE tenant_id = \(tenant) AND id IN (\(list: ids.compactMap { Int($0) }))")
                .map { String(try $0.int("id")) })
        }, missing: "The customer does not exist in this workspace."),
        "entry": Kind(numericID: false, existing: { db, tenant, ids in
            Set(try db.query("SELECT uid FROM crm_entries WHERE tenant_id = \(tenant) AND uid IN (\(list: ids))").map { try $0.string("uid") })
        }, missing: "The entry does not exist in this workspace."),
        "company": Kind(numericID: true, existing: { db, tenant, ids in
            Set(try db.query("SELECT id FROM companies WHERE tenant_id = \(tenant) AND id IN (\(list: ids.compactMap { Int($0) }))")
                .map { String(try $0.int("id")) })
        }, missing: "The company does not exist in this workspace."),
    ]

    /// Which of `ids` name records of `type` in the workspace (one read); nil for a type that
    /// is not available.
    package static func existing(_ db: Connection, _ tenant: Tenant, type: String, ids: [String]) throws -> Set<String>? {
        guard let existing = kinds[type]?.existing else { return nil }
        return ids.isEmpty ? [] : try existing(db, tenant, ids)
    }

    /// The types a client may name, in the order the documentation lists them.
    package static let types = ["customer", "company", "entry"]

    /// Why a subject cannot be used, and which field to name.
    package struct Problem: Error {
        package let field: String
        package let message: String
        /// The id is well formed but names nothing in this workspace (404 on a path or query).
        package let notFound: Bool
    }

    /// The subject that `type` and `id` name in `tenant`: the one check of every subject, for
    /// bodies (422 naming the field) and for list filters (404 when nothing is found).
    package static func resolve(type: JSON?, id: JSON?, tenant: Tenant, db: Connection) throws -> Result<Subject, Problem> {
        guard let type = type?.stringValue, let kind = kinds[type] else {
            return .failure(Problem(field: "subject_type", message: "The subject type must be one of: \(types.joined(separator: ", ")).", notFound: false))
        }
        guard kind.existing != nil else {
            return .failure(Problem(field: "subject_type", message: "Notes and tasks about \(type) records are not available.", notFound: false))
        }
        var text: String?
        switch id {
        case .string(let s)?: text = s
        case let value? where value.intValue != nil: text = String(value.intValue!)
        default: text = nil
        }
        let wellFormed: Bool
        if let text {
            wellFormed = kind.numericID ? (Int(text).map { $0 > 0 } ?? false)
                : (1...32).contains(text.utf8.count) && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        } else {
            wellFormed = false
        }
        guard let text, wellFormed else {
            let what = kind.numericID ? "a positive integer" : "an entry id"
            return .failure(Problem(field: "subject_id", message: "The subject id must be \(what).", notFound: false))
        }
        guard try existing(db, tenant, type: type, ids: [text])?.contains(text) == true else {
            return .failure(Problem(field: "subject_id", message: kind.missing, notFound: true))
        }
        return .success(Subject(type: type, id: text))
    }

    /// The optional subject of a body: nil when neither field is given (or both are null).
    package static func read(_ input: inout Input, tenant: Tenant, db: Connection, required: Bool) throws -> Subject? {
        let type = input.object["subject_type"], id = input.object["subject_id"]
        if !required, (type ?? .null).isNull, (id ?? .null).isNull { return nil }
        switch try resolve(type: type, id: id, tenant: tenant, db: db) {
        case .success(let subject): return subject
        case .failure(let problem):
            input.fail(problem.field, problem.message)
            return nil
        }
    }

    /// The subject filter of a list (`subject_type` and `subject_id` in the query): nil when
    /// absent; 422 when malformed, 404 when it names nothing in this workspace.
    package static func filter(_ request: Request, tenant: Tenant, db: Connection) throws -> Subject? {
        let q = request.query
        if q["subject_type"] == nil, q["subject_id"] == nil { return nil }
        switch try resolve(type: q["subject_type"].map { .string($0) }, id: q["subject_id"].map { .string($0) }, tenant: tenant, db: db) {
        case .success(let subject): return subject
        case .failure(let problem) where problem.notFound: throw HTTPError.notFound(problem.message)
        case .failure(let problem): throw HTTPError.invalid(problem.field, problem.message)
        }
    }

    /// Removes the notes and tasks about a record that is being deleted (customer erasure,
    /// entry deletion), and its links to CRM entries, in the caller's transaction.
    package static func forget(_ db: Connection, _ tenant: Tenant, _ subject: Subject) throws {
        try forget(db, tenant, type: subject.type, ids: "SELECT \(subject.id)")
    }

    /// Removes the notes and tasks about the records of `type` whose ids `ids` (a SELECT of one
    /// column, the ids as the API shows them) gives: records deleted in bulk (an entity's entries).
    package static func forget(_ db: Connection, _ tenant: Tenant, type: String, ids: SQL) throws {
        try db.execute("DELETE FROM notes WHERE tenant_id = \(tenant) AND subject_type = \(type) AND subject_id IN (\(ids))")
        try db.execute("DELETE FROM tasks WHERE tenant_id = \(tenant) AND subject_type = \(type) AND subject_id IN (\(ids))")
        // An entry's own links go with it (the foreign key); a customer's or a company's here.
        if EntryLinks.types.contains(type) {
            try db.execute("DELETE FROM crm_entry_links WHERE tenant_id = \(tenant) AND subject_type = \(type) AND subject_id IN (\(ids))")
        }
    }
}
