import Foundation

/// The text encodings a CSV file is read in. UTF-8 (with or without a byte-order mark),
/// UTF-16 (either byte order, BOM or not) and Windows-1252, what spreadsheets write.
public enum CSVEncoding: String, Sendable {
    case utf8 = "utf-8"
    case utf16LE = "utf-16le"
    case utf16BE = "utf-16be"
    case windows1252 = "windows-1252"
}

/// How a file is read: its encoding, whether it starts with a byte-order mark, its delimiter.
public struct CSVFormat: Sendable, Equatable {
    public var encoding: CSVEncoding
    public var bom: Bool
    /// `,`, `;` or a tab.
    public var delimiter: UInt8

    public init(encoding: CSVEncoding, bom: Bool = false, delimiter: UInt8 = UInt8(ascii: ",")) {
        self.encoding = encoding
        self.bom = bom
        self.delimiter = delimiter
    }

    /// "comma", "semicolon" or "tab".
    public var delimiterName: String {
        switch delimiter {
        case UInt8(ascii: ";"): return "semicolon"
        case UInt8(ascii: "\t"): return "tab"
        default: return "comma"
        }
    }

    /// The encoding and BOM from the first bytes of a file; the delimiter from its first line.
    public static func detect(_ head: [UInt8]) -> CSVFormat {
        var format: CSVFormat
        if head.starts(with: [0xEF, 0xBB, 0xBF]) {
            format = CSVFormat(encoding: .utf8, bom: true)
        } else if head.starts(with: [0xFF, 0xFE]) {
            format = CSVFormat(encoding: .utf16LE, bom: true)
        } else if head.starts(with: [0xFE, 0xFF]) {
            format = CSVFormat(encoding: .utf16BE, bom: true)
        } else {
            // UTF-16 without a mark: text in ASCII leaves every other byte zero.
            let sample = head.prefix(4096)
            let evenZeros = stride(from: 0, to: sample.count, by: 2).filter { sample[sample.startIndex + $0] == 0 }.count
            let oddZeros = stride(from: 1, to: sample.count, by: 2).filter { sample[sample.startIndex + $0] == 0 }.count
            if sample.count >= 4, oddZeros * 3 > sample.count { format = CSVFormat(encoding: .utf16LE) }
            else if sample.count >= 4, evenZeros * 3 > sample.count { format = CSVFormat(encoding: .utf16BE) }
            else { format = CSVFormat(encoding: isUTF8(Array(head)) ? .utf8 : .windows1252) }
        }
        // The delimiter: the candidate seen most often outside quotes on the first line.
        var decoder = CSVDecoder(format.encoding)
        var text: [UInt8] = []
        decoder.feed(head.dropFirst(format.bom ? (format.encoding == .utf8 ? 3 : 2) : 0), into: &text)
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, UInt8(ascii: "\t"): 0]
        var quoted = false
        for byte in text {
            if byte == UInt8(ascii: "\"") { quoted.toggle() }
            else if !quoted, byte == 10 || byte == 13 { break }
            else if !quoted, counts[byte] != nil { counts[byte]! += 1 }
        }
        let best = counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }
        format.delimiter = (best?.value ?? 0) > 0 ? best!.key : UInt8(ascii: ",")
        return format
    }

    /// Valid UTF-8, allowing a sequence cut at the end of the sample.
    static func isUTF8(_ bytes: [UInt8]) -> Bool {
        var cut = bytes.count
        // Drop an incomplete sequence at the very end (the sample's edge, not the file's).
        var back = 0
        while back < 3, cut - back - 1 >= 0, bytes[cut - back - 1] & 0xC0 == 0x80 { back += 1 }
        if cut - back - 1 >= 0, bytes[cut - back - 1] >= 0xC0 {
            let lead = bytes[cut - back - 1]
            let need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1
            if back < need { cut -= back + 1 }
        }
        return String(validating: bytes[0..<cut], as: UTF8.self) != nil
    }
}

/// Turns bytes of a file's encoding into UTF-8, a chunk at a time (a character cut between
/// chunks is kept for the next). A byte that has no character in the encoding becomes 0xFF,
/// which is never valid UTF-8, so that the row holding it fails its check.
public struct CSVDecoder: Sendable {
    let encoding: CSVEncoding
    private var carry: [UInt8] = []
    private var highSurrogate: UInt16?

    public init(_ encoding: CSVEncoding) { self.encoding = encoding }

