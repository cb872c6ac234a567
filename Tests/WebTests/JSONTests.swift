import Testing
import Web

@Suite struct JSONTests {
    @Test func roundTripKeepsOrderAndUnicode() throws {
        let text = #"{"name":"Ana Kovač 😀","n":42,"x":-1.5,"ok":true,"none":null,"list":[1,"two",{"a":[]}]}"#
        let value = try JSONParser.parse(text)
        #expect(JSONWriter.string(value) == text)
        #expect(value["name"]?.stringValue == "Ana Kovač 😀")
        #expect(value.objectValue?.keys == ["name", "n", "x", "ok", "none", "list"])
    }

    @Test func escapesAndUnicodeEscapes() throws {
        let value = try JSONParser.parse(#""a\"b\\c\n\u00e9\ud83d\ude00\/""#)
        #expect(value == .string("a\"b\\c\né😀/"))
        #expect(JSONWriter.string(.string("<script>&\u{1}")) == #""\u003cscript\u003e\u0026\u0001""#)
    }

    @Test func numbersKeepTheirKind() throws {
        #expect(try JSONParser.parse("149.99") == .double(149.99))
        #expect(try JSONParser.parse("9007199254740993") == .int(9007199254740993))
        #expect(try JSONParser.parse("1e3") == .double(1000))
        #expect(JSONWriter.string(.number("4850.00")) == "4850.00")
        #expect(JSONWriter.string(.double(55.0)) == "55.0")
        #expect(JSONWriter.string(.double(.nan)) == "null")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "+1", "tru", "\"abc", "{'a':1}", "[1] x",
        "\"\\ud800\"", "\"\\x\"", "// c\n1", "\"a\u{1}\"", "NaN", "1e999",
    ])
    func refusesMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([34, 0xC3, 0x28, 34]) }
    }

    @Test func capsNesting() {
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }
}

@Suite struct MergePatchTests {
    @Test func rfc7396() {
        let target: JSON = ["plan": "pro", "seats": 3, "nested": ["a": 1, "b": 2]]
        let patch: JSON = ["seats": 5, "plan": nil, "vip": true, "nested": ["a": nil, "c": 3]]
        #expect(target.mergePatched(with: patch) == ["seats": 5, "nested": ["b": 2, "c": 3], "vip": true])
        #expect(target.mergePatched(with: "x") == "x")
    }
}

/// Nesting is capped at MariaDB's 32 levels of objects and arrays, and the error says so.
@Suite struct JSONDepthTests {
    static func nested(_ levels: Int) -> String {
        String(repeating: "{\"a\": ", count: levels - 1) + "[1]" + String(repeating: "}", count: levels - 1)
    }

    @Test func thirtyTwoLevelsAreRead() throws {
        _ = try JSONParser.parse(Self.nested(32))
        _ = try JSONParser.parse(String(repeating: "[", count: 32) + String(repeating: "]", count: 32))
    }

    @Test(arguments: [33, 40, 64, 65, 1000]) func deeperIsRefusedByName(levels: Int) {
        do {
            _ = try JSONParser.parse(Self.nested(levels))
            Issue.record("\(levels) levels were read")
        } catch let error as JSONParseError {
            #expect(error.isTooDeep)
            #expect(error.reason == "nested deeper than 32 levels")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aRequestBodyTooDeepIsA400NamingTheBody() throws {
        let request = Request(method: "POST", path: "/v1/customers", queryString: "", headers: ["content-type": "application/json"],
                              body: Array(Self.nested(33).utf8))
        do {
            _ = try request.json()
            Issue.record("read")
        } catch let error as HTTPError {
            #expect(error.status == 400)
            #expect(error.message.contains("nested deeper than 32 levels"))
            #expect(error.errors?.has("body") == true)
        }
    }
}

