import EnterCRM
import Foundation
import MariaDB
import TestSupport
import Web

/// Sends requests to the application in process, as nginx would pass them.
struct TestClient {
    let app: Application
    let db: Connection

    init() throws {
        db = try TestDatabase.connect()
        var config = Configuration(database: try TestDatabase.configuration(),
                                   jwtSecret: Array("test-secret-test-secret-test-secret!".utf8))
        // A cheaper scrypt keeps these tests quick; the end-to-end suite runs the real cost.
        config.scryptLogN = 14
        app = Application(configuration: config)
    }

    struct Reply {
        let status: Int
        let json: JSON
        let response: Response
        subscript(_ key: String) -> JSON? { json[key] }
        var body: String { String(decoding: response.body, as: UTF8.self) }
    }

    @discardableResult
    func send(_ method: String, _ path: String, _ body: JSON? = nil, token: String? = nil, key: String? = nil,
              headers: [String: String] = [:], query: String = "") -> Reply {
        var all = headers
        if let token { all["authorization"] = "Bearer \(token)" }
        if let key { all["x-api-key"] = key }
        if body != nil, all["content-type"] == nil { all["content-type"] = "application/json" }
        let request = Request(method: method, path: path, queryString: query, headers: all,
                              body: body.map(JSONWriter.bytes) ?? [])
        let response = ErrorResponses.run(request) { try app.handle(request, state: db).settled() }
        return Reply(status: response.status, json: (try? JSONParser.parse(response.body)) ?? .null, response: response)
    }

    /// Registers a fresh user and workspace; returns the token and ids.
    func register(name: String = "Jane Smith", workspace: String? = nil, password: String = "secret123") -> (token: String, userID: Int, tenantID: Int, slug: String, email: String) {
        let email = TestDatabase.unique("jane") + "@company.com"
        let r = send("POST", "/v1/auth/register", [
            "name": .string(name), "email": .string(email), "password": .string(password),
            "workspace_name": .string(workspace ?? TestDatabase.unique("Company Workspace")),
        ])
        precondition(r.status == 201, "register failed: \(r.body)")
        return (r["token"]!.stringValue!, r["user"]!["id"]!.intValue!, r["tenant"]!["id"]!.intValue!,
                r["tenant"]!["slug"]!.stringValue!, email)
    }
}
