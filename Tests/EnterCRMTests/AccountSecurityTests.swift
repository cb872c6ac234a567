@testable import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
@testable import Accounts

/// Issue 20, finding 1 and 5, and the review of the account code: each test sends the attack.
@Suite struct AccountSecurityTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    /// Mallory registers alice@ first; Alice's company invites alice@. Mallory must not join,
    /// learn nothing from the answers, and never get or use the invitation.
    @Test func registeringAnAddressFirstTakesOverNothing() throws {
        let alice = TestDatabase.unique("alice") + "@company.com"
        let mallory = client.register(name: "Mallory Attacker", email: alice, verified: false)
        let company = client.register(name: "Company Owner")
        let invited = client.send("POST", "/v1/users", ["name": "Alice", "email": .string(alice), "role": "admin"], token: company.token)
        #expect(invited.status == 201 && invited["status"] == "invited" && invited["name"] == "Alice")
        #expect(!invited.body.contains("Mallory") && invited["id"]?.intValue != mallory.userID)
        #expect(client.send("GET", "/v1/users", token: company.token)["meta"]?["total"] == 1, "nobody joined")
        #expect(client.send("GET", "/v1/auth/me", token: mallory.token)["workspaces"]?.arrayValue?.count == 1)
        // Mallory's console mailbox does not show mail sent to the address.
        let box = client.send("GET", "/v1/mailbox", token: mallory.token)
        #expect(box.status == 200 && !box.body.contains("invit"))
        // Even with the token in hand, an unverified account cannot accept.
        let token = try #require(TestMail.token(to: alice, page: "accept-invitation"))
        let refused = client.send("POST", "/v1/auth/accept-invitation", ["token": .string(token)], token: mallory.token)
        #expect(refused.status == 403)
        #expect(client.send("GET", "/v1/auth/me", token: mallory.token)["workspaces"]?.arrayValue?.count == 1)
        // Nor make another workspace while unverified.
        #expect(client.send("POST", "/v1/workspaces", ["name": "More"], token: mallory.token).status == 403)
        // The real Alice sets her password through the link: a new, verified account joins.
        let accepted = client.send("POST", "/v1/auth/accept-invitation", ["token": .string(token), "password": "alice-own-password"])
        #expect(accepted.status == 200 && accepted["user"]?["id"]?.intValue != mallory.userID)
        // Mallory's account can never be verified now, and signing in with Alice's password finds Alice's account.
        let mine = try #require(TestMail.token(to: alice, page: "verify-email"))
        let verify = client.send("POST", "/v1/auth/verify-email", ["token": .string(mine)], token: mallory.token)
        #expect(verify.status == 422 && verify["errors"]?["token"] != nil)
        let login = client.send("POST", "/v1/auth/login", ["email": .string(alice), "password": "alice-own-password"])
        #expect(login["tenant"]?["id"]?.intValue == company.tenantID)
        let old = client.send("POST", "/v1/auth/login", ["email": .string(alice), "password": "secret123"])
        #expect(old.status == 200 && old["tenant"]?["id"]?.intValue == mallory.tenantID, "Mallory keeps only her own workspace")
    }

    /// The admin who invites never sees the token: not in the answer, the list, a re-send, or
    /// the workspace's mailbox; re-sending kills the old link; revoked and expired are refused.
    @Test func theInvitingAdminCannotReadOrUseTheToken() throws {
        let owner = client.register()
        let email = TestDatabase.unique("bob") + "@company.com"
        let created = client.send("POST", "/v1/users", ["name": "Bob", "email": .string(email)], token: owner.token)
        let id = try #require(created["id"]?.intValue)
        let first = try #require(TestMail.token(to: email, page: "accept-invitation"))
        let list = client.send("GET", "/v1/invitations", token: owner.token)
        #expect(list["data"]?.arrayValue?.first?["status"] == "invited")
        let resent = client.send("POST", "/v1/invitations/\(id)/resend", token: owner.token)
        #expect(resent.status == 200)
        let second = try #require(TestMail.token(to: email, page: "accept-invitation"))
        #expect(first != second)
        for r in [created, list, resent, client.send("GET", "/v1/mailbox", token: owner.token)] {
            #expect(!r.body.contains(first) && !r.body.contains(second) && !r.body.contains("eci_"))
        }
        #expect(client.send("POST", "/v1/auth/accept-invitation", ["token": .string(first), "password": "admin-picked"]).status == 422,
                "the re-sent invitation's old link is dead")
        // Revoked.
        #expect(client.send("DELETE", "/v1/invitations/\(id)", token: owner.token).status == 200)
        #expect(client.send("POST", "/v1/auth/accept-invitation", ["token": .string(second), "password": "admin-picked"]).status == 422)
        #expect(client.send("DELETE", "/v1/invitations/\(id)", token: owner.token).status == 404)
        // Expired.
        let late = TestDatabase.unique("late") + "@company.com"
        let lateID = try #require(client.send("POST", "/v1/users", ["name": "Late", "email": .string(late)], token: owner.token)["id"]?.intValue)
        try client.db.execute("UPDATE invitations SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = \(lateID)")
        let expired = try #require(TestMail.token(to: late, page: "accept-invitation"))
        #expect(client.send("POST", "/v1/auth/accept-invitation", ["token": .string(expired), "password": "too-late-now"]).status == 422)
        #expect(client.send("GET", "/v1/invitations", token: owner.token)["data"]?.arrayValue?.first?["status"] == "expired")
        // Another workspace's invitation is not found.
        let stranger = client.register()
        #expect(client.send("DELETE", "/v1/invitations/\(lateID)", token: stranger.token).status == 404)
        #expect(client.send("POST", "/v1/invitations/\(lateID)/resend", token: stranger.token).status == 404)
        // The audit log has the invitations.
        let actions = try client.db.query("SELECT action FROM audit_log WHERE tenant_id = \(owner.tenantID) ORDER BY id").map { try $0.string("action") }
        #expect(actions.filter { $0.hasPrefix("member.invitation") || $0 == "member.invited" }
                == ["member.invited", "member.invitation_resent", "member.invitation_revoked", "member.invited"])
    }

    /// Registering a taken address answers as for a free one; the holder is told by mail.
    @Test func registrationDoesNotEnumerateAddresses() throws {
        let holder = client.register(name: "Holder")
        let taken = client.send("POST", "/v1/auth/register", ["name": "Probe", "email": .string(holder.email), "password": "secret123", "workspace_name": "P"])
        let free = client.send("POST", "/v1/auth/register", ["name": "Probe", "email": .string(TestDatabase.unique("free") + "@x.io"), "password": "secret123", "workspace_name": "P"])
        #expect(taken.status == free.status)
        #expect(taken.json.objectValue?.keys == free.json.objectValue?.keys)
        #expect(taken["user"]?["email"] == .string(holder.email) && taken["user"]?["id"]?.intValue != holder.userID)
        #expect(TestMail.messages(to: holder.email).last?.contains("tried to create an EnterCRM account") == true)
        // The probe cannot resend itself a verification link for the holder's address.
        let probe = try #require(taken["token"]?.stringValue)
        #expect(client.send("POST", "/v1/auth/verify-email/resend", token: probe).status == 202)
        #expect(TestMail.messages(to: holder.email).last?.contains("verify-email") == false)
        #expect(client.send("GET", "/v1/auth/me", token: probe)["user"]?["email_verified"] == false)
        // The holder still signs in to their own workspace.
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(holder.email), "password": "secret123"])["tenant"]?["id"]?.intValue == holder.tenantID)
    }

    /// Addresses compare exactly but for case: a look-alike with an accent (here the
    /// attacker's own domain) finds no account, so no reset link or "someone tried" mail
    /// reaches it; mail goes to the address the account holds, whatever case was typed.
    @Test func aLookAlikeAddressFindsNoAccount() throws {
        let local = TestDatabase.unique("alice")
        let alice = client.register(name: "Alice", email: local + "@company.com")
        let lookalike = local + "@compány.com"
        #expect(client.send("POST", "/v1/auth/password-reset", ["email": .string(lookalike)]).status == 202)
        #expect(TestMail.token(to: lookalike, page: "reset-password") == nil, "no reset link to the look-alike")
        #expect(TestMail.token(to: alice.email, page: "reset-password") == nil, "nor to Alice: nobody asked for hers")
        let probe = client.send("POST", "/v1/auth/register", ["name": "Mallory", "email": .string(lookalike),
                                                              "password": "secret123", "workspace_name": "Look-alike"])
        #expect(probe.status == 201)
        #expect(!TestMail.messages(to: lookalike).contains { $0.contains("tried to create an EnterCRM account") })
        #expect(!TestMail.messages(to: alice.email).contains { $0.contains("tried to create an EnterCRM account") })
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(lookalike), "password": "secret123"])["user"]?["id"]
                == probe["user"]?["id"], "the look-alike signs in to its own account only")
        for password in ["wrong-password", "secret123"] {
            let other = client.send("POST", "/v1/auth/login", ["email": .string(local + "@compañy.com"), "password": .string(password)])
            #expect(other.status == 401)
        }
        // Case does not matter, and the mail goes to the address Alice's account holds.
        #expect(client.send("POST", "/v1/auth/password-reset", ["email": .string(alice.email.uppercased())]).status == 202)
        #expect(TestMail.token(to: alice.email, page: "reset-password") != nil)
        #expect(TestMail.messages(to: alice.email.uppercased()).isEmpty)
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(alice.email.uppercased()), "password": "secret123"])["user"]?["id"]?.intValue
                == alice.userID)
    }

    /// A failed sign-in is recorded in the workspaces of the address's verified account only:
    /// Mallory, who registered Alice's address without holding it, never reads in her audit
    /// log when or from where Alice tries to sign in.
    @Test func failedSignInsAreRecordedOnlyForTheVerifiedAccount() throws {
        let alice = TestDatabase.unique("alice") + "@company.com"
        let mallory = client.register(name: "Mallory Attacker", email: alice, verified: false)
        let from = "10.71.\(Int.random(in: 1...250)).\(Int.random(in: 1...250))"
        func failures(_ tenant: Int?) throws -> Int {
            try client.db.queryOne("""
                SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id <=> \(tenant) AND action = 'auth.login_failed'
                  AND actor_label = \(alice) AND ip = \(from)
                """)?.int("n") ?? -1
        }
        // Alice has no account yet: her mistyped sign-in is a row of no workspace.
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(alice), "password": "alice-typo"], from: from).status == 401)
        #expect(try failures(mallory.tenantID) == 0 && failures(nil) == 1)
        // Alice joins a company by invitation (her account is verified); Mallory's stays unverified.
        let company = client.register(name: "Company Owner")
        let joined = client.invite(company.token, email: alice, password: "alice-own-password")
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(alice), "password": "alice-typo-2"], from: from).status == 401)
        #expect(try failures(company.tenantID) == 1 && failures(mallory.tenantID) == 0 && failures(nil) == 1)
        #expect(try client.db.queryOne("""
            SELECT target_id FROM audit_log WHERE tenant_id = \(company.tenantID) AND action = 'auth.login_failed' AND ip = \(from)
            """)?.int("target_id") == joined.id)
        // What Mallory's console shows: nothing of Alice's sign-ins.
        let log = client.send("GET", "/v1/audit-log", token: mallory.token)
        #expect(log.status == 200 && !log.body.contains(from) && !log.body.contains("login_failed"))
    }

    /// A reset link sent before a password change, or beside the one used, sets no password.
    @Test func aPasswordChangeOrResetKillsTheResetLinksSentBefore() throws {
        let user = client.register()
        #expect(client.send("POST", "/v1/auth/password-reset", ["email": .string(user.email)]).status == 202)
        let early = try #require(TestMail.token(to: user.email, page: "reset-password"))
        // The holder, signed in, changes the password (say, after noticing the unasked-for mail).
        let changed = client.send("POST", "/v1/auth/password", ["current_password": "secret123", "password": "changed-password"], token: user.token)
        #expect(changed.status == 200)
        let late = client.send("POST", "/v1/auth/password-reset/confirm", ["token": .string(early), "password": "attacker-pass"])
        #expect(late.status == 422 && late["errors"]?["token"] != nil)
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "attacker-pass"]).status == 401)
        // Two live links (two requests that crossed): using one kills the other.
        try client.db.execute("DELETE FROM account_tokens WHERE user_id = \(user.userID)")
        #expect(client.send("POST", "/v1/auth/password-reset", ["email": .string(user.email)]).status == 202)
        let first = try #require(TestMail.token(to: user.email, page: "reset-password"))
        let second = try AccountStore.issueAccountToken(client.db, userID: user.userID, purpose: .passwordReset)
        try client.db.execute("UPDATE account_tokens SET used_at = NULL WHERE user_id = \(user.userID) AND purpose = 'password_reset'")
        #expect(client.send("POST", "/v1/auth/password-reset/confirm", ["token": .string(second), "password": "holder-new-pass"]).status == 200)
        let other = client.send("POST", "/v1/auth/password-reset/confirm", ["token": .string(first), "password": "attacker-pass"])
        #expect(other.status == 422 && other["errors"]?["token"] != nil)
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "holder-new-pass"]).status == 200)
    }

    @Test func verificationMarksTheAddressOnce() throws {
        let user = client.register(verified: false)
        #expect(client.send("GET", "/v1/auth/me", token: user.token)["user"]?["email_verified"] == false)
        let token = try #require(TestMail.token(to: user.email, page: "verify-email"))
        #expect(client.send("POST", "/v1/auth/verify-email", ["token": .string(token)], token: user.token).status == 200)
        #expect(client.send("POST", "/v1/auth/verify-email", ["token": .string(token)], token: user.token).status == 422, "single use")
        #expect(client.send("POST", "/v1/auth/verify-email", ["token": "ecv_forged"], token: user.token).status == 422)
        #expect(client.send("GET", "/v1/auth/me", token: user.token)["user"]?["email_verified"] == true)
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM account_tokens WHERE token_hash = \(token)")?.int("n") == 0,
                "stored only as a hash")
    }

    /// Mallory registers with Alice's address: the verification link lands in Alice's inbox.
    /// Alice opening it (signed out, or signed in to her own account) must not verify
    /// Mallory's account: only the session of the link's own account verifies with it.
    @Test func verifyingNeedsTheSessionOfTheLinksAccount() throws {
        let alice = TestDatabase.unique("alice") + "@company.com"
        let mallory = client.register(name: "Mallory Attacker", email: alice, verified: false)
        let link = try #require(TestMail.token(to: alice, page: "verify-email"))
        let signedOut = client.send("POST", "/v1/auth/verify-email", ["token": .string(link)])
        #expect(signedOut.status == 401 && signedOut["message"] != nil)
        let someoneElse = client.register(name: "Alice Elsewhere")
        let wrong = client.send("POST", "/v1/auth/verify-email", ["token": .string(link)], token: someoneElse.token)
        #expect(wrong.status == 422 && wrong["errors"]?["token"] != nil)
        #expect(client.send("GET", "/v1/auth/me", token: mallory.token)["user"]?["email_verified"] == false)
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM users WHERE verified_email = \(alice)")?.int("n") == 0)
        // Still unused: a company's invitation to alice@ is not Mallory's to accept.
        let company = client.register(name: "Company Owner")
        #expect(client.send("POST", "/v1/users", ["name": "Alice", "email": .string(alice)], token: company.token).status == 201)
        let invitation = try #require(TestMail.token(to: alice, page: "accept-invitation"))
        #expect(client.send("POST", "/v1/auth/accept-invitation", ["token": .string(invitation)], token: mallory.token).status == 403)
        // The link's own account, signed in, verifies with it (the failed tries did not use it up).
        #expect(client.send("POST", "/v1/auth/verify-email", ["token": .string(link)], token: mallory.token).status == 200)
    }

    /// Forgot password: same 202 for unknown addresses; the link works once, within the hour,
    /// and signs the account out everywhere.
    @Test func passwordResetIsSingleUseAndRevokesEverySession() throws {
        let user = client.register()
        let other = client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "secret123"])["token"]!.stringValue!
        let known = client.send("POST", "/v1/auth/password-reset", ["email": .string(user.email)])
        let unknown = client.send("POST", "/v1/auth/password-reset", ["email": .string("nobody-\(UUID())@example.com")])
        #expect(known.status == 202 && unknown.status == 202 && known.json == unknown.json)
        let token = try #require(TestMail.token(to: user.email, page: "reset-password"))
        #expect(!known.body.contains(token))
        let short = client.send("POST", "/v1/auth/password-reset/confirm", ["token": .string(token), "password": "short"])
        #expect(short.status == 422 && short["errors"]?["password"] != nil)
        let done = client.send("POST", "/v1/auth/password-reset/confirm", ["token": .string(token), "password": "brand-new-pass"])
        #expect(done.status == 200 && done["revoked_sessions"] == 2)
        #expect(client.send("GET", "/v1/auth/me", token: user.token).status == 401)
        #expect(client.send("GET", "/v1/auth/me", token: other).status == 401)
        #expect(client.send("POST", "/v1/auth/password-reset/confirm", ["token": .string(token), "password": "attacker-pass"]).status == 422)
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "brand-new-pass"]).status == 200)
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(user.email), "password": "attacker-pass"]).status == 401)
        // An hour later the link is dead.
        try client.db.execute("DELETE FROM account_tokens WHERE user_id = \(user.userID)")
        client.send("POST", "/v1/auth/password-reset", ["email": .string(user.email)])
        let late = try #require(TestMail.token(to: user.email, page: "reset-password"))
        try client.db.execute("UPDATE account_tokens SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE user_id = \(user.userID)")
        #expect(client.send("POST", "/v1/auth/password-reset/confirm", ["token": .string(late), "password": "too-late-pass"]).status == 422)
        #expect(try client.db.queryOne("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = \(user.tenantID) AND action = 'auth.password_reset'")?.int("n") == 1)
    }
}

/// Accepts one SMTP session on a loopback port and keeps what it was sent.
final class SMTPSink: @unchecked Sendable {
    // Written by the sink's thread, read after `done` is signalled.
    let fd: Int32
    let port: Int
    var received = ""
    let done = DispatchSemaphore(value: 0)
    /// The address the test stack's outbound guard allows (ENTERCRM_OUTBOUND_ALLOW in scripts/test.sh).
    static let host = "127.77.0.1"

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(SMTPSink.host)
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 1)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { self.serve() }
    }

    func serve() {
        defer { close(fd); done.signal() }
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return }
        defer { close(client) }
        func say(_ line: String) { _ = line.withCString { write(client, $0, strlen($0)) } }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var pending = ""
        var inData = false
        say("220 sink ESMTP\r\n")
        while true {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { return }
            pending += String(decoding: buffer[0..<n], as: UTF8.self)
            while true {
                if inData {
                    guard let end = pending.range(of: "\r\n.\r\n") else { break }
                    received += pending[..<end.lowerBound]
                    pending = String(pending[end.upperBound...])
                    inData = false
                    say("250 queued\r\n")
                    continue
                }
                guard let end = pending.range(of: "\r\n") else { break }
                let line = String(pending[..<end.lowerBound]).uppercased()
                pending = String(pending[end.upperBound...])
                if line.hasPrefix("EHLO") { say("250-sink\r\n250 OK\r\n") }
                else if line.hasPrefix("DATA") { inData = true; say("354 go on\r\n") }
                else if line.hasPrefix("QUIT") { say("221 bye\r\n"); return }
                else { say("250 OK\r\n") }
            }
        }
    }
}

/// System mail goes to the operator's relay when ENTERCRM_SYSTEM_SMTP_HOST is set (here a
/// one-connection SMTP sink on the loopback address the test stack allows), not to the development mailbox.
@Suite struct SystemMailTests {
    @Test func aConfiguredRelayGetsTheMessageAndTheMailboxDoesNot() throws {
        let sink = try SMTPSink()
        let to = TestDatabase.unique("relay") + "@company.com"
        let env = ["ENTERCRM_SYSTEM_SMTP_HOST": SMTPSink.host, "ENTERCRM_SYSTEM_SMTP_PORT": String(sink.port),
                   "ENTERCRM_SYSTEM_SMTP_STARTTLS": "off", "ENTERCRM_SYSTEM_MAIL_FROM": "accounts@example.org",
                   "ENTERCRM_PUBLIC_URL": "https://crm.example.org"]
        SystemMail.send(.init(to: to, toName: "Relay Test", subject: "Confirm your email address", paragraphs: ["Hello."],
                              link: ("Confirm my address", SystemMail.link("verify-email", token: "ecv_x", env: env))),
                        reader: .account(1), kind: "verify", env: env)
        try #require(sink.done.wait(timeout: .now() + 60) == .success, "the relay got no message")
        #expect(sink.received.contains("To: \"Relay Test\" <\(to)>"))
        #expect(sink.received.contains("From: \"EnterCRM\" <accounts@example.org>"))
        #expect(sink.received.contains("Subject: Confirm your email address"))
        #expect(TestMail.messages(to: to).isEmpty, "nothing in the development mailbox")
    }
}
