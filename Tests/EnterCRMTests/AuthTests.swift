import Cryptography
@testable import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
@testable import Accounts

@Suite struct RegisterAndLoginTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    @Test func registerAnswersTheSeedShapeAndSlugifiesTheName() throws {
        let suffix = TestDatabase.unique("x")
        let email = "jane.\(suffix)@company.com"
        let r = client.send("POST", "/v1/auth/register", [
            "name": "Jane Smith", "email": .string(email.uppercased()), "password": "secret123",
            "workspace_name": .string("Kovač & Sons \(suffix)"),
        ])
        #expect(r.status == 201)
        #expect(r.json.objectValue?.keys == ["token", "user", "tenant"])
        #expect(r["user"]?.objectValue?.keys == ["id", "name", "email"])
        #expect(r["user"]?["email"] == .string(email), "emails are stored lowercased")
        #expect(r["tenant"]?.objectValue?.keys == ["id", "name", "slug"])
        #expect(r["tenant"]?["slug"] == .string("kovac-sons-\(suffix.replacingOccurrences(of: "_", with: "-"))"))
        #expect(r["token"]?.stringValue?.split(separator: ".").count == 3)
    }

    @Test func sameWorkspaceNameGetsAUniqueSlug() {
        let name = TestDatabase.unique("Acme")
        let a = client.register(workspace: name), b = client.register(workspace: name)
        #expect(a.slug != b.slug)
        #expect(b.slug.hasPrefix(a.slug))
    }

    @Test func aTakenAddressAnswersLikeAFreeOneAndInvalidFieldsAre422NamingThem() {
        let first = client.register()
        let dup = client.send("POST", "/v1/auth/register", ["name": "X", "email": .string(first.email), "password": "secret123", "workspace_name": "W"])
        let free = client.send("POST", "/v1/auth/register", ["name": "X", "email": .string(TestDatabase.unique("free") + "@company.com"),
                                                               "password": "secret123", "workspace_name": "W"])
        #expect(dup.status == 201 && free.status == 201)
        #expect(dup.json.objectValue?.keys == free.json.objectValue?.keys)
        #expect(dup["user"]?.objectValue?.keys == free["user"]?.objectValue?.keys)

        let empty = client.send("POST", "/v1/auth/register", [:])
        #expect(empty.status == 422)
        #expect(empty["errors"]?.objectValue?.keys == ["name", "email", "password", "workspace_name"])

        let bad = client.send("POST", "/v1/auth/register", ["name": "X", "email": "not-an-email", "password": "short", "workspace_name": .int(5)])
        #expect(bad.status == 422)
        #expect(bad["errors"]?.objectValue?.keys == ["email", "password", "workspace_name"])
        #expect(client.send("POST", "/v1/auth/register", nil).status == 400)
    }

    @Test func loginAnswersTheSeedShape() {
        let user = client.register()
        let r = client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "secret123"])
        #expect(r.status == 200)
        #expect(r.json.objectValue?.keys == ["token", "user", "tenant"])
        #expect(r["user"]?.objectValue?.keys == ["id", "name", "email", "created_at"])
        #expect(r["tenant"]?["id"]?.intValue == user.tenantID)
    }

    @Test func wrongCredentialsGiveTheSame401WithoutAHint() {
        let user = client.register()
        let wrongPassword = client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "wrong-password"])
        let unknownEmail = client.send("POST", "/v1/auth/login", ["email": .string("nobody-\(UUID())@example.com"), "password": "secret123"])
        #expect(wrongPassword.status == 401 && unknownEmail.status == 401)
        #expect(wrongPassword.json == unknownEmail.json)
    }

    @Test func failuresSlowTheSourceNotTheHolder() throws {
        let user = client.register()
        let attacker = "10.66.0.\(Int.random(in: 1...250))"
        func login(_ password: String, from address: String) -> TestClient.Reply {
            client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": .string(password)], from: address)
        }
        for _ in 0..<5 { #expect(login("nope-nope", from: attacker).status == 401) }
        // The source waits now, even with the right password.
        let waiting = login("secret123", from: attacker)
        #expect(waiting.status == 429 && waiting["message"]?.stringValue != nil)
        #expect(waiting.response.header("Retry-After") == String(AuthRoutes.firstDelay))
        // The holder, elsewhere, is not locked out.
        #expect(login("secret123", from: "10.67.0.1").status == 200)
        // The wait over (made to pass in the database), a sixth failure doubles it.
        try client.db.execute("UPDATE login_throttle SET blocked_until = UTC_TIMESTAMP(6) WHERE email = \(user.email) AND ip = \(attacker)")
        #expect(login("nope-nope", from: attacker).status == 401)
        #expect(login("secret123", from: attacker).response.header("Retry-After") == String(2 * AuthRoutes.firstDelay))
        try client.db.execute("UPDATE login_throttle SET blocked_until = UTC_TIMESTAMP(6) WHERE email = \(user.email) AND ip = \(attacker)")
        #expect(login("secret123", from: attacker).status == 200)
        #expect(try client.db.queryOne("SELECT failures FROM login_throttle WHERE email = \(user.email) AND ip = \(attacker)") == nil,
                "a success clears the source's count")
        // Every failure and success is in the audit log of the account's workspace.
        let failed = try client.db.queryOne("""
            SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = \(user.tenantID) AND action = 'auth.login_failed' AND ip = \(attacker)
            """)?.int("n")
        #expect(failed == 6)
        // A pair quiet for longer than the longest wait starts again from zero.
        let stale = "10.68.0.\(Int.random(in: 1...250))"
        for _ in 0..<5 { #expect(login("nope-nope", from: stale).status == 401) }
        try client.db.execute("""
            UPDATE login_throttle SET blocked_until = NULL, updated_at = UTC_TIMESTAMP(6) - INTERVAL \(AuthRoutes.longestDelay + 1) SECOND
            WHERE email = \(user.email) AND ip = \(stale)
            """)
        #expect(login("nope-nope", from: stale).status == 401)
        #expect(login("secret123", from: stale).status == 200, "one failure after a quiet spell is not a sixth")
        let unknown = "nobody-\(UUID())@example.com"
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(unknown), "password": "x"], from: attacker).status == 401)
        #expect(try client.db.queryOne("""
            SELECT tenant_id FROM audit_log WHERE action = 'auth.login_failed' AND actor_label = \(unknown)
            """)?.optionalInt("tenant_id") == nil)
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'auth.login_failed' AND actor_label = \(unknown)")?.int("n") == 1)
    }

    @Test func loginChoosesTheWorkspace() {
        let user = client.register()
        let second = client.send("POST", "/v1/workspaces", ["name": "Second"], token: user.token)
        #expect(second.status == 201)
        let slug = second["slug"]!.stringValue!
        let r = client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "secret123", "workspace": .string(slug)])
        #expect(r["tenant"]?["slug"] == .string(slug))
        let other = client.register()
        let refused = client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "secret123", "workspace": .string(other.slug)])
        #expect(refused.status == 422)
    }

    @Test func passwordsAreStoredWithScryptOnly() throws {
        let user = client.register(password: "my secret phrase")
        let stored = try #require(try client.db.queryOne("SELECT password_hash FROM users WHERE id = \(user.userID)")?.string("password_hash"))
        #expect(stored.hasPrefix("$scrypt$ln="))
        #expect(!stored.contains("my secret phrase"))
    }
}

@Suite struct TokenTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    let jwt = JWT(secret: Array("test-secret-test-secret-test-secret!".utf8))

    @Test func missingOrBrokenCredentialsAre401() {
        #expect(client.send("GET", "/v1/auth/me").status == 401)
        #expect(client.send("GET", "/v1/auth/me", token: "garbage").status == 401)
        #expect(client.send("GET", "/v1/auth/me", headers: ["authorization": "Basic abc"]).status == 401)
        #expect(client.send("GET", "/v1/auth/me", key: "eck_unknown").status == 401)
    }

    @Test func refusesAlgNoneWrongSignatureExpiredAndRevoked() throws {
        let user = client.register()
        #expect(client.send("GET", "/v1/auth/me", token: user.token).status == 200)
        let parts = user.token.split(separator: ".").map(String.init)
        let none = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        #expect(client.send("GET", "/v1/auth/me", token: "\(none).\(parts[1]).").status == 401)
        #expect(client.send("GET", "/v1/auth/me", token: "\(parts[0]).\(parts[1]).\(Base64URL.encode(Array(repeating: 1, count: 32)))").status == 401)
        let forged = JWT(secret: Array("some-other-secret-some-other-secret!".utf8))
        let claims = try jwt.verify(user.token)
        #expect(client.send("GET", "/v1/auth/me", token: forged.sign(claims)).status == 401)
        var expired = claims
        expired.exp = Int(Date().timeIntervalSince1970) - 1
        let r = client.send("GET", "/v1/auth/me", token: jwt.sign(expired))
        #expect(r.status == 401 && r["message"] == "The token has expired.")
        // A validly signed token whose jti was never issued.
        var unknown = claims
        unknown.jti = Random.hex(bytes: 16)
        #expect(client.send("GET", "/v1/auth/me", token: jwt.sign(unknown)).status == 401)
        // Claims that point at another user than the session's.
        var otherUser = claims
        otherUser.sub = claims.sub + 100_000
        #expect(client.send("GET", "/v1/auth/me", token: jwt.sign(otherUser)).status == 401)
    }

    @Test func logoutRevokesAtOnce() {
        let user = client.register()
        let r = client.send("POST", "/v1/auth/logout", token: user.token)
        #expect(r.status == 200 && r.json == ["message": "Logged out successfully."])
        #expect(client.send("GET", "/v1/auth/me", token: user.token).status == 401)
    }

    @Test func tokensCarryTheClaims() throws {
        let user = client.register()
        let claims = try jwt.verify(user.token)
        #expect(claims.sub == user.userID && claims.tid == user.tenantID)
        #expect(claims.exp - claims.iat == 7 * 24 * 3600)
        #expect(claims.jti.count == 32)
    }

    @Test func meAndSwitchWorkspace() throws {
        let user = client.register()
        let me = client.send("GET", "/v1/auth/me", token: user.token)
        #expect(me["role"] == "owner")
        #expect(me["tenant"]?["id"]?.intValue == user.tenantID)
        let second = client.send("POST", "/v1/workspaces", ["name": "Branch Office"], token: user.token)
        let switched = client.send("POST", "/v1/auth/switch", ["workspace": second["slug"]!], token: user.token)
        #expect(switched.status == 200)
        let newToken = try #require(switched["token"]?.stringValue)
        #expect(client.send("GET", "/v1/auth/me", token: newToken)["tenant"]?["id"] == second["id"])
        #expect(client.send("GET", "/v1/auth/me", token: user.token).status == 401, "the old token is revoked")
        let me2 = client.send("GET", "/v1/auth/me", token: newToken)
        #expect(me2["workspaces"]?.arrayValue?.count == 2)
        let stranger = client.register()
        #expect(client.send("POST", "/v1/auth/switch", ["workspace": .string(stranger.slug)], token: newToken).status == 404)
    }

    @Test func sessionsCanBeListedAndRevoked() throws {
        let user = client.register()
        let other = client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "secret123"], headers: ["user-agent": "Firefox/140"])
        let otherToken = try #require(other["token"]?.stringValue)
        let list = client.send("GET", "/v1/auth/sessions", token: user.token)
        let sessions = try #require(list["data"]?.arrayValue)
        #expect(sessions.count == 2)
        #expect(sessions.filter { $0["current"] == true }.count == 1)
        let firefox = try #require(sessions.first { $0["user_agent"] == "Firefox/140" })
        #expect(client.send("DELETE", "/v1/auth/sessions/\(firefox["id"]!.intValue!)", token: user.token).status == 200)
        #expect(client.send("GET", "/v1/auth/me", token: otherToken).status == 401)
        #expect(client.send("DELETE", "/v1/auth/sessions/\(firefox["id"]!.intValue!)", token: user.token).status == 404)
        // Another user's session is not found, not forbidden.
        let stranger = client.register()
        let strangerSession = client.send("GET", "/v1/auth/sessions", token: stranger.token)["data"]!.arrayValue![0]["id"]!.intValue!
        #expect(client.send("DELETE", "/v1/auth/sessions/\(strangerSession)", token: user.token).status == 404)
        #expect(client.send("GET", "/v1/auth/me", token: stranger.token).status == 200)
    }

    @Test func changingThePasswordRevokesTheOtherSessions() throws {
        let user = client.register()
        let other = try #require(client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "secret123"])["token"]?.stringValue)
        let wrong = client.send("POST", "/v1/auth/password", ["current_password": "nope", "password": "new-password-1"], token: user.token)
        #expect(wrong.status == 422 && wrong["errors"]?["current_password"] != nil)
        let r = client.send("POST", "/v1/auth/password", ["current_password": "secret123", "password": "new-password-1"], token: user.token)
        #expect(r.status == 200 && r["revoked_sessions"] == 1)
        #expect(client.send("GET", "/v1/auth/me", token: other).status == 401)
        #expect(client.send("GET", "/v1/auth/me", token: user.token).status == 200)
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "secret123"]).status == 401)
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "new-password-1"]).status == 200)
    }
}

/// The hourly `accounts.prune` removes what sign-ins and e-mailed links leave behind, and
/// nothing that still counts: a throttle still waiting, a recent failure, a live link or session.
@Suite struct AccountHousekeepingTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    @Test func leftoversGoAndWhatStillCountsStays() throws {
        let user = client.register()
        let db = client.db
        let mark = TestDatabase.unique("prune")
        let quiet = AuthRoutes.longestDelay + 60
        try db.execute("""
            INSERT INTO login_throttle (email, ip, failures, blocked_until, updated_at) VALUES
            (\(mark + "-stale@x.io"), '10.1.0.1', 3, NULL, UTC_TIMESTAMP(6) - INTERVAL \(quiet) SECOND),
            (\(mark + "-recent@x.io"), '10.1.0.2', 3, NULL, UTC_TIMESTAMP(6) - INTERVAL 60 SECOND),
            (\(mark + "-blocked@x.io"), '10.1.0.3', 9, UTC_TIMESTAMP(6) + INTERVAL 600 SECOND, UTC_TIMESTAMP(6) - INTERVAL \(quiet) SECOND)
            """)
        try db.execute("""
            INSERT INTO account_tokens (user_id, purpose, token_hash, expires_at, created_at) VALUES
            (\(user.userID), 'password_reset', SHA2(\(mark + "old"), 256), UTC_TIMESTAMP(6) - INTERVAL 2 DAY, UTC_TIMESTAMP(6) - INTERVAL 2 DAY),
            (\(user.userID), 'verify_email', SHA2(\(mark + "live"), 256), UTC_TIMESTAMP(6) + INTERVAL 1 HOUR, UTC_TIMESTAMP(6))
            """)
        try db.execute("""
            INSERT INTO sessions (jti, tenant_id, user_id, created_at, last_used_at, expires_at) VALUES
            (LEFT(SHA2(\(mark + "s-old"), 256), 32), \(user.tenantID), \(user.userID),
             UTC_TIMESTAMP(6) - INTERVAL 60 DAY, UTC_TIMESTAMP(6) - INTERVAL 60 DAY, UTC_TIMESTAMP(6) - INTERVAL 31 DAY),
            (LEFT(SHA2(\(mark + "s-recent"), 256), 32), \(user.tenantID), \(user.userID),
             UTC_TIMESTAMP(6) - INTERVAL 20 DAY, UTC_TIMESTAMP(6) - INTERVAL 20 DAY, UTC_TIMESTAMP(6) - INTERVAL 2 DAY)
            """)
        try AccountHousekeeping.prune(db)
        let throttled = try db.query("SELECT email FROM login_throttle WHERE email LIKE \(mark + "%") ORDER BY email").map { try $0.string("email") }
        #expect(throttled == [mark + "-blocked@x.io", mark + "-recent@x.io"])
        let tokens = try db.query("SELECT purpose FROM account_tokens WHERE token_hash IN (SHA2(\(mark + "old"), 256), SHA2(\(mark + "live"), 256))")
        #expect(try tokens.map { try $0.string("purpose") } == ["verify_email"])
        let sessions = try db.query("""
            SELECT jti FROM sessions WHERE jti IN (LEFT(SHA2(\(mark + "s-old"), 256), 32), LEFT(SHA2(\(mark + "s-recent"), 256), 32))
            """)
        #expect(try sessions.map { try $0.string("jti") } == [String(Digest.sha256(mark + "s-recent").hexString.prefix(32))])
        // The user's own sign-in session (made by register) is untouched.
        #expect(client.send("GET", "/v1/auth/me", token: user.token).status == 200)
        #expect(JobKinds.registry().entries[AccountHousekeeping.kind] != nil)
        #expect(JobKinds.registry().schedules.contains { $0.kind == AccountHousekeeping.kind })
    }
}
