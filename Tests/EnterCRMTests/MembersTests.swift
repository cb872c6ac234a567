import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
import Accounts

@Suite struct MembersAndTeamsTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    /// A member joined as people join now: invited by email, accepted through the link.
    func addMember(_ owner: String, role: String) -> (id: Int, email: String, token: String?) {
        let email = TestDatabase.unique("member") + "@company.com"
        let joined = client.invite(owner, email: email, role: role)
        return (joined.id, email, joined.token)
    }

    @Test func ownersAddListAndChangeMembers() throws {
        let owner = client.register()
        let member = addMember(owner.token, role: "member")
        let list = client.send("GET", "/v1/users", token: owner.token)
        #expect(list["meta"]?["total"] == 2)
        #expect(list["data"]?.arrayValue?.compactMap { $0["role"]?.stringValue } == ["owner", "member"])
        let promoted = client.send("PUT", "/v1/users/\(member.id)", ["role": "admin"], token: owner.token)
        #expect(promoted.status == 200 && promoted["role"] == "admin")
        #expect(client.send("PUT", "/v1/users/\(member.id)", ["role": "boss"], token: owner.token).status == 422)
    }

    @Test func membersCannotManageUsersOrKeys() throws {
        let owner = client.register()
        let member = addMember(owner.token, role: "member")
        let token = try #require(member.token)
        #expect(client.send("GET", "/v1/users", token: token).status == 200, "members may see their colleagues")
        #expect(client.send("POST", "/v1/users", ["name": "X", "email": "x@example.com"], token: token).status == 403)
        #expect(client.send("PUT", "/v1/users/\(owner.userID)", ["role": "member"], token: token).status == 403)
        #expect(client.send("DELETE", "/v1/users/\(owner.userID)", token: token).status == 403)
        #expect(client.send("GET", "/v1/api-keys", token: token).status == 403)
        #expect(client.send("POST", "/v1/api-keys", ["name": "mine"], token: token).status == 403)
        #expect(client.send("POST", "/v1/teams", ["name": "mine"], token: token).status == 403)
    }

    @Test func theLastOwnerCannotBeRemovedOrDemoted() throws {
        let owner = client.register()
        let demote = client.send("PUT", "/v1/users/\(owner.userID)", ["role": "admin"], token: owner.token)
        #expect(demote.status == 422)
        #expect(client.send("DELETE", "/v1/users/\(owner.userID)", token: owner.token).status == 422)
        let second = addMember(owner.token, role: "owner")
        #expect(client.send("PUT", "/v1/users/\(owner.userID)", ["role": "admin"], token: owner.token).status == 200)
        let secondToken = try #require(second.token)
        #expect(client.send("DELETE", "/v1/users/\(second.id)", token: secondToken).status == 422, "now the only owner")
    }

    @Test func adminsCannotTouchOwners() throws {
        let owner = client.register()
        let admin = try #require(addMember(owner.token, role: "admin").token)
        #expect(client.send("PUT", "/v1/users/\(owner.userID)", ["role": "member"], token: admin).status == 403)
        #expect(client.send("DELETE", "/v1/users/\(owner.userID)", token: admin).status == 403)
        let r = client.send("POST", "/v1/users", ["name": "Y", "email": .string(TestDatabase.unique("y") + "@x.io"), "role": "owner"], token: admin)
        #expect(r.status == 403)
        let member = addMember(owner.token, role: "member")
        #expect(client.send("DELETE", "/v1/users/\(member.id)", token: admin).status == 200)
    }

    @Test func removedMembersLoseAccessAtOnce() throws {
        let owner = client.register()
        let member = addMember(owner.token, role: "member")
        let token = try #require(member.token)
        #expect(client.send("GET", "/v1/users", token: token).status == 200)
        #expect(client.send("DELETE", "/v1/users/\(member.id)", token: owner.token).status == 200)
        #expect(client.send("GET", "/v1/users", token: token).status == 401)
    }

    @Test func invitationsSetAPasswordOnce() throws {
        let owner = client.register()
        let email = TestDatabase.unique("invitee") + "@company.com"
        let r = client.send("POST", "/v1/users", ["name": "Ana Kovač", "email": .string(email), "role": "member"], token: owner.token)
        #expect(r.status == 201 && r["status"] == "invited" && r["email"] == .string(email) && r["role"] == "member")
        #expect(r.json.objectValue?.keys.sorted() == ["created_at", "email", "expires_at", "id", "invited_by", "name", "role", "status"])
        #expect(!r.body.contains("eci_"), "the token is in no answer")
        let invitation = try #require(TestMail.token(to: email, page: "accept-invitation"))
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(email), "password": "whatever1"]).status == 401)
        let accepted = client.send("POST", "/v1/auth/accept-invitation", ["token": .string(invitation), "password": "chosen-password"])
        #expect(accepted.status == 200)
        #expect(accepted["tenant"]?["id"]?.intValue == owner.tenantID)
        #expect(client.send("GET", "/v1/auth/me", token: accepted["token"]!.stringValue!)["user"]?["email_verified"] == true,
                "the link proved the address")
        #expect(client.send("POST", "/v1/auth/accept-invitation", ["token": .string(invitation), "password": "another-one"]).status == 422)
        #expect(client.send("POST", "/v1/auth/login", ["email": .string(email), "password": "chosen-password"]).status == 200)
        #expect(client.send("GET", "/v1/invitations", token: owner.token)["meta"]?["total"] == 0, "accepted: no longer pending")
    }

    @Test func aPasswordForSomeoneElseIsRefused() {
        let owner = client.register()
        let r = client.send("POST", "/v1/users", ["name": "M", "email": .string(TestDatabase.unique("m") + "@a.io"), "password": "password1"],
                            token: owner.token)
        #expect(r.status == 422 && r["errors"]?["password"] != nil)
    }

    @Test func anExistingAccountJoinsOnlyWhenItsHolderAccepts() throws {
        let owner = client.register()
        let elsewhere = client.register(name: "Private Person")
        let r = client.send("POST", "/v1/users", ["name": "As the admin typed", "email": .string(elsewhere.email), "role": "admin"], token: owner.token)
        #expect(r.status == 201 && r["status"] == "invited" && r["name"] == "As the admin typed")
        #expect(!r.body.contains("Private Person") && r["id"]?.intValue != elsewhere.userID, "nothing of the account is shown")
        func workspaces() -> Int { client.send("GET", "/v1/auth/me", token: elsewhere.token)["workspaces"]?.arrayValue?.count ?? -1 }
        #expect(workspaces() == 1, "not joined before accepting")
        #expect(client.send("GET", "/v1/users", token: owner.token)["meta"]?["total"] == 1)
        let token = try #require(TestMail.token(to: elsewhere.email, page: "accept-invitation"))
        // Without signing in, the link cannot make a second account for a verified address.
        #expect(client.send("POST", "/v1/auth/accept-invitation", ["token": .string(token), "password": "hijack-attempt"]).status == 409)
        let accepted = client.send("POST", "/v1/auth/accept-invitation", ["token": .string(token)], token: elsewhere.token)
        #expect(accepted.status == 200 && accepted["tenant"]?["id"]?.intValue == owner.tenantID)
        #expect(workspaces() == 2)
        #expect(client.send("GET", "/v1/users/\(elsewhere.userID)", token: owner.token)["role"] == "admin")
        #expect(client.send("POST", "/v1/users", ["name": "again", "email": .string(elsewhere.email)], token: owner.token).status == 422)
    }

    @Test func teamsWithMembers() throws {
        let owner = client.register()
        let member = addMember(owner.token, role: "member")
        let team = client.send("POST", "/v1/teams", ["name": "Sales", "description": "Deals"], token: owner.token)
        #expect(team.status == 201 && team["members_count"] == 0)
        let id = team["id"]!.intValue!
        #expect(client.send("POST", "/v1/teams", ["name": "Sales"], token: owner.token).status == 422, "names are unique per workspace")
        let added = client.send("POST", "/v1/teams/\(id)/members", ["user_id": .int(member.id)], token: owner.token)
        #expect(added["members"]?.arrayValue?.first?["email"] == .string(member.email))
        let stranger = client.register()
        let refused = client.send("POST", "/v1/teams/\(id)/members", ["user_id": .int(stranger.userID)], token: owner.token)
        #expect(refused.status == 422 && refused["errors"]?["user_id"] != nil)
        let renamed = client.send("PUT", "/v1/teams/\(id)", ["name": "Enterprise Sales"], token: owner.token)
        #expect(renamed["name"] == "Enterprise Sales" && renamed["description"] == "Deals")
        #expect(client.send("DELETE", "/v1/teams/\(id)/members/\(member.id)", token: owner.token)["members_count"] == 0)
        #expect(client.send("GET", "/v1/teams", token: owner.token)["data"]?.arrayValue?.count == 1)
        #expect(client.send("DELETE", "/v1/teams/\(id)", token: owner.token).status == 200)
        #expect(client.send("GET", "/v1/teams/\(id)", token: owner.token).status == 404)
    }
}

