import Cryptography
import Foundation
import MariaDB
import Web
import Core

/// The members of a workspace and their roles. Owners and admins manage them; an admin
/// cannot touch owners or make one; the last owner can be neither removed nor demoted.
package enum MemberRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/users", .user, list)
        routes.post("/v1/users", .manager, add)
        routes.get("/v1/users/{id}", .user, show)
        routes.put("/v1/users/{id}", .manager, update)
        routes.delete("/v1/users/{id}", .manager, remove)
        routes.get("/v1/invitations", .manager, invitations)
        routes.post("/v1/invitations/{id}/resend", .manager, resendInvitation)
        routes.delete("/v1/invitations/{id}", .manager, revokeInvitation)
    }

    static let sortable = ["created_at", "name", "email", "role"]

    static func memberJSON(_ row: Row) -> JSON {
        var object = row.json(["id", "name", "email", "role", "created_at"]).objectValue!
        object["status"] = "active"
        return .object(object)
    }

    static func member(_ c: Context, userID: Int) throws -> Row {
        guard let row = try c.db.queryOne("""
            SELECT u.id, u.name, u.email, m.role, m.created_at
            FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.tenant_id = \(c.tenant) AND m.user_id = \(userID)
            """) else { throw HTTPError.notFound("Member not found.") }
        return row
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        let page = try Pagination(c.request, sortable: sortable, defaultSort: "created_at", defaultDescending: false)
        let order = page.order(["name": "u.name", "email": "u.email", "role": "FIELD(m.role, 'owner', 'admin', 'member', 'viewer')"],
                               fallback: "m.created_at", tiebreak: "u.id")
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM memberships WHERE tenant_id = \(c.tenant)")?.int("n") ?? 0
        let rows = try c.db.query("""
            SELECT u.id, u.name, u.email, m.role, m.created_at
            FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.tenant_id = \(c.tenant)
            ORDER BY \(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(rows.map(memberJSON), total: total))
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(memberJSON(try member(c, userID: try c.request.id())))
    }

    /// Invites a person: always an invitation, emailed to the address, answered with the
    /// invitation (never an account's details, never its token). A password cannot be given
    /// (422): people choose their own through the emailed link.
    @Sendable static func add(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let name = input.string("name", max: 120)
        let email = input.email()
        let role = input.oneOf("role", Role.allCases.map(\.rawValue), default: "member").flatMap(Role.init)
        if !(input.object["password"]?.isNull ?? true) {
            input.fail("password", "A password cannot be set for someone else: they choose their own through the invitation email.")
        }
        try input.check()
        if role == .owner, c.principal?.role != .owner { throw HTTPError.forbidden("Only an owner can invite an owner.") }
        let (id, token): (Int, String) = try c.db.transaction {
            if try c.db.queryOne("""
                SELECT u.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = \(c.tenant) AND u.email = \(email!)
                """) != nil {
                throw HTTPError.invalid("email", "This person is already a member of the workspace.")
            }
            if try c.db.queryOne("""
                SELECT id FROM invitations
                WHERE tenant_id = \(c.tenant) AND email = \(email!) AND accepted_at IS NULL AND revoked_at IS NULL
                  AND expires_at > UTC_TIMESTAMP(6)
                FOR UPDATE
                """) != nil {
                throw HTTPError.invalid("email", "An invitation to this address is pending: re-send it instead.")
            }
            let token = newInvitationToken()
            let id = try c.db.execute("""
                INSERT INTO invitations (tenant_id, email, name, role, user_id, token_hash, invited_by, expires_at, created_at)
                VALUES (\(c.tenant), \(email!), \(name!), \(role!.rawValue), NULL, \(Digest.sha256(token).hexString), \(c.userID),
                        UTC_TIMESTAMP(6) + INTERVAL \(invitationLifetime) SECOND, UTC_TIMESTAMP(6))
                """).lastInsertID
            try AuditLog.record(c, "member.invited", target: ("invitation", id),
                                details: ["email": .string(email!), "role": .string(role!.rawValue)])
            return (id, token)
        }
        let invitation = try invitationRow(c, id: id)
        try sendInvitation(c, invitation, token: token)
        return .json(invitationJSON(invitation), status: 201)
    }

    // MARK: Invitations

    static let invitationLifetime = 7 * 24 * 3600

    static func newInvitationToken() -> String { "eci_" + Random.base62(length: 40) }

    static func invitationRow(_ c: Context, id: Int) throws -> Row {
        guard let row = try c.db.queryOne("""
            SELECT i.id, i.email, i.name, i.role, i.expires_at, i.created_at, i.invited_by, u.name AS invited_by_name,
                   i.expires_at <= UTC_TIMESTAMP(6) AS expired
            FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
            WHERE i.tenant_id = \(c.tenant) AND i.id = \(id) AND i.accepted_at IS NULL AND i.revoked_at IS NULL
            """) else { throw HTTPError.notFound("Invitation not found.") }
        return row
    }

    /// The invitation as the API shows it: no token, no account's details.
    static func invitationJSON(_ row: Row) -> JSON {
        var object = row.json(["id", "name", "email", "role", "expires_at", "created_at"]).objectValue!
        object["status"] = .string(((try? row.bool("expired")) ?? false) ? "expired" : "invited")
        object["invited_by"] = row.optionalInt("invited_by").map { ["id": .int($0), "name": row.json("invited_by_name")] } ?? .null
        return .object(object)
    }

    /// Emails the link. Where an account holds the address verified, the development mailbox
    /// shows it to that account only; otherwise to nobody through the console.
    static func sendInvitation(_ c: Context, _ invitation: Row, token: String) throws {
        let email = try invitation.string("email")
        let holder = try AccountStore.verifiedAccount(c.db, email: email)
        let workspace = c.principal?.tenantName ?? "a workspace"
        let inviter = invitation.optionalString("invited_by_name") ?? "A colleague"
        SystemMail.send(.init(to: email, toName: invitation.optionalString("name"),
                              subject: "\(inviter) invited you to \(workspace) on EnterCRM",
                              paragraphs: ["\(inviter) invited you to join the workspace \(workspace) on EnterCRM as \(try invitation.string("role")).",
                                           "Open the link to accept: if you have an EnterCRM account with this address, sign in with it; if not, choose a password. The invitation expires in 7 days."],
                              link: ("Accept the invitation", SystemMail.link("accept-invitation", token: token))),
                        reader: holder.map(SystemMail.Reader.account) ?? .nobody, kind: "invitation")
    }

    /// Pending invitations (and expired ones not yet re-sent or revoked), newest first.
    @Sendable static func invitations(_ c: Context) throws -> Response {
        let page = try Pagination(c.request, sortable: ["created_at", "email"], defaultSort: "created_at")
        let order = page.order(["email": "i.email"], fallback: "i.created_at", tiebreak: "i.id")
        let total = try c.db.queryOne("""
            SELECT COUNT(*) AS n FROM invitations WHERE tenant_id = \(c.tenant) AND accepted_at IS NULL AND revoked_at IS NULL
            """)?.int("n") ?? 0
        let rows = try c.db.query("""
            SELECT i.id, i.email, i.name, i.role, i.expires_at, i.created_at, i.invited_by, u.name AS invited_by_name,
                   i.expires_at <= UTC_TIMESTAMP(6) AS expired
            FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
            WHERE i.tenant_id = \(c.tenant) AND i.accepted_at IS NULL AND i.revoked_at IS NULL
            ORDER BY \(order) LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(rows.map(invitationJSON), total: total))
    }

    /// A new token and 7 more days; the old link dies.
    @Sendable static func resendInvitation(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let token = newInvitationToken()
        try c.db.transaction {
            let row = try invitationRow(c, id: id)
            if try row.string("role") == Role.owner.rawValue, c.principal?.role != .owner {
                throw HTTPError.forbidden("Only an owner can re-send an owner's invitation.")
            }
            try c.db.execute("""
                UPDATE invitations SET token_hash = \(Digest.sha256(token).hexString),
                    expires_at = UTC_TIMESTAMP(6) + INTERVAL \(invitationLifetime) SECOND
                WHERE tenant_id = \(c.tenant) AND id = \(id)
                """)
            try AuditLog.record(c, "member.invitation_resent", target: ("invitation", id), details: ["email": row.json("email")])
        }
        let invitation = try invitationRow(c, id: id)
        try sendInvitation(c, invitation, token: token)
        return .json(invitationJSON(invitation))
    }

    @Sendable static func revokeInvitation(_ c: Context) throws -> Response {
        let id = try c.request.id()
        try c.db.transaction {
            let row = try invitationRow(c, id: id)
            if try row.string("role") == Role.owner.rawValue, c.principal?.role != .owner {
                throw HTTPError.forbidden("Only an owner can revoke an owner's invitation.")
            }
            try c.db.execute("UPDATE invitations SET revoked_at = UTC_TIMESTAMP(6) WHERE tenant_id = \(c.tenant) AND id = \(id)")
            try AuditLog.record(c, "member.invitation_revoked", target: ("invitation", id), details: ["email": row.json("email")])
        }
        return .json(["message": "Invitation revoked."])
    }

    /// Refuses changes an admin may not make, and any that would leave no owner.
    static func guardOwnership(_ c: Context, target: Row, newRole: Role?) throws {
        let targetRole = Role(rawValue: try target.string("role"))
        if targetRole == .owner || newRole == .owner { try Permissions.require(c, .changeOwners) }
        guard targetRole == .owner, newRole != .owner else { return }
        let owners = try c.db.query("""
            SELECT user_id FROM memberships WHERE tenant_id = \(c.tenant) AND role = 'owner' FOR UPDATE
            """)
        if owners.count <= 1 {
            throw HTTPError.invalid("role", newRole == nil ? "The last owner cannot be removed." : "The last owner cannot be demoted.")
        }
    }

    @Sendable static func update(_ c: Context) throws -> Response {
        let userID = try c.request.id()
        var input = try Input(c.request)
        let role = input.oneOf("role", Role.allCases.map(\.rawValue)).flatMap(Role.init)
        try input.check()
        try c.db.transaction {
            let target = try member(c, userID: userID)
            try guardOwnership(c, target: target, newRole: role)
            try c.db.execute("UPDATE memberships SET role = \(role!.rawValue) WHERE tenant_id = \(c.tenant) AND user_id = \(userID)")
            if try target.string("role") != role!.rawValue {
                try AuditLog.record(c, "member.role_changed", target: ("user", userID),
                                    details: ["email": target.json("email"), "from": target.json("role"), "to": .string(role!.rawValue)])
            }
        }
        return .json(memberJSON(try member(c, userID: userID)))
    }

    /// Removes the membership (the account stays), the person's teams here and their sessions here.
    @Sendable static func remove(_ c: Context) throws -> Response {
        let userID = try c.request.id()
        try c.db.transaction {
            let target = try member(c, userID: userID)
            try guardOwnership(c, target: target, newRole: nil)
            try AuditLog.record(c, "member.removed", target: ("user", userID), details: ["email": target.json("email"), "role": target.json("role")])
            try c.db.execute("DELETE FROM team_members WHERE tenant_id = \(c.tenant) AND user_id = \(userID)")
            try c.db.execute("DELETE FROM memberships WHERE tenant_id = \(c.tenant) AND user_id = \(userID)")
            try c.db.execute("""
                UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6)
                WHERE tenant_id = \(c.tenant) AND user_id = \(userID) AND revoked_at IS NULL
                """)
        }
        return .json(["message": "Member removed."])
    }
}
