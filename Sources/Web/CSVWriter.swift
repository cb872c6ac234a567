import Foundation

/// The one CSV writer: every CSV the service answers (list exports, segment members, a
/// campaign's audience file, an import's errors) is written here. Fields are quoted when
/// they hold a delimiter, a quote or a line end; a field a spreadsheet would run as a formula
/// (one that begins with = + - @, a tab or a carriage return, and is not a number) gets a
/// leading `'`. Lines end in CRLF (RFC 4180).
public enum CSVWriter {
    /// One field, neutralised and quoted as needed.
    public static func field(_ value: String) -> String {
        var v = value
        if let first = v.first, "=+-@\t\r".contains(first), Double(v) == nil { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }

    /// One line of fields, with its CRLF.
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// Collects lines and hands them on in pieces of about 64 KiB (a streamed body's writes).
    public struct Chunker {
        private var pending: [UInt8] = []
        private let send: ([UInt8]) -> Void
        public init(_ send: @escaping ([UInt8]) -> Void) {
            self.send = send
            pending.reserveCapacity(70_000)
        }
        public mutating func add(_ fields: [String]) {
            pending.append(contentsOf: CSVWriter.line(fields).utf8)
            if pending.count >= 65_536 { flush() }
        }
        public mutating func flush() {
            if !pending.isEmpty { send(pending) }
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// The headers of a CSV download named `filename` (letters, digits, dashes and dots).
    public static func headers(filename: String) -> [(String, String)] {
        let safe = String(filename.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "-" }.prefix(80))
        return [("Content-Type", "text/csv; charset=utf-8"), ("Content-Disposition", "attachment; filename=\"\(safe)\"")]
    }
}