@Suite struct APIKeyTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    @Test func keysAreShownOnceThenMaskedAndStoredHashed() throws {
        let owner = client.register()
        let created = client.send("POST", "/v1/api-keys", ["name": "Staging Server"], token: owner.token)
        #expect(created.status == 201)
        #expect(created.json.objectValue?.keys == ["id", "name", "type", "key", "created_at", "note"])
        #expect(created["note"] == "This is the only time the full key will be shown.")
        let key = try #require(created["key"]?.stringValue)
        #expect(key.hasPrefix("eck_") && key.count == 47)
        let listed = try #require(client.send("GET", "/v1/api-keys", token: owner.token)["data"]?.arrayValue?.first)
        #expect(listed["key"] == .string("eck_…" + key.suffix(4)))
        #expect(!client.send("GET", "/v1/api-keys", token: owner.token).body.contains(key))
        let stored = try #require(try client.db.queryOne("SELECT key_hash FROM api_keys WHERE id = \(created["id"]!.intValue!)")?.string("key_hash"))
        #expect(stored.count == 64 && !stored.contains(key))
    }

    @Test func secretKeysWorkAsXAPIKeyOrEFAccessKeyUntilRevoked() throws {
        let owner = client.register()
        let created = client.send("POST", "/v1/api-keys", ["name": "Production"], token: owner.token)
        let key = try #require(created["key"]?.stringValue)
        #expect(client.send("GET", "/v1/workspace", key: key)["id"]?.intValue == owner.tenantID)
        #expect(client.send("GET", "/v1/workspace", headers: ["ef-access-key": key]).status == 200)
        #expect(client.send("GET", "/api/brands/\(owner.slug)/crm/entity-presets", headers: ["ef-access-key": key]).status == 200)
        #expect(client.send("GET", "/api/brands/\(owner.tenantID)/crm/entity-presets", key: key).status == 200)
        // Keys are for servers: no user management with them.
        #expect(client.send("GET", "/v1/api-keys", key: key).status == 403)
        #expect(client.send("DELETE", "/v1/api-keys/\(created["id"]!.intValue!)", token: owner.token).status == 200)
        #expect(client.send("GET", "/v1/workspace", key: key).status == 401)
    }

    @Test func publishableKeysOnlyTrack() throws {
        let owner = client.register()
        let created = client.send("POST", "/v1/api-keys", ["name": "Website", "type": "publishable"], token: owner.token)
        let key = try #require(created["key"]?.stringValue)
        #expect(key.hasPrefix("eck_pub_"))
        #expect(client.send("GET", "/v1/workspace", key: key).status == 403)
        #expect(client.send("GET", "/api/brands/\(owner.slug)/crm/entity-presets", headers: ["ef-access-key": key]).status == 403)
        #expect(client.send("POST", "/v1/api-keys", ["name": "x", "type": "public"], token: owner.token).status == 422)
    }

    @Test func lastUsedIsWrittenAtMostOnceAMinute() throws {
        let owner = client.register()
        let created = client.send("POST", "/v1/api-keys", ["name": "Cron"], token: owner.token)
        let key = try #require(created["key"]?.stringValue), id = created["id"]!.intValue!
        func lastUsed() throws -> Date? { try client.db.queryOne("SELECT last_used_at FROM api_keys WHERE id = \(id)")?.optionalDate("last_used_at") }
        #expect(try lastUsed() == nil)
        client.send("GET", "/v1/workspace", key: key)
        let first = try #require(try lastUsed())
        usleep(20_000)
        client.send("GET", "/v1/workspace", key: key)
        #expect(try lastUsed() == first)
        try client.db.execute("UPDATE api_keys SET last_used_at = UTC_TIMESTAMP(6) - INTERVAL 2 MINUTE WHERE id = \(id)")
        // Two minutes are made to pass in the database only: the key's lookup, cached for up
        // to CredentialCache.lifetime seconds, is made to happen again as it would by then.
        CredentialCache.shared.invalidate()
        client.send("GET", "/v1/workspace", key: key)
        #expect(try #require(try lastUsed()) > first)
    }
}

