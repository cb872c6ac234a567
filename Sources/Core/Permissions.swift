import Web

/// Who may call what: the permission matrix, written once, as data.
///
/// Every route, by its "METHOD /pattern" (as `Routes.names` holds it), maps to the least role
/// of a signed-in member that may call it. `Application.dispatch` consults this table for
/// every request, after `Authenticator` has established who is calling; a route missing from
/// the table is refused to everybody (fail closed), and a test asserts that the table covers
/// exactly the registered routes. The console reads the same table (`GET /v1/permissions`).
///
/// API keys are not roles: a secret key keeps the full data rights its route's `Access`
/// gives it (`.server`, `.crm`, `.tracking`), a publishable key only `.tracking`; neither
/// reaches a route kept for user sessions (`.user`, `.manager`).
///
/// Members work with customers, companies, tracking, CRM entries and drafts. Only admins and owners
/// erase customers, delete in bulk, delete tags, export, delete companies, segments, campaigns, automations, entities, pipelines,
/// stages and fields, send or cancel campaigns, activate or deactivate automations, change
/// the design or trigger of an active automation, and manage keys, members, teams, settings
/// and the audit log. Only owners delete the workspace, change owners or change how long the
/// audit log is kept. Viewers read (GET) and manage their own account and sessions.
package enum Permissions {
    /// What a route asks of its caller.
    package enum Need: Sendable, Equatable {
        /// No credentials at all (health, login, the tracking pixel).
        case anyone
        /// A member of at least this role (or a key its route's `Access` admits).
        case role(Role)
    }

    /// The path prefix of every CRM route (`CRM.prefix` of Pipelines, which is above this module).
    package static let crm = "/api/brands/{brand}/crm"

    /// The matrix. Keep it in the order the features register their routes.
    static let routes: [String: Need] = [
        // System
        "GET /v1/health": .anyone,
        "POST /v1/echo": .anyone,
        "GET /v1/openapi.yaml": .anyone,
        "GET /v1/openapi.json": .anyone,
        "GET /metrics": .anyone,
        "GET /v1/permissions": .role(.viewer),
        "GET /v1/search": .role(.viewer),

        // Account (one's own) and session
        "POST /v1/auth/register": .anyone,
        "POST /v1/auth/login": .anyone,
        "POST /v1/auth/accept-invitation": .anyone,
        "POST /v1/auth/logout": .role(.viewer),
        "GET /v1/auth/me": .role(.viewer),
        "POST /v1/auth/switch": .role(.viewer),
        "GET /v1/auth/sessions": .role(.viewer),
        "DELETE /v1/auth/sessions/{id}": .role(.viewer),
        "POST /v1/auth/password": .role(.viewer),
        "POST /v1/auth/verify-email": .role(.viewer),
        "POST /v1/auth/verify-email/resend": .role(.viewer),
        "POST /v1/auth/password-reset": .anyone,
        "POST /v1/auth/password-reset/confirm": .anyone,

        // Workspaces
        "GET /v1/workspaces": .role(.viewer),
        "POST /v1/workspaces": .role(.viewer),
        "GET /v1/workspace": .role(.viewer),
        "PUT /v1/workspace": .role(.admin),
        "DELETE /v1/workspace": .role(.owner),

        // Members, teams, keys, audit log
        "GET /v1/users": .role(.viewer),
        "POST /v1/users": .role(.admin),
        "GET /v1/users/{id}": .role(.viewer),
        "PUT /v1/users/{id}": .role(.admin),
        "DELETE /v1/users/{id}": .role(.admin),
        "GET /v1/invitations": .role(.admin),
        "POST /v1/invitations/{id}/resend": .role(.admin),
        "DELETE /v1/invitations/{id}": .role(.admin),
        "GET /v1/teams": .role(.viewer),
        "POST /v1/teams": .role(.admin),
        "GET /v1/teams/{id}": .role(.viewer),
        "PUT /v1/teams/{id}": .role(.admin),
        "DELETE /v1/teams/{id}": .role(.admin),
        "POST /v1/teams/{id}/members": .role(.admin),
        "DELETE /v1/teams/{id}/members/{user}": .role(.admin),
        "GET /v1/api-keys": .role(.admin),
        "POST /v1/api-keys": .role(.admin),
        "DELETE /v1/api-keys/{id}": .role(.admin),
        "GET /v1/audit-log": .role(.admin),

        // Webhook subscriptions (admins and secret keys)
        "GET /v1/webhooks": .role(.admin),
        "POST /v1/webhooks": .role(.admin),
        "GET /v1/webhooks/{id}": .role(.admin),
        "PUT /v1/webhooks/{id}": .role(.admin),
        "DELETE /v1/webhooks/{id}": .role(.admin),
        "POST /v1/webhooks/{id}/rotate-secret": .role(.admin),
        "POST /v1/webhooks/{id}/test": .role(.admin),
        "GET /v1/webhooks/{id}/deliveries": .role(.admin),
        "GET /v1/webhooks/{id}/attempts": .role(.admin),
        "POST /v1/webhooks/{id}/deliveries/{delivery}/replay": .role(.admin),
        "POST /v1/webhooks/{id}/replay": .role(.admin),

        // Customers
        "GET /v1/customers": .role(.viewer),
        "POST /v1/customers": .role(.member),
        "GET /v1/customers/{id}": .role(.viewer),
        "PUT /v1/customers/{id}": .role(.member),
        "PATCH /v1/customers/{id}": .role(.member),
        "DELETE /v1/customers/{id}": .role(.admin),
        "GET /v1/customers/{id}/events": .role(.viewer),
        "GET /v1/customers/{id}/timeline": .role(.viewer),
        "GET /v1/customers/{id}/entries": .role(.viewer),
        "GET /v1/customers/{id}/export": .role(.admin),
        // List exports (issue 25 part 2): admins, as every export.
        "GET /v1/customers/export.csv": .role(.admin),
        "GET /v1/companies/export.csv": .role(.admin),
        "GET /v1/campaigns/{id}/recipients.csv": .role(.admin),
        "GET \(crm)/entities/{entity}/entries/export.csv": .role(.admin),

        // Notes and tasks (a note's author edits and deletes it; others need `editOthersNotes`)
        "GET /v1/notes": .role(.viewer),
        "POST /v1/notes": .role(.member),
        "GET /v1/notes/{id}": .role(.viewer),
        "PUT /v1/notes/{id}": .role(.member),
        "PATCH /v1/notes/{id}": .role(.member),
        "DELETE /v1/notes/{id}": .role(.member),
        "GET /v1/tasks": .role(.viewer),
        "POST /v1/tasks": .role(.member),
        "GET /v1/tasks/{id}": .role(.viewer),
        "PUT /v1/tasks/{id}": .role(.member),
        "PATCH /v1/tasks/{id}": .role(.member),
        "DELETE /v1/tasks/{id}": .role(.member),
        // Companies: members create and edit them, as customers; deleting one (its customers
        // stay, unlinked) is for admins and owners, as deleting a segment or an entity.
        // Imports: members import as they create and edit records (each row passes the same
        // checks); viewers see the imports and their failed rows.
        "GET /v1/imports": .role(.viewer),
        "POST /v1/imports": .role(.member),
        "GET /v1/imports/{id}": .role(.viewer),
        "PUT /v1/imports/{id}": .role(.member),
        "DELETE /v1/imports/{id}": .role(.member),
        "POST /v1/imports/{id}/start": .role(.member),
        "POST /v1/imports/{id}/cancel": .role(.member),
        "GET /v1/imports/{id}/errors.csv": .role(.viewer),
        "GET /v1/companies": .role(.viewer),
        "POST /v1/companies": .role(.member),
        "GET /v1/companies/{id}": .role(.viewer),
        "PUT /v1/companies/{id}": .role(.member),
        "PATCH /v1/companies/{id}": .role(.member),
        "DELETE /v1/companies/{id}": .role(.admin),
        "GET /v1/companies/{id}/entries": .role(.viewer),
        "GET /v1/companies/{id}/timeline": .role(.viewer),

        // Tags, saved views, bulk actions (deleting in bulk asks an admin: BulkAction)
        "GET /v1/tags": .role(.viewer),
        "GET /v1/tags/{id}": .role(.viewer),
        "PUT /v1/tags/{id}": .role(.member),
        "PATCH /v1/tags/{id}": .role(.member),
        "DELETE /v1/tags/{id}": .role(.admin),
        "GET /v1/views": .role(.viewer),
        "POST /v1/views": .role(.member),
        "GET /v1/views/{id}": .role(.viewer),
        "PUT /v1/views/{id}": .role(.member),
        "PATCH /v1/views/{id}": .role(.member),
        "DELETE /v1/views/{id}": .role(.member),
        "POST /v1/bulk": .role(.member),
        "GET /v1/bulk/{id}": .role(.viewer),

        // Tracking
        "POST /v1/track/event": .role(.member),
        "POST /v1/track/pageview": .role(.member),
        "POST /v1/track/batch": .role(.member),
        "POST /v1/track/identify": .role(.member),
        "OPTIONS /v1/track/event": .anyone,
        "OPTIONS /v1/track/pageview": .anyone,
        "OPTIONS /v1/track/batch": .anyone,
        "OPTIONS /v1/track/identify": .anyone,
        "GET /v1/events": .role(.viewer),
        // The Segment-compatible intake (SegmentRoutes): the tracking paths' rights.
        "POST /v1/batch": .role(.member),
        "POST /v1/track": .role(.member),
        "POST /v1/identify": .role(.member),
        "POST /v1/page": .role(.member),
        "POST /v1/screen": .role(.member),
        "POST /v1/group": .role(.member),
        "POST /v1/alias": .role(.member),
        "OPTIONS /v1/batch": .anyone,
        "OPTIONS /v1/track": .anyone,
        "OPTIONS /v1/identify": .anyone,
        "OPTIONS /v1/page": .anyone,
        "OPTIONS /v1/screen": .anyone,
        "OPTIONS /v1/group": .anyone,
        "OPTIONS /v1/alias": .anyone,
        // Sources: the API keys as write keys, with their latest events (as the API keys list).
        "GET /v1/sources": .role(.admin),

        // Pipeline CRM
        "GET \(crm)/entity-presets": .role(.viewer),
        "GET \(crm)/entities": .role(.viewer),
        "POST \(crm)/entities": .role(.member),
        "GET \(crm)/entities/{entity}": .role(.viewer),
        "PUT \(crm)/entities/{entity}": .role(.member),
        "PATCH \(crm)/entities/{entity}": .role(.member),
        "DELETE \(crm)/entities/{entity}": .role(.admin),
        "GET \(crm)/entities/{entity}/pipelines": .role(.viewer),
        "POST \(crm)/entities/{entity}/pipelines": .role(.member),
        "GET \(crm)/pipelines/{pipeline}": .role(.viewer),
        "PUT \(crm)/pipelines/{pipeline}": .role(.member),
        "PATCH \(crm)/pipelines/{pipeline}": .role(.member),
        "DELETE \(crm)/pipelines/{pipeline}": .role(.admin),
        "GET \(crm)/pipelines/{pipeline}/stats": .role(.viewer),
        "GET \(crm)/pipelines/{pipeline}/stages": .role(.viewer),
        "POST \(crm)/pipelines/{pipeline}/stages": .role(.member),
        "PUT \(crm)/stages/reorder": .role(.member),
        "GET \(crm)/stages/{stage}": .role(.viewer),
        "PUT \(crm)/stages/{stage}": .role(.member),
        "PATCH \(crm)/stages/{stage}": .role(.member),
        "DELETE \(crm)/stages/{stage}": .role(.admin),
        "GET \(crm)/entities/{entity}/entries": .role(.viewer),
        "POST \(crm)/entities/{entity}/entries": .role(.member),
        "GET \(crm)/entries/{entry}": .role(.viewer),
        "PUT \(crm)/entries/{entry}": .role(.member),
        "PATCH \(crm)/entries/{entry}": .role(.member),
        "DELETE \(crm)/entries/{entry}": .role(.member),
        "PUT \(crm)/entries/{entry}/stage": .role(.member),
        "PATCH \(crm)/entries/{entry}/stage": .role(.member),
        "GET \(crm)/entries/{entry}/history": .role(.viewer),
        "GET \(crm)/entries/{entry}/timeline": .role(.viewer),
        "PUT \(crm)/entries/{entry}/associations": .role(.member),
        "GET \(crm)/entities/{entity}/entries/{entry}": .role(.viewer),
        "PUT \(crm)/entities/{entity}/entries/{entry}": .role(.member),
        "PATCH \(crm)/entities/{entity}/entries/{entry}": .role(.member),
        "DELETE \(crm)/entities/{entity}/entries/{entry}": .role(.member),
        "PUT \(crm)/entities/{entity}/entries/{entry}/stage": .role(.member),
        "PATCH \(crm)/entities/{entity}/entries/{entry}/stage": .role(.member),
        "GET \(crm)/entities/{entity}/entries/{entry}/history": .role(.viewer),
        "GET \(crm)/entities/{entity}/entries/{entry}/timeline": .role(.viewer),
        "PUT \(crm)/entities/{entity}/entries/{entry}/associations": .role(.member),
        "GET \(crm)/entities/{entity}/fields": .role(.viewer),
        "POST \(crm)/entities/{entity}/fields": .role(.member),
        "PUT \(crm)/fields/reorder": .role(.member),
        "GET \(crm)/fields/{field}": .role(.viewer),
        "PUT \(crm)/fields/{field}": .role(.member),
        "PATCH \(crm)/fields/{field}": .role(.member),
        "DELETE \(crm)/fields/{field}": .role(.admin),

        // Analytics
        "GET /v1/analytics/rfm": .role(.viewer),
        "GET /v1/analytics/clv": .role(.viewer),
        "GET /v1/analytics/clv/calibration": .role(.viewer),
        "POST /v1/analytics/recompute": .role(.member),

        // Segments
        "GET /v1/segments": .role(.viewer),
        "POST /v1/segments": .role(.member),
        "POST /v1/segments/preview": .role(.member),
        "GET /v1/segments/changes": .role(.viewer),
        "GET /v1/segments/{id}": .role(.viewer),
        "PUT /v1/segments/{id}": .role(.member),
        "PATCH /v1/segments/{id}": .role(.member),
        "DELETE /v1/segments/{id}": .role(.admin),
        "GET /v1/segments/{id}/history": .role(.viewer),
        "GET /v1/segments/{id}/export.csv": .role(.admin),

        // Automations
        "GET /v1/automations": .role(.viewer),
        "POST /v1/automations": .role(.member),
        "GET /v1/automations/{id}": .role(.viewer),
        "PUT /v1/automations/{id}": .role(.member),
        "DELETE /v1/automations/{id}": .role(.admin),
        "GET /v1/automations/{id}/design": .role(.viewer),
        "POST /v1/automations/{id}/design": .role(.member),
        "POST /v1/automations/{id}/draft": .role(.member),
        "POST /v1/automations/{id}/activate": .role(.admin),
        "POST /v1/automations/{id}/deactivate": .role(.admin),
        "GET /v1/automations/{id}/enrolments": .role(.viewer),

        // Campaigns
        "GET /v1/campaigns": .role(.viewer),
        "POST /v1/campaigns": .role(.member),
        "GET /v1/campaigns/settings": .role(.viewer),
        "PUT /v1/campaigns/settings": .role(.admin),
        "GET /v1/campaigns/audience-size": .role(.viewer),
        "GET /v1/campaigns/segments": .role(.viewer),
        "GET /v1/campaigns/{id}": .role(.viewer),
        "PUT /v1/campaigns/{id}": .role(.member),
        "DELETE /v1/campaigns/{id}": .role(.admin),
        "POST /v1/campaigns/{id}/send": .role(.admin),
        "POST /v1/campaigns/{id}/cancel": .role(.admin),
        "POST /v1/campaigns/{id}/test": .role(.member),
        "GET /v1/campaigns/{id}/audience.csv": .role(.admin),
        "GET /v1/campaigns/{id}/report": .role(.viewer),
        "POST /v1/campaigns/{id}/preview": .role(.member),
        "GET /v1/mailbox": .role(.viewer),
        "GET /v1/mailbox/{name}": .role(.viewer),
        "GET /t/o/{file}": .anyone,
        "GET /t/c/{token}": .anyone,
        "GET /t/u/{token}": .anyone,
        "POST /t/u/{token}": .anyone,

        // Email templates
        "GET /v1/email-templates": .role(.viewer),
        "POST /v1/email-templates": .role(.member),
        "POST /v1/email-templates/preview": .role(.member),
        "GET /v1/email-templates/{id}": .role(.viewer),
        "PUT /v1/email-templates/{id}": .role(.member),
        "PATCH /v1/email-templates/{id}": .role(.member),
        "DELETE /v1/email-templates/{id}": .role(.member),
        "POST /v1/email-templates/{id}/preview": .role(.member),

        // The home dashboard
        "GET /v1/dashboard": .role(.viewer),
    ]

    /// Actions that a field of a request can take, beside its route: the same rule as the
    /// route that does it openly (scheduling a campaign sends it; `is_active: true` on an
    /// automation activates it; changing the design or trigger of an active automation puts
    /// a new flow live, as activating does; making or changing an owner; the audit log's
    /// retention, which decides how soon its entries are gone).
    package enum Action: String, Sendable, CaseIterable {
        case sendCampaign = "campaign.send"
        case activateAutomation = "automation.activate"
        case editActiveAutomation = "automation.edit_active"
        case changeOwners = "members.change_owner"
        case changeAuditRetention = "workspace.audit_retention"
        /// Editing or deleting a note somebody else wrote (its author always may).
        case editOthersNotes = "notes.edit_others"

        /// The least role that may.
        var least: Role {
            switch self {
            case .sendCampaign: Permissions.least("POST /v1/campaigns/{id}/send")
            case .activateAutomation, .editActiveAutomation: Permissions.least("POST /v1/automations/{id}/activate")
            case .changeOwners, .changeAuditRetention: .owner
            case .editOthersNotes: .admin
            }
        }

        /// Said in the 403.
        var refusal: String {
            switch self {
            case .sendCampaign: "Only owners and admins can send or schedule campaigns."
            case .activateAutomation: "Only owners and admins can activate or deactivate automations."
            case .editActiveAutomation: "Only owners and admins can change the design, trigger or re-entry of an active automation."
            case .changeOwners: "Only an owner can change an owner or make one."
            case .changeAuditRetention: "Only owners can change how long the audit log is kept."
            case .editOthersNotes: "Only the note's author, owners and admins can change or delete a note."
            }
        }
    }

    private static func least(_ route: String) -> Role {
        if case .role(let role)? = routes[route] { return role }
        return .owner
    }

    /// The 403 when `principal` may not call the route named `name` (its need `need`);
    /// nil when it may. A route without an entry is refused to everybody.
    package static func refusal(_ need: Need?, name: String, principal: Principal?) -> HTTPError? {
        guard let need else { return .forbidden("This route has no entry in the permission table, so nobody may call it.") }
        guard case .role(let least) = need else { return nil }
        // No principal here only if the route's Access is .anyone while the table asks for a
        // role: a contradiction, refused.
        guard let principal else { return .forbidden("This route needs a signed-in member.") }
        // Keys are bounded by their route's Access (Authenticator), not by roles.
        guard let role = principal.role else { return nil }
        return role >= least ? nil : .forbidden(describe(least) + " can do this; your role is \(role.rawValue).")
    }

    /// Throws 403 unless the caller may take `action` (a secret key may).
    package static func require(_ c: Context, _ action: Action) throws {
        guard let role = c.principal?.role else { return }
        if role < action.least { throw HTTPError.forbidden(action.refusal) }
    }

    static func allows(_ c: Context, _ action: Action) -> Bool {
        guard let role = c.principal?.role else { return true }
        return role >= action.least
    }

    /// "Only owners and admins" for `.admin`.
    static func describe(_ least: Role) -> String {
        switch least {
        case .owner: "Only owners"
        case .admin: "Only owners and admins"
        case .member: "Only owners, admins and members"
        case .viewer: "Every member"
        }
    }

    /// The matrix for the console and clients: each route's least role, each action's, and
    /// what the caller's role may call (`allowed`) and take (`allowed_actions`).
    package static func json(for role: Role?) -> JSON {
        var table = JSONObject()
        var allowed: [JSON] = []
        for name in routes.keys.sorted() {
            switch routes[name]! {
            case .anyone:
                table[name] = "anyone"
                allowed.append(.string(name))
            case .role(let least):
                table[name] = .string(least.rawValue)
                if let role, role >= least { allowed.append(.string(name)) }
            }
        }
        var actions = JSONObject()
        var allowedActions: [JSON] = []
        for action in Action.allCases {
            actions[action.rawValue] = .string(action.least.rawValue)
            if let role, role >= action.least { allowedActions.append(.string(action.rawValue)) }
        }
        return [
            "role": role.map { .string($0.rawValue) } ?? .null,
            "roles": .array(Role.allCases.sorted().map { .string($0.rawValue) }),
            "routes": .object(table),
            "actions": .object(actions),
            "allowed": .array(allowed),
            "allowed_actions": .array(allowedActions),
        ]
    }
}
