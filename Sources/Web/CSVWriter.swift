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
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" || $0 == "\t" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }

    /// A cell as it was before `field` neutralised it ("'+385 1" → "+385 1"), so that an
    /// exported file imports back unchanged.
    public static func unneutralised(_ cell: String) -> String {
        guard cell.hasPrefix("'"), let second = cell.dropFirst().first, "=+-@\t\r".contains(second) else { return cell }
        return String(cell.dropFirst())
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

    /// A JSON value as a cell: text as it is, numbers and dates as the API writes them, true or
    /// false, a list's items joined by `;`, nothing for null.
    public static func text(_ value: JSON?) -> String {
        switch value {
        case .string(let s), .number(let s): return s
        case .int(let n): return String(n)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .array(let items): return items.map { text($0) }.joined(separator: ";")
        case .object: return JSONWriter.string(value!)
        case .null, .none: return ""
        }
    }

    /// A list streamed as a CSV download: the header, then the lines `next` gives, a batch
    /// at a time, until it gives none. `next` keeps its own place (a keyset, an offset), so
    /// that no more than a batch is ever held.
    public static func stream(filename: String, header: [String], _ next: @escaping () throws -> [[String]]) -> Response {
        .streamed(headers: headers(filename: filename)) { send in
            var out = Chunker(send)
            out.add(header)
            while true {
                let lines = try next()
                if lines.isEmpty { break }
                for line in lines { out.add(line) }
            }
            out.flush()
        }
    }

    /// The columns of an export: those `requested` (`columns=a,b`) that are `allowed`, in the
    /// order asked; all of `defaults` when none is asked. 422 naming `columns` otherwise.
    public static func columns(_ requested: String?, allowed: [String], defaults: [String]) throws -> [String] {
        guard let requested, !requested.trimmingCharacters(in: .whitespaces).isEmpty else { return defaults }
        let asked = requested.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let unknown = asked.first(where: { !allowed.contains($0) }) {
            throw HTTPError.invalid("columns", "There is no column \(unknown); the columns are: \(allowed.joined(separator: ", ")).")
        }
        return asked
    }

    /// The headers of a CSV download named `filename` (letters, digits, dashes and dots).
    public static func headers(filename: String) -> [(String, String)] {
        let safe = String(filename.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "-" }.prefix(80))
        return [("Content-Type", "text/csv; charset=utf-8"), ("Content-Disposition", "attachment; filename=\"\(safe)\"")]
    }
}
