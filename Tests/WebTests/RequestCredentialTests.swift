import Foundation
import Testing
@testable import Web

/// The rule of RequestCredential, which nginx's rate-limit maps mirror (the e2e suite sends
/// the same variants through both).
@Suite struct RequestCredentialTests {
    func credential(_ headers: [String: String] = [:], query: String = "") throws -> RequestCredential? {
        try RequestCredential.of(Request(method: "GET", path: "/v1/customers", queryString: query, headers: headers))
    }

    func status(_ headers: [String: String] = [:], query: String = "") -> Int? {
        do {
            _ = try credential(headers, query: query)
            return nil
        } catch let error as HTTPError {
            return error.status
        } catch {
            return -1
        }
    }

    @Test func bearerTokensAreParsedWhateverTheCaseAndSpaces() throws {
        for value in ["Bearer a.b-c_d~e+f/g==", "bearer a.b-c_d~e+f/g==", "BEARER   a.b-c_d~e+f/g==", "Bearer\ta.b-c_d~e+f/g==",
                      "  bEaReR a.b-c_d~e+f/g==  \t"] {
            #expect(try credential(["authorization": value]) == .bearer("a.b-c_d~e+f/g=="), "\(value)")
        }
    }

    @Test func anythingElseInAuthorizationIsMalformed() throws {
        for value in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearertoken", "Bearer a b", "Bearer a=b", "Token abc", "Bearer é",
                      "Bearer a, Bearer b"] {
            #expect(try credential(["authorization": value]) == .malformedAuthorization, "\(value)")
        }
    }

    /// The Segment libraries' write key: the Basic user name, with an empty password.
    @Test func basicWithAnEmptyPasswordIsAKey() throws {
        let encoded = Data("eck_abc:".utf8).base64EncodedString()
        #expect(try credential(["authorization": "Basic \(encoded)"]) == .basicKey("eck_abc"))
        #expect(try credential(["authorization": "basic  \(encoded) "]) == .basicKey("eck_abc"))
        for text in ["eck_abc:secret", "eck_abc", ":", "a:b:"] {
            let value = "Basic " + Data(text.utf8).base64EncodedString()
            #expect(try credential(["authorization": value]) == .malformedAuthorization, "\(text)")
        }
        #expect(try credential(["authorization": "Basic not base64!"]) == .malformedAuthorization)
    }

    @Test func keysComeFromEitherHeaderOrTheURL() throws {
        #expect(try credential(["x-api-key": "eck_abc"]) == .headerKey("eck_abc"))
        #expect(try credential(["ef-access-key": " eck_abc "]) == .headerKey("eck_abc"))
        #expect(try credential(query: "a=1&key=eck_pub_abc&b=2") == .urlKey("eck_pub_abc"))
        // As nginx's $arg_key: the name in any letter case, the value as sent.
        #expect(try credential(query: "KEY=eck_pub_abc") == .urlKey("eck_pub_abc"))
        #expect(try credential(query: "key=eck%5Fpub_abc") == .urlKey("eck%5Fpub_abc"))
        #expect(try credential(query: "apikey=x&keys=y&monkey=z") == nil)
        #expect(try credential(["x-api-key": "", "authorization": "  "]) == nil)
        #expect(try credential() == nil)
    }

    @Test func moreThanOneCredentialIs400() {
        let cases: [([String: String], String)] = [
            (["authorization": "Bearer t", "x-api-key": "eck_a"], ""),
            (["authorization": "Bearer t", "ef-access-key": "eck_a"], ""),
            (["x-api-key": "eck_a", "ef-access-key": "eck_a"], ""),
            (["x-api-key": "eck_a"], "key=eck_pub_b"),
            (["authorization": "Basic x"], "key=eck_pub_b"),
            (["x-api-key": "eck_a, eck_b"], ""),
            (["ef-access-key": "eck_a, eck_a"], ""),
            ([:], "key=a&key=b"),
            ([:], "key=a&x=1&Key=b"),
            ([:], "%6Bey=eck_pub_a"),
            ([:], "key"),
        ]
        for (headers, query) in cases {
            #expect(status(headers, query: query) == 400, "\(headers) \(query)")
        }
    }

    @Test func theConflictNamesTheFields() throws {
        do {
            _ = try credential(["authorization": "Bearer t", "x-api-key": "eck_a"])
            Issue.record("no error")
        } catch let error as HTTPError {
            #expect(error.errors?.has("Authorization") == true && error.errors?.has("X-API-Key") == true)
        }
    }
}
