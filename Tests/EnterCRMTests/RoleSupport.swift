@testable import EnterCRM
import Foundation
import MariaDB
import TestSupport
import Web
@testable import Core
@testable import Accounts

/// Who calls, in the permission tests: a member of some role, or a key.
enum Caller: CustomStringConvertible, Hashable {
    case role(Role)
    case secretKey
    case publishableKey

    static let all: [Caller] = [.role(.viewer), .role(.member), .role(.admin), .role(.owner), .secretKey, .publishableKey]

    var description: String {
        switch self {
        case .role(let role): role.rawValue
        case .secretKey: "secret key"
        case .publishableKey: "publishable key"
        }
    }
}

/// A fresh workspace with one member of each role (each with a session), a secret and a
/// publishable key. Members are put in the workspace directly (membership row and session),
/// so these tests do not depend on how people are invited.
struct RoleWorkspace {
    let client: TestClient
    let owner: (token: String, userID: Int, tenantID: Int, slug: String, email: String)
    private(set) var tokens: [Role: String] = [:]
    private(set) var userIDs: [Role: Int] = [:]
    let secretKey: String
    let publishableKey: String

    init(_ client: TestClient) throws {
        self.client = client
        owner = client.register()
        tokens[.owner] = owner.token
        userIDs[.owner] = owner.userID
        for role in [Role.admin, .member, .viewer] {
            let (id, token) = try Self.addPerson(client, tenant: owner.tenantID, role)
            tokens[role] = token
            userIDs[role] = id
        }
        let secret = client.send("POST", "/v1/api-keys", ["name": "server", "type": "secret"], token: owner.token)
        let publishable = client.send("POST", "/v1/api-keys", ["name": "site", "type": "publishable"], token: owner.token)
        precondition(secret.status == 201 && publishable.status == 201, secret.body + publishable.body)
        secretKey = secret["key"]!.stringValue!
        publishableKey = publishable["key"]!.stringValue!
    }

    var tenant: Int { owner.tenantID }

    /// A new account holding `role` here, and a session of it in this workspace.
    func addPerson(_ role: Role, name: String = "Ivana Horvat") throws -> (id: Int, token: String) {
        try Self.addPerson(client, tenant: tenant, role, name: name)
    }

    static func addPerson(_ client: TestClient, tenant: Int, _ role: Role, name: String = "Ivana Horvat") throws -> (id: Int, token: String) {
        let email = TestDatabase.unique(role.rawValue) + "@company.com"
        let id = try AccountStore.createUser(client.db, name: name, email: email, passwordHash: nil, verified: true)
        try AccountStore.addMember(client.db, tenantID: tenant, userID: id, role: role)
        return (id, try session(client, tenant: tenant, userID: id))
    }

    /// A new session of the user in this workspace.
    func session(userID: Int) throws -> String { try Self.session(client, tenant: tenant, userID: userID) }

    static func session(_ client: TestClient, tenant: Int, userID: Int) throws -> String {
        let c = Context(request: Request(method: "POST", path: "/v1/auth/login", queryString: "", headers: [:], body: []),
                        db: client.db, configuration: client.app.configuration, services: client.app.services)
        return try AccountStore.issueToken(c, userID: userID, tenantID: tenant)
    }

    /// A fresh session for a role (the walk logs each caller out at its end).
    func freshToken(_ role: Role) throws -> String { try session(userID: userIDs[role]!) }

    @discardableResult
    func send(_ caller: Caller, _ method: String, _ path: String, _ body: JSON? = nil, query: String = "") -> TestClient.Reply {
        switch caller {
        case .role(let role): client.send(method, path, body, token: tokens[role]!, query: query)
        case .secretKey: client.send(method, path, body, key: secretKey, query: query)
        case .publishableKey: client.send(method, path, body, key: publishableKey, query: query)
        }
    }

    /// As the owner; the reply must be 2xx. Returns its `id`.
    @discardableResult
    func make(_ method: String, _ path: String, _ body: JSON) -> JSON {
        let r = client.send(method, path, body, token: owner.token)
        precondition((200..<300).contains(r.status), "\(method) \(path): \(r.body)")
        return r.json
    }

    func count(_ sql: SQL) throws -> Int { try client.db.queryOne(sql)?.int("n") ?? -1 }
}
