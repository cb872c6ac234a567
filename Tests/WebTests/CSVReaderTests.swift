import Foundation
import Testing
@testable import Web

/// The CSV reader (imports) and writer (exports): encodings, delimiters, quoting, broken rows.
@Suite struct CSVReaderTests {
    func records(_ bytes: [UInt8], format: CSVFormat? = nil, max: Int = 1 << 20, chunk: Int = 7) throws -> [CSVRecord] {
        // Small chunks, so that quotes, line ends and characters are cut between reads.
        var offset = 0
        let detected = format ?? CSVFormat.detect(bytes)
        let reader = CSVReader(format: detected, maxRecordBytes: max) {
            guard offset < bytes.count else { return nil }
            defer { offset += chunk }
            return Array(bytes[offset..<min(offset + chunk, bytes.count)])
        }
        var out: [CSVRecord] = []
        while let r = try reader.next() { out.append(r) }
        return out
    }

    func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func plainCommaFile() throws {
        let rows = try records(utf8("email,name\nana@x.io,Ana\nben@x.io,Ben\n"))
        #expect(rows.map(\.fields) == [["email", "name"], ["ana@x.io", "Ana"], ["ben@x.io", "Ben"]])
        #expect(rows.map(\.line) == [1, 2, 3])
        #expect(rows.allSatisfy { $0.error == nil })
    }

    @Test func byteOrderMarkIsDetectedAndDropped() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + utf8("E-mail Address,Name\r\nana@x.io,Željka\r\n")
        let format = CSVFormat.detect(bytes)
        #expect(format == CSVFormat(encoding: .utf8, bom: true, delimiter: UInt8(ascii: ",")))
        let rows = try records(bytes)
        #expect(rows[0].fields == ["E-mail Address", "Name"])
        #expect(rows[1].fields == ["ana@x.io", "Željka"])
    }

    @Test func semicolonsAndTabsAreDetected() throws {
        #expect(CSVFormat.detect(utf8("email;name;city\na;b;c\n")).delimiterName == "semicolon")
        #expect(CSVFormat.detect(utf8("email\tname\na\tb\n")).delimiterName == "tab")
        // A comma inside quotes does not count.
        #expect(CSVFormat.detect(utf8("\"Smith, Ana\";x;y\n")).delimiterName == "semicolon")
        let rows = try records(utf8("email;name\nana@x.io;\"Horvat; Ana\"\n"))
        #expect(rows[1].fields == ["ana@x.io", "Horvat; Ana"])
    }

    @Test func windows1252Accents() throws {
        // "Šime Čović,Zürich €" in Windows-1252 (Š 0x8A, Č is not in 1252: use é 0xE9, € 0x80).
        let bytes: [UInt8] = utf8("name,city\n") + [0x8A, 0x69, 0x6D, 0x65, 0x20, 0x43, 0x6F, 0x76, 0x69, 0xE9, 0x2C, 0x5A, 0xFC, 0x72, 0x69, 0x63, 0x68, 0x20, 0x80, 0x0A]
        let format = CSVFormat.detect(bytes)
        #expect(format.encoding == .windows1252)
        let rows = try records(bytes)
        #expect(rows[1].fields == ["Šime Covié", "Zürich €"])
    }

    @Test func utf16WithAndWithoutMark() throws {
        let text = "email,name\nana@x.io,Ána 😀\n"
        let le: [UInt8] = [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(CSVFormat.detect(le) == CSVFormat(encoding: .utf16LE, bom: true))
        #expect(try records(le)[1].fields == ["ana@x.io", "Ána 😀"])
        let be: [UInt8] = text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        #expect(CSVFormat.detect(be).encoding == .utf16BE)
        #expect(try records(be)[1].fields == ["ana@x.io", "Ána 😀"])
    }

    @Test func quotedCommasQuotesAndNewlines() throws {
        let rows = try records(utf8("name,notes,city\n\"Horvat, Ana\",\"said \"\"hi\"\"\nand left\",Zagreb\nBen,x,Split\n"))
        #expect(rows[1].fields == ["Horvat, Ana", "said \"hi\"\nand left", "Zagreb"])
        #expect(rows[1].line == 2)
        #expect(rows[2].fields == ["Ben", "x", "Split"])
        // The record with the newline took lines 2 and 3.
        #expect(rows[2].line == 4)
        #expect(String(decoding: rows[1].raw, as: UTF8.self) == "\"Horvat, Ana\",\"said \"\"hi\"\"\nand left\",Zagreb")
    }

    @Test func crOnlyLineEndsAndNoFinalNewline() throws {
        let rows = try records(utf8("a,b\r1,2\r3,4"))
        #expect(rows.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(rows.map(\.line) == [1, 2, 3])
    }

    @Test func blankLinesArePassedOver() throws {
        let rows = try records(utf8("a,b\n\n1,2\n\n"))
        #expect(rows.map(\.fields) == [["a", "b"], ["1", "2"]])
        #expect(rows[1].line == 3)
    }

    @Test func unclosedQuoteFailsItsLineOnlyAndReadingGoesOn() throws {
        let rows = try records(utf8("email,name\nana@x.io,\"Ana\nben@x.io,Ben\ncid@x.io,Cid\n"))
        #expect(rows.count == 4)
        #expect(rows[1].error != nil)
        #expect(rows[1].line == 2)
        #expect(String(decoding: rows[1].raw, as: UTF8.self) == "ana@x.io,\"Ana")
        #expect(rows[2].fields == ["ben@x.io", "Ben"])
        #expect(rows[2].line == 3)
        #expect(rows[3].fields == ["cid@x.io", "Cid"])
    }

    @Test func overlongRecordFailsWithoutStoppingTheFile() throws {
        let long = String(repeating: "x", count: 300)
        let rows = try records(utf8("a,b\n\(long),1\n2,3\n"), max: 100)
        #expect(rows.count == 3)
        #expect(rows[1].error != nil)
        #expect(rows[2].fields == ["2", "3"])
        #expect(rows[2].line == 3)
    }

    @Test func invalidUTF8FailsTheRow() throws {
        let bytes = utf8("a,b\nok,1\n") + [0x41, 0xC3, 0x28, 0x2C, 0x31, 0x0A] + utf8("fine,2\n")
        let rows = try records(bytes, format: CSVFormat(encoding: .utf8))
        #expect(rows[2].error?.contains("utf-8") == true)
        #expect(rows[2].line == 3)
        #expect(rows[3].fields == ["fine", "2"])
    }

    @Test func detectionToleratesACharacterCutAtTheSampleEdge() {
        let bytes = utf8("name\nŽ")
        #expect(CSVFormat.detect(Array(bytes.dropLast())).encoding == .utf8)
    }

    @Test func writerNeutralisesFormulasAndQuotes() {
        #expect(CSVWriter.field("=SUM(A1)") == "'=SUM(A1)")
        #expect(CSVWriter.field("+1 555") == "'+1 555")
        #expect(CSVWriter.field("-12.5") == "-12.5")
        #expect(CSVWriter.field("@x") == "'@x")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.line(["a", "b\nc"]) == "a,\"b\nc\"\r\n")
    }

    @Test func whatTheWriterWritesTheReaderReadsBack() throws {
        let values = [["id", "name", "notes"], ["1", "Horvat, Ana", "line1\nline2 \"q\""], ["2", "=cmd", ""]]
        let text = values.map(CSVWriter.line).joined()
        let rows = try records(utf8(text))
        #expect(rows.map(\.fields) == [values[0], values[1], ["2", "'=cmd", ""]])
    }
}
