import Cryptography
import Foundation
import MariaDB
import Web
import Core

/// What an emailed link proves: the address (verification), the right to set a new password
/// (forgot password), and an invitation accepted by the holder of its address.
extension AuthRoutes {
    // MARK: Proving the address

    /// Marks the signed-in account verified with the emailed link of THAT account: the link
    /// alone is not enough, or whoever registered with someone else's address would have its
    /// holder confirm it with one click (a link of another account: 422, and it stays unused).
    /// An address verified by another account meanwhile cannot be verified again (the unique
    /// key on verified_email).
    @Sendable static func verifyEmail(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let token = input.string("token", max: 200)
        try input.check()
        let refused = HTTPError.invalid("token", "The link is invalid, used or expired. Ask for a new one.")
        try c.db.transaction {
            guard let userID = try AccountStore.consumeAccountToken(c.db, token!, purpose: .verifyEmail, account: c.userID) else { throw refused }
            do {
                try c.db.execute("""
                    UPDATE users SET email_verified_at = COALESCE(email_verified_at, UTC_TIMESTAMP(6)), updated_at = UTC_TIMESTAMP(6)
                    WHERE id = \(userID)
                    """)
            } catch let error as MariaDBError where error.isDuplicateKey {
                throw HTTPError.invalid("token", "This address has been verified by another account.")
            }
            for tenant in try AccountStore.tenantIDs(c.db, userID: userID) {
                try AuditLog.record(c, "auth.email_verified", tenantID: tenant, target: ("user", userID), actorUserID: userID)
            }
        }
        return .json(["message": "Your email address is verified.", "email_verified": true])
    }

    /// Sends the signed-in account a new verification link (the older ones die). Once a
    /// minute at most; the answer is the same whether or not a message went out.
    @Sendable static func resendVerification(_ c: Context) throws -> Response {
        guard let row = try c.db.queryOne("""
            SELECT name, email, email_verified_at IS NOT NULL AS verified,
                   EXISTS (SELECT 1 FROM users o WHERE o.verified_email = u.email) AS taken
            FROM users u WHERE id = \(c.userID)
            """) else { throw HTTPError.unauthorized() }
        if try row.bool("verified") { return .json(["message": "Your email address is already verified.", "email_verified": true]) }
        let token: String? = try c.db.transaction {
            if try row.bool("taken") || AccountStore.recentlySent(c.db, userID: c.userID, purpose: .verifyEmail) { return nil }
            return try AccountStore.issueAccountToken(c.db, userID: c.userID, purpose: .verifyEmail)
        }
        if let token { sendVerification(to: try row.string("email"), name: try row.string("name"), userID: c.userID, token: token) }
        return .json(["message": "If the address can be verified, a new link is on its way.", "email_verified": false], status: 202)
    }

    // MARK: Forgot password

    static let resetAnswer: JSON = ["message": "If an account uses this address, a link to reset its password is on its way."]

    /// Always 202 with the same answer. The link (1 hour, single use) goes to the verified
    /// account of the address, else to its newest unverified one, at the address that account
    /// holds (never the one typed: addresses compare exactly but for case, see schema/023).
    @Sendable static func requestPasswordReset(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let email = input.email()
        try input.check()
        guard let row = try c.db.queryOne("""
            SELECT id, name, email FROM users WHERE email = \(email!) ORDER BY email_verified_at IS NULL, id DESC LIMIT 1
            """) else { return .json(resetAnswer, status: 202) }
        let userID = try row.int("id")
        let token: String? = try c.db.transaction {
            if try AccountStore.recentlySent(c.db, userID: userID, purpose: .passwordReset) { return nil }
            return try AccountStore.issueAccountToken(c.db, userID: userID, purpose: .passwordReset)
        }
        if let token {
            SystemMail.send(.init(to: try row.string("email"), toName: row.optionalString("name"), subject: "Reset your EnterCRM password",
                                  paragraphs: ["Someone (we hope you) asked to reset the password of the EnterCRM account of this address.",
                                               "The link works once, for one hour. Setting a new password signs the account out everywhere. If you did not ask, ignore this message: your password stays as it is."],
                                  link: ("Choose a new password", SystemMail.link("reset-password", token: token))),
                            reader: .account(userID), kind: "reset")
        }
        return .json(resetAnswer, status: 202)
    }

