import Foundation
import Testing
@testable import Web

@Suite struct ResponseTests {
    @Test func headerValuesStayOnOneLine() {
        let r = Response(status: 302, headers: [("Location", "https://x.io/\r\nSet-Cookie: a=b\n\r\n<html>")])
        let head = String(decoding: r.serialized(requestID: "id"), as: UTF8.self)
        #expect(head.hasPrefix("Status: 302 "))
        #expect(head.contains("Location: https://x.io/  Set-Cookie: a=b   <html>\r\n"))
        #expect(!head.contains("\r\nSet-Cookie"))
        #expect(Response.headerValue("text/csv; charset=utf-8") == "text/csv; charset=utf-8")
    }
}
