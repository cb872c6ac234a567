import Foundation
import MariaDB
import Web
import Core

/// Saved email templates (`email_templates`): a subject, an HTML body and an optional text
/// part with the campaigns' merge tags (`{{name}}`, `{{first_name|there}}`,
/// `{{properties.plan}}`, `{{unsubscribe_url}}` …), rendered by `RenderedMail.render` (`Template`) as a
/// campaign is. Automations' `send_email` nodes name one by `email_template` (its key) or
/// `email_template_id`.
package enum EmailTemplateStore {
    static let columns: SQL = "id, `key`, name, subject, body_html, body_text, created_at, updated_at"

    /// A slug: lowercase letters and digits, `-` or `_` between them, up to 100 characters.
    static func isKey(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last, s.utf8.count <= 100 else { return false }
        func alnum(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        return alnum(first) && alnum(last) && s.unicodeScalars.allSatisfy { alnum($0) || $0 == "-" || $0 == "_" }
    }

    static func find(_ db: Connection, _ tenant: Tenant, id: Int, lock: Bool = false) throws -> Row? {
        if lock { return try db.queryOne("SELECT \(columns) FROM email_templates WHERE tenant_id = \(tenant) AND id = \(id) FOR UPDATE") }
        return try db.queryOne("SELECT \(columns) FROM email_templates WHERE tenant_id = \(tenant) AND id = \(id)")
    }

    static func find(_ db: Connection, _ tenant: Tenant, key: String) throws -> Row? {
        try db.queryOne("SELECT \(columns) FROM email_templates WHERE tenant_id = \(tenant) AND `key` = \(key)")
    }

    /// The template a `send_email` node names: `email_template_id`, or `email_template`
    /// (or `template`) as a key. `nil` when the node writes its own subject and body.
    package enum Reference: Equatable, CustomStringConvertible {
        case id(Int), key(String)
        package var description: String {
            switch self {
            case .id(let i): return "email template \(i)"
            case .key(let k): return "email template \"\(k)\""
            }
        }
    }

    package static func reference(_ data: JSONObject) -> Reference? {
        if let i = data["email_template_id"]?.intValue { return .id(i) }
        if let s = data["email_template_id"]?.stringValue?.trimmingCharacters(in: .whitespaces), let i = Int(s) { return .id(i) }
        for key in ["email_template", "template"] {
            if let s = data[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !s.isEmpty { return .key(s) }
        }
        return nil
    }

    package static func resolve(_ db: Connection, _ tenant: Tenant, _ ref: Reference) throws -> Row? {
        switch ref {
        case .id(let i): return try find(db, tenant, id: i)
        case .key(let k): return try find(db, tenant, key: k)
        }
    }

    /// Who uses a template, by its id or key (`activeOnly`: the active users only): a
    /// template in use is not deleted nor re-keyed under them. The automations answer it
    /// (their designs), given to the routes at start-up by the application.
    package typealias Users = @Sendable (_ db: Connection, _ tenant: Tenant, _ id: Int, _ key: String, _ activeOnly: Bool) throws -> [(id: Int, name: String)]
}
