@testable import EnterCRM
import Foundation
import MariaDB
import TestSupport
import Web
@testable import Core
@testable import Messaging

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
              headers: [String: String] = [:], query: String = "", from address: String = "127.0.0.1") -> Reply {
        var all = headers
        if let token { all["authorization"] = "Bearer \(token)" }
        if let key { all["x-api-key"] = key }
        if body != nil, all["content-type"] == nil { all["content-type"] = "application/json" }
        let request = Request(method: method, path: path, queryString: query, headers: all,
                              body: body.map(JSONWriter.bytes) ?? [], remoteAddress: address)
        let response = ErrorResponses.run(request) { try app.handle(request, state: db).settled().collected() }
        return Reply(status: response.status, json: (try? JSONParser.parse(response.body)) ?? .null, response: response)
    }

    /// Registers a fresh user and workspace; returns the token and ids. `verified`: the
    /// address is then confirmed through the emailed link, as its holder would (signed in).
    func register(name: String = "Jane Smith", workspace: String? = nil, password: String = "secret123", email given: String? = nil,
                  verified: Bool = true) -> (token: String, userID: Int, tenantID: Int, slug: String, email: String) {
        let email = given ?? TestDatabase.unique("jane") + "@company.com"
        let r = send("POST", "/v1/auth/register", [
            "name": .string(name), "email": .string(email), "password": .string(password),
            "workspace_name": .string(workspace ?? TestDatabase.unique("Company Workspace")),
        ])
        precondition(r.status == 201, "register failed: \(r.body)")
        if verified {
            let token = TestMail.token(to: email, page: "verify-email")
            precondition(token != nil, "no verification mail to \(email)")
            let v = send("POST", "/v1/auth/verify-email", ["token": .string(token!)], token: r["token"]!.stringValue!)
            precondition(v.status == 200, "verify failed: \(v.body)")
        }
        return (r["token"]!.stringValue!, r["user"]!["id"]!.intValue!, r["tenant"]!["id"]!.intValue!,
                r["tenant"]!["slug"]!.stringValue!, email)
    }
}

extension TestClient {
    /// Invites `email` to the workspace of `admin` and accepts as a new person through the
    /// emailed link, with `password`; returns the new account's id and session token.
    func invite(_ admin: String, email: String, role: String = "member", password: String = "member-pass") -> (id: Int, token: String) {
        let r = send("POST", "/v1/users", ["name": "Ivan Blažević", "email": .string(email), "role": .string(role)], token: admin)
        precondition(r.status == 201, r.body)
        let token = TestMail.token(to: email, page: "accept-invitation")
        precondition(token != nil, "no invitation mail to \(email)")
        let accepted = send("POST", "/v1/auth/accept-invitation", ["token": .string(token!), "password": .string(password)])
        precondition(accepted.status == 200, accepted.body)
        return (accepted["user"]!["id"]!.intValue!, accepted["token"]!.stringValue!)
    }
}

/// The system mail of the development mailbox, read as the holder of an address reads
/// their inbox (the API never shows these tokens).
enum TestMail {
    /// The decoded text parts of the messages to `email`, oldest first.
    static func messages(to email: String) -> [String] {
        let dir = DevMailbox.defaultDirectory()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { ($0.hasPrefix("account-") || $0.hasPrefix("address-")) && $0.hasSuffix(".eml") }
        var found: [(Date, String)] = []
        for name in names {
            let path = dir + "/" + name
            guard let raw = FileManager.default.contents(atPath: path) else { continue }
            let text = String(decoding: raw, as: UTF8.self)
            let head = (text.components(separatedBy: "\r\n\r\n").first ?? "").replacingOccurrences(of: "\r\n ", with: " ")
            guard head.components(separatedBy: "\r\n").contains(where: { $0.hasPrefix("To: ") && ($0.hasSuffix("<\(email)>") || $0 == "To: \(email)") })
            else { continue }
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            found.append(((attributes?[.modificationDate] as? Date) ?? .distantPast, decodedText(text)))
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The text/plain part, base64-decoded.
    static func decodedText(_ message: String) -> String {
        guard let start = message.range(of: "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n") else { return "" }
        let rest = message[start.upperBound...]
        let body = rest[..<(rest.range(of: "--")?.lowerBound ?? rest.endIndex)].replacingOccurrences(of: "\r\n", with: "")
        return Data(base64Encoded: body).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The token of the newest link to `#/<page>?token=` sent to `email`.
    static func token(to email: String, page: String) -> String? {
        for text in messages(to: email).reversed() {
            if let r = text.range(of: "#/\(page)?token=") {
                return String(text[r.upperBound...].prefix { !$0.isWhitespace })
            }
        }
        return nil
    }
}