    /// The characters of Windows-1252's 0x80–0x9F (0 where the code page has none).
    static let cp1252: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    public mutating func feed<C: Collection>(_ bytes: C, into out: inout [UInt8]) where C.Element == UInt8 {
        switch encoding {
        case .utf8:
            out.append(contentsOf: bytes)
        case .windows1252:
            for byte in bytes {
                if byte < 0x80 { out.append(byte); continue }
                let scalar = byte < 0xA0 ? Self.cp1252[Int(byte - 0x80)] : UInt32(byte)
                if scalar == 0 { out.append(0xFF) } else { Self.append(scalar, to: &out) }
            }
        case .utf16LE, .utf16BE:
            var input = carry
            input.append(contentsOf: bytes)
            var i = 0
            while i + 1 < input.count {
                let unit = encoding == .utf16LE ? UInt16(input[i]) | UInt16(input[i + 1]) << 8 : UInt16(input[i]) << 8 | UInt16(input[i + 1])
                i += 2
                if let high = highSurrogate {
                    highSurrogate = nil
                    if (0xDC00...0xDFFF).contains(unit) {
                        Self.append(0x10000 + (UInt32(high - 0xD800) << 10) + UInt32(unit - 0xDC00), to: &out)
                        continue
                    }
                    out.append(0xFF)
                }
                switch unit {
                case 0xD800...0xDBFF: highSurrogate = unit
                case 0xDC00...0xDFFF: out.append(0xFF)
                default: Self.append(UInt32(unit), to: &out)
                }
            }
            carry = Array(input[i...])
        }
    }

    /// The end of the file: a character left incomplete is an invalid byte.
    public mutating func finish(into out: inout [UInt8]) {
        if !carry.isEmpty || highSurrogate != nil { out.append(0xFF) }
        carry = []
        highSurrogate = nil
    }

    static func append(_ scalar: UInt32, to out: inout [UInt8]) {
        guard let s = Unicode.Scalar(scalar) else { out.append(0xFF); return }
        out.append(contentsOf: UTF8.encode(s)!)
    }
}

/// One record of a CSV file: its fields, the line it starts on (1 is the first line of the
/// file), its text as read (UTF-8, without the line end), and why it is malformed if it is.
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]
    public var raw: [UInt8]
    public var error: String?
}

/// Reads CSV records (RFC 4180, with the usual tolerances) from chunks of bytes, never
/// holding more than the record being read and a chunk. Fields may be quoted, with `""` for
/// a quote, and then hold delimiters and line ends; lines end in LF, CRLF or CR. A malformed
/// record (a quote never closed, a record longer than `maxRecordBytes`, bytes that are not
/// text in the encoding) is returned with its `error`, and reading goes on after it: an
/// unclosed quote fails its first line only, and the next line is read afresh.
public final class CSVReader {
    public let format: CSVFormat
    public let maxRecordBytes: Int
    private let source: () throws -> [UInt8]?
    private var decoder: CSVDecoder
    private var buffer: [UInt8] = []
    private var position = 0
    private var line = 1
    private var ended = false
    private var bomPending: Int

    /// Reads chunks from `source` until it answers nil.
    public init(format: CSVFormat, maxRecordBytes: Int = 1 << 20, source: @escaping () throws -> [UInt8]?) {
        self.format = format
        self.maxRecordBytes = maxRecordBytes
        self.source = source
        decoder = CSVDecoder(format.encoding)
        bomPending = format.bom ? (format.encoding == .utf8 ? 3 : 2) : 0
    }

