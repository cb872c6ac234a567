import Cryptography
import Foundation
import MariaDB
import Web

/// The members of a workspace and their roles. Owners and admins manage them; an admin
/// cannot touch owners or make one; the last owner can be neither removed nor demoted.
enum MemberRoutes {
    static func register(_ routes: inout Routes) {
        routes.get("/v1/users", .user, list)
        routes.post("/v1/users", .manager, add)
        routes.get("/v1/users/{id}", .user, show)
        routes.put("/v1/users/{id}", .manager, update)
        routes.delete("/v1/users/{id}", .manager, remove)
    }

    static let sortable = ["created_at", "name", "email", "role"]

    static func memberJSON(_ row: Row) -> JSON {
        row.json(["id", "name", "email", "role", "created_at"])
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
        let order: SQL
        switch page.sort {
        case "name": order = "u.name"
        case "email": order = "u.email"
        case "role": order = "FIELD(m.role, 'owner', 'admin', 'member', 'viewer')"
        default: order = "m.created_at"
        }
        let direction: SQL = page.descending ? " DESC" : " ASC"
        let total = try c.db.queryOne("SELECT COUNT(*) AS n FROM memberships WHERE tenant_id = \(c.tenant)")?.int("n") ?? 0
        let rows = try c.db.query("""
            SELECT u.id, u.name, u.email, m.role, m.created_at
            FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.tenant_id = \(c.tenant)
            ORDER BY \(order)\(direction), u.id LIMIT \(page.perPage) OFFSET \(page.offset)
            """)
        return .json(page.envelope(rows.map(memberJSON), total: total))
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(memberJSON(try member(c, userID: try c.request.id())))
    }

    /// Adds a person: an existing account joins; a new one gets the password given, or an
    /// invitation token (shown once) to set one.
    @Sendable static func add(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let name = input.string("name", max: 120)
        let email = input.email()
        let role = input.oneOf("role", Role.allCases.map(\.rawValue), default: "member").flatMap(Role.init)
        var password: String?
        if !(input.object["password"]?.isNull ?? true) {
            password = AuthRoutes.password(&input)
        }
        try input.check()
        if role == .owner, c.principal?.role != .owner { throw HTTPError.forbidden("Only an owner can add an owner.") }

        var invitation: (token: String, expires: Date)?
        let existing = try c.db.queryOne("SELECT id FROM users WHERE email = \(email!)")?.int("id")
        let hash = existing == nil ? password.map(c.services.hasher.hash) : nil
        let userID: Int = try c.db.transaction {
            let userID: Int
            if let existing {
                if try c.db.queryOne("SELECT user_id FROM memberships WHERE tenant_id = \(c.tenant) AND user_id = \(existing)") != nil {
                    throw HTTPError.invalid("email", "This person is already a member of the workspace.")
                }
                userID = existing
            } else {
                userID = try AccountStore.createUser(c.db, name: name!, email: email!, passwordHash: hash)
                if hash == nil {
                    let token = "eci_" + Random.base62(length: 40)
                    let expires = Date().addingTimeInterval(7 * 24 * 3600)
                    try c.db.execute("""
                        INSERT INTO invitations (tenant_id, user_id, token_hash, invited_by, expires_at, created_at)
                        VALUES (\(c.tenant), \(userID), \(Digest.sha256(token).hexString), \(c.userID), \(expires), UTC_TIMESTAMP(6))
                        """)
                    invitation = (token, expires)
                }
            }
            try AccountStore.addMember(c.db, tenantID: c.tenant.id, userID: userID, role: role!)
            return userID
        }
        var object = memberJSON(try member(c, userID: userID)).objectValue!
        if let invitation {
            object["invitation_token"] = .string(invitation.token)
            object["invitation_expires_at"] = .date(invitation.expires)
        }
        return .json(.object(object), status: 201)
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