/// Two workspaces: nothing of one can be read or changed from the other; it is not found.
@Suite struct TenancyTests {
    let client: TestClient
    init() throws { client = try TestClient() }

    @Test func anotherWorkspacesResourcesAnswer404() throws {
        let a = client.register(), b = client.register()
        let teamA = client.send("POST", "/v1/teams", ["name": "A team"], token: a.token)["id"]!.intValue!
        let keyA = client.send("POST", "/v1/api-keys", ["name": "A key"], token: a.token)
        let keyAID = keyA["id"]!.intValue!
        let keyB = client.send("POST", "/v1/api-keys", ["name": "B key"], token: b.token)["key"]!.stringValue!
        let memberA = client.invite(a.token, email: TestDatabase.unique("m") + "@a.io").id

        for (method, path, body) in [
            ("GET", "/v1/teams/\(teamA)", nil), ("PUT", "/v1/teams/\(teamA)", ["name": "stolen"]),
            ("DELETE", "/v1/teams/\(teamA)", nil), ("POST", "/v1/teams/\(teamA)/members", ["user_id": .int(b.userID)]),
            ("DELETE", "/v1/teams/\(teamA)/members/\(memberA)", nil),
            ("DELETE", "/v1/api-keys/\(keyAID)", nil),
            ("GET", "/v1/users/\(memberA)", nil), ("PUT", "/v1/users/\(memberA)", ["role": "admin"]),
            ("DELETE", "/v1/users/\(memberA)", nil), ("DELETE", "/v1/users/\(a.userID)", nil),
        ] as [(String, String, JSON?)] {
            let r = client.send(method, path, body, token: b.token)
            #expect(r.status == 404, "\(method) \(path) answered \(r.status)")
        }
        // B's key on A's brand.
        #expect(client.send("GET", "/api/brands/\(a.slug)/crm/entity-presets", headers: ["ef-access-key": keyB]).status == 404)
        #expect(client.send("GET", "/api/brands/\(a.tenantID)/crm/entity-presets", key: keyB).status == 404)
        // And nothing changed in A.
        #expect(client.send("GET", "/v1/teams/\(teamA)", token: a.token)["name"] == "A team")
        #expect(client.send("GET", "/v1/api-keys", token: a.token)["data"]?.arrayValue?.count == 1)
        #expect(client.send("GET", "/v1/users", token: a.token)["meta"]?["total"] == 2)
        #expect(client.send("GET", "/v1/users", token: b.token)["meta"]?["total"] == 1)
    }
}
