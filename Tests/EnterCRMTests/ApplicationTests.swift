import EnterCRM
import Foundation
import MariaDB
import Testing
import TestSupport
import Web
import Core

/// The application answered in process, without a network: routing, the error format,
/// and the database behind it.
@Suite struct ApplicationTests {
    let app: Application
    let db: Connection

    init() throws {
        db = try TestDatabase.connect()
        app = Application(configuration: Configuration(database: try TestDatabase.configuration(),
                                                       jwtSecret: Array("test-secret-test-secret-test-secret!".utf8)))
    }

    func send(_ method: String, _ path: String, body: String? = nil) -> (status: Int, json: JSON?, response: Response) {
        let request = Request(method: method, path: path, headers: body == nil ? [:] : ["content-type": "application/json"],
                              body: body.map { Array($0.utf8) } ?? [])
        let response = ErrorResponses.run(request) { try app.handle(request, state: db).settled() }
        return (response.status, try? JSONParser.parse(response.body), response)
    }

    @Test func healthPingsTheDatabase() {
        let r = send("GET", "/v1/health")
        #expect(r.status == 200)
        #expect(r.json == ["status": "ok", "database": "ok", "version": .string(Configuration.version)])
    }

    @Test func healthAnswers503WhenTheDatabaseIsUnreachable() throws {
        var broken = try TestDatabase.configuration()
        broken.socket = "/nonexistent/mariadb.sock"
        let offline = Connection(configuration: broken)
        let request = Request(method: "GET", path: "/v1/health")
        let response = ErrorResponses.run(request) { try app.handle(request, state: offline).settled() }
        #expect(response.status == 503)
        #expect(response.header("Retry-After") == "5")
    }

    @Test func unknownRouteIsJSON404() {
        let r = send("GET", "/v1/does-not-exist")
        #expect(r.status == 404)
        #expect(r.json?["message"]?.stringValue?.isEmpty == false)
        #expect(r.response.header("Content-Type") == "application/json; charset=utf-8")
    }

    @Test func wrongMethodIs405WithAllow() {
        let r = send("DELETE", "/v1/health")
        #expect(r.status == 405)
        #expect(r.response.header("Allow") == "GET")
    }

    @Test func malformedJSONIs400AndMissingFieldIs422() {
        #expect(send("POST", "/v1/echo", body: "{\"name\": ").status == 400)
        #expect(send("POST", "/v1/echo", body: "[1,2]").status == 422)
        let r = send("POST", "/v1/echo", body: "{}")
        #expect(r.status == 422)
        #expect(r.json?["errors"] == ["name": ["The name field is required."]])
    }

    @Test func utf8RoundTrips() {
        let r = send("POST", "/v1/echo", body: #"{"name":"Ana Kovač","note":"Ivan Blažević 😀"}"#)
        #expect(r.status == 200)
        #expect(String(decoding: r.response.body, as: UTF8.self) == #"{"data":{"name":"Ana Kovač","note":"Ivan Blažević 😀"}}"#)
    }

    @Test func databaseErrorsMapToStatuses() {
        let request = Request(method: "GET", path: "/x")
        let duplicate = MariaDBError(code: 1062, sqlState: "23000", message: "Duplicate entry 'a@b.c' for key 'uq_email'")
        let dup = ErrorResponses.response(for: duplicate, request: request)
        #expect(dup.status == 422)
        #expect(String(decoding: dup.body, as: UTF8.self).contains("\"email\""))
        #expect(!String(decoding: dup.body, as: UTF8.self).contains("a@b.c"))
        let lost = ErrorResponses.response(for: MariaDBError(code: 2013, message: "Lost connection"), request: request)
        #expect(lost.status == 503 && lost.header("Retry-After") != nil)
        struct Unexpected: Error {}
        let crash = ErrorResponses.response(for: Unexpected(), request: request)
        #expect(crash.status == 500)
        #expect((try? JSONParser.parse(crash.body))?["request_id"] == .string(request.requestID))
    }
}