    /// Reads the file at `path` in 64 KiB chunks; the format is detected when not given.
    public convenience init(path: String, format: CSVFormat? = nil, maxRecordBytes: Int = 1 << 20) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
        let detected = try format ?? CSVFormat.detect(Array(handle.read(upToCount: 65536) ?? Data()))
        try handle.seek(toOffset: 0)
        self.init(format: detected, maxRecordBytes: maxRecordBytes) {
            guard let data = try handle.read(upToCount: 65536), !data.isEmpty else { try? handle.close(); return nil }
            return Array(data)
        }
    }

    /// Reads the records of bytes in memory (tests, small files).
    public convenience init(bytes: [UInt8], format: CSVFormat? = nil, maxRecordBytes: Int = 1 << 20) {
        var given: [UInt8]? = bytes
        self.init(format: format ?? CSVFormat.detect(Array(bytes.prefix(65536))), maxRecordBytes: maxRecordBytes) {
            defer { given = nil }
            return given
        }
    }

    /// Loads another chunk; false at the end of the file.
    private func load() throws -> Bool {
        guard !ended else { return false }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        guard var chunk = try source() else {
            decoder.finish(into: &buffer)
            ended = true
            return true
        }
        if bomPending > 0 {
            let skip = min(bomPending, chunk.count)
            chunk.removeFirst(skip)
            bomPending -= skip
        }
        decoder.feed(chunk, into: &buffer)
        return true
    }

    /// The next record; nil at the end of the file. Blank lines are passed over.
    public func next() throws -> CSVRecord? {
        while true {
            switch scan(final: ended) {
            case .record(var record, let end, let lines):
                let raw = Array(buffer[position..<end])
                position = end
                record.line = line
                line += lines
                record.raw = Self.trimmingLineEnd(raw)
                if record.raw.isEmpty { continue }
                return record
            case .more:
                if buffer.count - position > maxRecordBytes {
                    return try malformed("The row is longer than \(maxRecordBytes) bytes or has a quote that is never closed.")
                }
                if try !load() { return nil }
            case .unclosed:
                return try malformed("A quoted field is never closed.")
            case .end:
                return nil
            }
        }
    }

    /// Fails the current record's first line and goes on at the line after it. A line
    /// longer than the buffer is read through, keeping only its start for the message.
    private func malformed(_ message: String) throws -> CSVRecord {
        var head: [UInt8]?
        while true {
            if let newline = buffer[position...].firstIndex(where: { $0 == 10 || $0 == 13 }) {
                let raw = head ?? Array(buffer[position..<newline].prefix(4096))
                var end = newline + 1
                if buffer[newline] == 13, end < buffer.count, buffer[end] == 10 { end += 1 }
                position = end
                return advance(CSVRecord(line: line, fields: [], raw: raw, error: message))
            }
            if head == nil { head = Array(buffer[position...].prefix(4096)) }
            position = buffer.count
            if ended { return advance(CSVRecord(line: line, fields: [], raw: head ?? [], error: message)) }
            _ = try load()
        }
    }

    private func advance(_ record: CSVRecord) -> CSVRecord {
        line += 1
        return record
    }

    private enum Scan { case record(CSVRecord, end: Int, lines: Int), more, unclosed, end }

    /// One record from `position`, if the buffer holds all of it (or the file has ended).
    private func scan(final: Bool) -> Scan {
        let quote = UInt8(ascii: "\""), delimiter = format.delimiter
        var fields: [String] = []
        var field: [UInt8] = []
        var invalid = false
        var i = position, lines = 0
        var inQuotes = false, wasQuoted = false
        func close() {
            if let text = String(validating: field, as: UTF8.self) { fields.append(text) } else { invalid = true; fields.append("") }
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func done(_ end: Int, _ lineCount: Int) -> Scan {
            close()
            let error = invalid ? "The row has bytes that are not \(format.encoding.rawValue) text." : nil
            return .record(CSVRecord(line: 0, fields: fields, raw: [], error: error), end: end, lines: lineCount)
        }
        if position >= buffer.count { return final ? .end : .more }
        while i < buffer.count {
            let byte = buffer[i]
            if inQuotes {
                if byte == quote {
                    if i + 1 < buffer.count {
                        if buffer[i + 1] == quote { field.append(quote); i += 2 } else { inQuotes = false; i += 1 }
                    } else if !final {
                        return .more
                    } else {
                        inQuotes = false; i += 1
                    }
                } else {
                    if byte == 10 || (byte == 13 && (i + 1 >= buffer.count || buffer[i + 1] != 10)) { lines += 1 }
                    field.append(byte); i += 1
                }
                continue
            }
            switch byte {
            case delimiter:
                close(); i += 1
            case 10:
                return done(i + 1, lines + 1)
            case 13:
                if i + 1 < buffer.count { return done(buffer[i + 1] == 10 ? i + 2 : i + 1, lines + 1) }
                if !final { return .more }
                return done(i + 1, lines + 1)
            case quote where field.isEmpty && !wasQuoted:
                inQuotes = true; wasQuoted = true; i += 1
            default:
                field.append(byte); i += 1
            }
        }
        if inQuotes { return final ? .unclosed : .more }
        return final ? done(i, 1) : .more
    }

    static func trimmingLineEnd(_ raw: [UInt8]) -> [UInt8] {
        var end = raw.count
        while end > 0, raw[end - 1] == 10 || raw[end - 1] == 13 { end -= 1 }
        return Array(raw[0..<end])
    }
}
