import Foundation
import MariaDB
import Testing
@testable import Web

/// MariaDB's disk-full errors answer 503 with Retry-After and a JSON message, never a 500.
@Suite struct DiskFullTests {
    static let diskFull: [MariaDBError] = [
        MariaDBError(code: 1114, message: "The table 'events' is full"),
        MariaDBError(code: 1021, message: "Disk full (./entercrm/events.ibd); waiting for someone to free some space..."),
        MariaDBError(code: 1030, message: "Got error 28 \"No space left on device\" from storage engine InnoDB"),
        MariaDBError(code: 3, message: "Error writing file './entercrm/x' (Errcode: 28 \"No space left on device\")"),
        MariaDBError(code: 1180, message: "Got error 28 \"No space left on device\" during COMMIT"),
    ]

    @Test(arguments: diskFull) func diskFullIsA503WithRetryAfter(error: MariaDBError) throws {
        #expect(error.isDiskFull)
        let response = ErrorResponses.response(for: error, request: Request(method: "POST", path: "/v1/track/event", queryString: ""))
        #expect(response.status == 503)
        #expect(response.headers.contains { $0.0 == "Retry-After" && Int($0.1) != nil })
        let body = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        #expect((body?["message"] as? String)?.contains("disk space") == true)
    }

    @Test func otherErrorsAreNotDiskFull() {
        #expect(!MariaDBError(code: 1062, message: "Duplicate entry '28' for key 'uq_email'").isDiskFull)
        #expect(!MariaDBError(code: 1064, message: "You have an error in your SQL syntax near 'error 280'").isDiskFull)
        #expect(!MariaDBError(code: 2013, message: "Lost connection to server during query").isDiskFull)
    }
}
