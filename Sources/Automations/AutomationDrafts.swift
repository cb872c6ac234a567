import Foundation
import MariaDB
import Web
import Core

/// An automation's draft: a design still being drawn, stored with its problems instead of
/// refused (`POST /v1/automations/{id}/draft`). It never runs: the running design changes
/// only through a complete save (`POST …/design`, which clears the draft), and activation
/// refuses an automation whose draft is pending, naming the draft's problems.
enum AutomationDrafts {
    /// What keeps a design from running, field by field (`nodes.{id}`, `edges.{id}`), in the
    /// checks' own words: the shape, the workspace's references and the templates it sends.
    static func problems(_ json: JSON, _ db: Connection, _ tenant: Tenant) throws -> ValidationErrors {
        var errors = ValidationErrors()
        let design = AutomationDesign.parse(json, errors: &errors)
        if !errors.isEmpty { return errors }
        design.check(&errors)
        if !errors.isEmpty { return errors }
        try AutomationConditions.checkReferences(db, tenant, design: design, errors: &errors)
        try design.checkReferences(db, tenant, errors: &errors)
        try design.checkTemplates(db, tenant, errors: &errors)
        return errors
    }

    /// The stored draft with its problems (read again, so that a template created since
    /// counts), or null when there is none.
    static func json(_ db: Connection, _ tenant: Tenant, stored: String?) throws -> JSON {
        guard let stored, let design = try? JSONParser.parse(stored) else { return .null }
        let problems = try problems(design, db, tenant)
        return ["nodes": design["nodes"] ?? [], "edges": design["edges"] ?? [], "problems": problems.json,
                "problems_count": .int(count(problems))]
    }

    static func count(_ problems: ValidationErrors) -> Int { problems.fields.reduce(0) { $0 + $1.messages.count } }

    /// 422 when a draft is pending: its problems, or that it is not saved as the design yet.
    static func refuseActivation(_ db: Connection, _ tenant: Tenant, stored: String?) throws {
        guard let stored, let design = try? JSONParser.parse(stored) else { return }
        let problems = try problems(design, db, tenant)
        if !problems.isEmpty {
            throw HTTPError(422, "The draft of this flow has problems; fix them and save the design before activating.", errors: problems)
        }
        throw HTTPError.invalid("design", "The draft of this flow is not saved as its design yet; save it before activating.")
    }

    /// Stores the design as the draft, whatever its problems, and lists them. Only the shape
    /// of the body is refused (nodes and edges must be arrays, at most 500 nodes).
    @Sendable static func save(_ c: Context) throws -> Response {
        let body = try c.request.json()
        guard let o = body.objectValue, o["nodes"]?.arrayValue != nil, (o["edges"] ?? []).arrayValue != nil else {
            throw HTTPError.invalid("nodes", "A draft needs nodes and edges arrays.")
        }
        if (o["nodes"]?.arrayValue?.count ?? 0) > 500 { throw HTTPError.invalid("nodes", "A flow has at most 500 nodes.") }
        let draft: JSON = ["nodes": o["nodes"] ?? [], "edges": o["edges"] ?? []]
        let id = try c.request.id()
        let stored = try c.db.execute("""
            UPDATE automations SET draft_design = \(JSONWriter.string(draft)), updated_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = \(c.tenant) AND id = \(id)
            """).affectedRows
        if stored == 0, try c.db.queryOne("SELECT id FROM automations WHERE tenant_id = \(c.tenant) AND id = \(id)") == nil {
            throw HTTPError.notFound("Automation not found.")
        }
        let problems = try problems(draft, c.db, c.tenant)
        return .json(["automation_id": .int(id), "saved": true, "draft": true, "problems": problems.json,
                      "problems_count": .int(count(problems))])
    }
}
