import Foundation
import Testing
@testable import Web

/// Request bodies sent with Content-Encoding: gzip (the Segment intake): inflated whole, with
/// a cap that stops a zip bomb early, and refused when they are not gzip.
@Suite struct GzipTests {
    static func bytes(_ base64: String) -> [UInt8] { Array(Data(base64Encoded: base64)!) }

    @Test func inflatesABody() throws {
        // gzip of {"batch":[{"type":"track"}]}
        let body = try Gzip.inflate(Self.bytes("H4sIAAAAAAACA6tWSkosSc5QsoquViqpLEhVslIqKUpMzlaqja0FANCbRHAcAAAA"), limit: 1000)
        #expect(String(decoding: body, as: UTF8.self) == #"{"batch":[{"type":"track"}]}"#)
    }

    @Test func concatenatedMembersAreOneBody() throws {
        let body = try Gzip.inflate(Self.bytes("H4sIAAAAAAACA0tMAgBtSIOeAgAAAB+LCAAAAAAAAgNLTgEA2o/WRQIAAAA="), limit: 100)
        #expect(String(decoding: body, as: UTF8.self) == "abcd")
    }

    @Test func theLimitIsKeptAcrossMembers() throws {
        var stream = [UInt8]()
        let member = Self.bytes("H4sIAAAAAAACA0tMAgBtSIOeAgAAAB+LCAAAAAAAAgNLTgEA2o/WRQIAAAA=")
        for _ in 0..<10 { stream += member }
        #expect(throws: Gzip.Failure.tooLarge) { try Gzip.inflate(stream, limit: 39) }
        #expect(try Gzip.inflate(stream, limit: 40).count == 40)
    }

    /// A million spaces in about a kilobyte: refused once the limit is passed.
    static let bomb = "H4sIAAAAAAACA+3BgQAAAADDIJX5Ux7kVQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAK8G1wgmy0BCDwA="

    @Test func aBombIsRefused() throws {
        #expect(Self.bytes(Self.bomb).count < 1100)
        #expect(throws: Gzip.Failure.tooLarge) { try Gzip.inflate(Self.bytes(Self.bomb), limit: 500 * 1024 + 1) }
        #expect(try Gzip.inflate(Self.bytes(Self.bomb), limit: 1_000_000).count == 1_000_000)
    }

    @Test func notGzipOrCutShortIsMalformed() {
        #expect(throws: Gzip.Failure.malformed) { try Gzip.inflate(Array("{\"batch\":[]}".utf8), limit: 1000) }
        #expect(throws: Gzip.Failure.malformed) { try Gzip.inflate([], limit: 1000) }
        let whole = Self.bytes("H4sIAAAAAAACA6tWSkosSc5QsoquViqpLEhVslIqKUpMzlaqja0FANCbRHAcAAAA")
        #expect(throws: Gzip.Failure.malformed) { try Gzip.inflate(Array(whole.prefix(20)), limit: 1000) }
    }
}