    /// Sets the new password, revokes every session of the account and kills its other reset
    /// links. The link proves the address, so an unverified account becomes verified (unless
    /// another account holds it).
    @Sendable static func confirmPasswordReset(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let token = input.string("token", max: 200)
        let new = password(&input)
        try input.check()
        let hash = c.services.hasher.hash(new!)
        let revoked: Int = try c.db.transaction {
            guard let userID = try AccountStore.consumeAccountToken(c.db, token!, purpose: .passwordReset) else {
                throw HTTPError.invalid("token", "The link is invalid, used or expired. Ask for a new one.")
            }
            try c.db.execute("UPDATE users SET password_hash = \(hash), updated_at = UTC_TIMESTAMP(6) WHERE id = \(userID)")
            try AccountStore.revokeAccountTokens(c.db, userID: userID, purpose: .passwordReset)
            let taken = try c.db.queryOne("""
                SELECT 1 AS x FROM users u JOIN users o ON o.verified_email = u.email AND o.id <> u.id WHERE u.id = \(userID)
                """) != nil
            if !taken {
                try c.db.execute("UPDATE users SET email_verified_at = COALESCE(email_verified_at, UTC_TIMESTAMP(6)) WHERE id = \(userID)")
            }
            let revoked = try c.db.execute("""
                UPDATE sessions SET revoked_at = UTC_TIMESTAMP(6) WHERE user_id = \(userID) AND revoked_at IS NULL
                """).affectedRows
            for tenant in try AccountStore.tenantIDs(c.db, userID: userID) {
                try AuditLog.record(c, "auth.password_reset", tenantID: tenant, target: ("user", userID), actorUserID: userID,
                                    details: ["revoked_sessions": .int(revoked)])
            }
            return revoked
        }
        return .json(["message": "Your password is changed. Sign in with it.", "revoked_sessions": .int(revoked)])
    }

    // MARK: Invitations

    /// Joins the workspace of an emailed invitation. Two cases:
    /// - with a bearer token: the signed-in account joins, if its VERIFIED address is the
    ///   invitation's (an unverified account never joins another workspace);
    /// - without: a new person chooses a password; the account is made verified (the link
    ///   proved the address). If a verified account has the address, it must sign in (409).
    @Sendable static func acceptInvitation(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let token = input.string("token", max: 200)
        let bearer = c.request.header("authorization").map { !$0.isEmpty } ?? false
        let new = bearer ? nil : password(&input)
        let name = input.string("name", required: false, max: 120)
        try input.check()
        let account = bearer ? try Authenticator.authenticate(c, access: .user) : nil
        let refused = HTTPError.invalid("token", "The invitation is invalid, revoked or expired.")
        guard token!.hasPrefix("eci_"), let invitation = try c.db.queryOne("""
            SELECT id, tenant_id, email, name, role FROM invitations
            WHERE token_hash = \(Digest.sha256(token!).hexString) AND accepted_at IS NULL AND revoked_at IS NULL
              AND expires_at > UTC_TIMESTAMP(6)
            """)
        else { throw refused }
        let email = try invitation.string("email"), tenantID = try invitation.int("tenant_id")
        let role = Role(rawValue: try invitation.string("role")) ?? .member
        let passwordHash = new.map(c.services.hasher.hash)
        let (userID, sessionToken): (Int, String) = try c.db.transaction {
            let claimed = try c.db.execute("""
                UPDATE invitations SET accepted_at = UTC_TIMESTAMP(6) WHERE id = \(try invitation.int("id")) AND accepted_at IS NULL AND revoked_at IS NULL
                """).affectedRows
            guard claimed == 1 else { throw refused }
            let userID: Int
            if let account, let id = account.userID {
                guard try c.db.queryOne("SELECT id FROM users WHERE id = \(id) AND verified_email = \(email)") != nil else {
                    throw HTTPError.forbidden("This invitation was sent to another address. Sign in with the account whose verified address received it.")
                }
                userID = id
            } else {
                if try AccountStore.verifiedAccount(c.db, email: email) != nil {
                    throw HTTPError.conflict("An account with this address exists: sign in with it, then accept the invitation.")
                }
                do {
                    userID = try AccountStore.createUser(c.db, name: name ?? invitation.optionalString("name") ?? email,
                                                         email: email, passwordHash: passwordHash, verified: true)
                } catch let error as MariaDBError where error.isDuplicateKey {
                    throw HTTPError.conflict("An account with this address exists: sign in with it, then accept the invitation.")
                }
            }
            try c.db.execute("UPDATE invitations SET user_id = \(userID) WHERE id = \(try invitation.int("id"))")
            try c.db.execute("""
                INSERT IGNORE INTO memberships (tenant_id, user_id, role, created_at)
                VALUES (\(tenantID), \(userID), \(role.rawValue), UTC_TIMESTAMP(6))
                """)
            try AuditLog.record(c, "member.invitation_accepted", tenantID: tenantID, target: ("invitation", try invitation.int("id")),
                                actorUserID: userID, actorLabel: email, details: ["role": .string(role.rawValue)])
            return (userID, try AccountStore.issueToken(c, userID: userID, tenantID: tenantID))
        }
        return try signedIn(c, userID: userID, tenantID: tenantID, token: sessionToken)
    }
}
