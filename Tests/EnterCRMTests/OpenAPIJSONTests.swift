@testable import EnterCRM
import Foundation
import Testing
import Web
@testable import System

/// `OpenAPIDocument`: openapi.yaml as the JSON of `GET /v1/openapi.json` (Yams, keys in the
/// file's order, scalars by their YAML 1.1 types). The end-to-end test compares the served
/// document with what PyYAML reads. Needs no database.
@Suite struct OpenAPIJSONTests {
    @Test func scalarsKeepTheirTypesAndKeysTheirOrder() throws {
        let json = try OpenAPIDocument.json(fromYAML: """
            b: 1
            a:
              "200": {description: ok}
              404: x
            flags: [true, false, yes, ~, null, '']
            numbers: [7, -3, 0.5, 1.0e+3, "8"]
            text: |
              two
              lines
            end: .5
            """)
        #expect(json.objectValue?.keys == ["b", "a", "flags", "numbers", "text", "end"])
        #expect(json["b"] == .int(1))
        #expect(json["a"]?.objectValue?.keys == ["200", "404"])
        #expect(json["a"]?["200"]?["description"] == .string("ok"))
        #expect(json["flags"] == .array([.bool(true), .bool(false), .bool(true), .null, .null, .string("")]))
        #expect(json["numbers"] == .array([.int(7), .int(-3), .double(0.5), .double(1000), .string("8")]))
        #expect(json["text"] == .string("two\nlines\n"))
        #expect(json["end"] == .double(0.5))
        #expect(try OpenAPIDocument.json(fromYAML: "") == .null)
    }

    @Test func theDescriptionBecomesJSONInTheFilesOrder() throws {
        let path = OpenAPITests.root.appendingPathComponent("openapi.yaml").path
        let bytes = try #require(try OpenAPIDocument.jsonBytes(path: path))
        let json = try JSONParser.parse(bytes)
        #expect(json["openapi"]?.stringValue?.hasPrefix("3.1") == true)
        // The paths in the order the file lists them (what the API reference shows).
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var seen = Set<String>()
        let filePaths = OpenAPITests.documented(text).map(\.pattern).filter { seen.insert($0).inserted }
        #expect(json["paths"]?.objectValue?.keys == filePaths)
        #expect(json["paths"]?["/v1/openapi.json"]?["get"]?["operationId"] == .string("getOpenAPIJSON"))
        // Kept: asked again for the same file, the same bytes without parsing again.
        #expect(try OpenAPIDocument.jsonBytes(path: path) == bytes)
        #expect(try OpenAPIDocument.jsonBytes(path: path + ".missing") == nil)
    }
}
