import Cryptography
import Foundation
import Platform
import Web

/// Escaping, links and the text version of a message's HTML (the placeholders are `Template`'s).
package enum MailTemplate {
    package static func escapeHTML(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A header value on one line: CR, LF and other control characters become spaces.
    package static func headerSafe(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 32 || $0.value == 127 ? " " : $0 }))
            .trimmingCharacters(in: .whitespaces)
    }

    /// A link's address as a browser reads it: without the tabs and line breaks that a
    /// browser drops, and without leading and trailing spaces and control characters.
    static func linkAddress(_ raw: String) -> String {
        let kept = raw.unicodeScalars.filter { $0 != "\t" && $0 != "\n" && $0 != "\r" }
        return String(String.UnicodeScalarView(kept)).trimmingCharacters(in: .whitespacesAndNewlines.union(.controlCharacters))
    }

    /// Schemes a link in a message may have; a link with any other (javascript:, data:,
    /// vbscript:…) becomes "#". A link without a scheme (relative, #anchor) is kept.
    static let safeSchemes: Set<String> = ["http", "https", "mailto", "tel", "sms"]

    /// Whether a link's address is safe to keep: its scheme, read as a browser would (numeric
    /// character references decoded, tabs, line breaks and spaces dropped), is allowed.
    static func isSafeLink(_ address: String) -> Bool {
        var squashed = ""
        var scalars = Substring(decodeEntities(address)).unicodeScalars[...]
        while let scalar = scalars.first {
            scalars = scalars.dropFirst()
            if scalar == "&", scalars.first == "#" {
                // &#NN; or &#xHH; (the semicolon is optional to browsers).
                var rest = scalars.dropFirst()
                let hex = rest.first == "x" || rest.first == "X"
                if hex { rest = rest.dropFirst() }
                let digits = rest.prefix { hex ? $0.properties.isASCIIHexDigit : ("0"..."9").contains($0) }
                if !digits.isEmpty, let value = UInt32(String(String.UnicodeScalarView(digits)), radix: hex ? 16 : 10),
                   let decoded = Unicode.Scalar(value) {
                    rest = rest.dropFirst(digits.count)
                    if rest.first == ";" { rest = rest.dropFirst() }
                    scalars = rest
                    if decoded.value > 32 { squashed.unicodeScalars.append(decoded) }
                    continue
                }
            }
            if scalar.value > 32 { squashed.unicodeScalars.append(scalar) }
        }
        squashed = squashed.replacingOccurrences(of: "&Tab;", with: "").replacingOccurrences(of: "&NewLine;", with: "")
        guard let colon = squashed.firstIndex(of: ":") else { return true }
        let scheme = squashed[..<colon]
        if scheme.contains(where: { "/?#".contains($0) }) { return true }
        return safeSchemes.contains(scheme.lowercased())
    }

    /// Rewrites every `href="http…"` through `link` (the click tracker); links with a
    /// scheme that is not safe (`isSafeLink`) become `#`.
    package static func rewriteLinks(_ html: String, _ link: (String) -> String) -> String {
        var out = ""
        var rest = Substring(html)
        while let found = rest.range(of: "href=", options: .caseInsensitive) {
            out += rest[..<found.upperBound]
            rest = rest[found.upperBound...]
            guard let quote = rest.first, quote == "\"" || quote == "'" else { continue }
            let afterQuote = rest.index(after: rest.startIndex)
            guard let end = rest[afterQuote...].firstIndex(of: quote) else { continue }
            let url = linkAddress(decodeEntities(String(rest[afterQuote..<end])))
            out.append(quote)
            let lowered = url.lowercased()
            if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") {
                out += escapeHTML(link(url))
            } else if !isSafeLink(String(rest[afterQuote..<end])) {
                out += "#"
            } else {
                out += rest[afterQuote..<end]
            }
            out.append(quote)
            rest = rest[rest.index(after: end)...]
        }
        out += rest
        return out
    }

    /// A plain-text version of the HTML: blocks become lines, links keep their address.
    package static func text(fromHTML html: String) -> String {
        var out = ""
        var i = html.startIndex
        var pendingLink: String?
        var skipping = false
        while i < html.endIndex {
            let c = html[i]
            if c == "<", let close = html[i...].firstIndex(of: ">") {
                let tag = html[html.index(after: i)..<close].lowercased()
                let name = tag.split(whereSeparator: { $0 == " " || $0 == "/" || $0 == "\n" }).first.map(String.init) ?? ""
                let closing = tag.hasPrefix("/")
                let bare = closing ? String(tag.dropFirst()).split(separator: " ").first.map(String.init) ?? "" : name
                switch bare {
                case "style", "script", "head", "title": skipping = !closing
                case "br": out += "\n"
                case "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol":
                    if !out.hasSuffix("\n\n") { out += out.hasSuffix("\n") ? "\n" : "\n\n" }
                case "li": if !closing { out += "\n- " }
                case "a":
                    if closing {
                        if let link = pendingLink { out += " (\(link))" }
                        pendingLink = nil
                    } else if let start = tag.range(of: "href=") {
                        let value = tag[start.upperBound...]
                        let quote = value.first
                        let body = (quote == "\"" || quote == "'") ? value.dropFirst() : value
                        let original = html[html.index(after: i)..<close]
                        // The address as written (case kept), found again in the original tag.
                        if let r = original.range(of: String(body.prefix { $0 != quote && $0 != " " }), options: .caseInsensitive) {
                            pendingLink = decodeEntities(String(original[r]))
                        }
                    }
                default: break
                }
                i = html.index(after: close)
                continue
            }
            if !skipping { out.append(c) }
            i = html.index(after: i)
        }
        let decoded = decodeEntities(out)
        // Runs of spaces collapse; at most one empty line in a row.
        var lines: [String] = []
        for line in decoded.split(separator: "\n", omittingEmptySubsequences: false) {
            let collapsed = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
            if collapsed.isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(collapsed)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }

    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// A message as MIME (RFC 5322, 2045–2047): multipart/alternative with a text and an HTML
/// part, both base64 UTF-8; the subject and names as encoded words when not ASCII.
package struct MailMessage {
    var fromEmail: String
    var fromName: String?
    var to: String
    var toName: String?
    package var subject: String
    package var html: String
    package var text: String
    var messageID: String
    var listUnsubscribeURL: String?
    var date = Date()
    var extraHeaders: [(String, String)] = []

    /// The memberwise initializer, written out: the implicit one is internal to this module.
    package init(fromEmail: String, fromName: String? = nil, to: String, toName: String? = nil, subject: String,
                 html: String, text: String, messageID: String, listUnsubscribeURL: String? = nil, date: Date = Date(),
                 extraHeaders: [(String, String)] = []) {
        self.fromEmail = fromEmail
        self.fromName = fromName
        self.to = to
        self.toName = toName
        self.subject = subject
        self.html = html
        self.text = text
        self.messageID = messageID
        self.listUnsubscribeURL = listUnsubscribeURL
        self.date = date
        self.extraHeaders = extraHeaders
    }

    package func rendered() -> [UInt8] {
        let boundary = "=_entercrm_" + Random.hex(bytes: 12)
        var h: [(String, String)] = [
            ("Date", UTC.rfc5322(date)),
            ("From", Self.address(fromEmail, name: fromName)),
            ("To", Self.address(to, name: toName)),
            ("Subject", Self.encodedWords(MailTemplate.headerSafe(subject))),
            ("Message-ID", "<\(MailTemplate.headerSafe(messageID))>"),
            ("MIME-Version", "1.0"),
        ]
        if let url = listUnsubscribeURL {
            h.append(("List-Unsubscribe", "<\(MailTemplate.headerSafe(url))>"))
            h.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        }
        h += extraHeaders.map { ($0.0, MailTemplate.headerSafe($0.1)) }
        h.append(("Content-Type", "multipart/alternative; boundary=\"\(boundary)\""))
        var out = ""
        for (name, value) in h { out += "\(name): \(value)\r\n" }
        out += "\r\n"
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            out += "--\(boundary)\r\n"
            out += "Content-Type: \(type); charset=utf-8\r\n"
            out += "Content-Transfer-Encoding: base64\r\n\r\n"
            out += Self.base64Lines(Array(body.utf8))
        }
        out += "--\(boundary)--\r\n"
        return Array(out.utf8)
    }

    static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Data(bytes).base64EncodedString()
        var out = ""
        out.reserveCapacity(encoded.count + encoded.count / 76 * 2 + 2)
        var i = encoded.startIndex
        while i < encoded.endIndex {
            let j = encoded.index(i, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            out += encoded[i..<j]
            out += "\r\n"
            i = j
        }
        return out
    }

    /// ASCII text as it is; anything else as RFC 2047 base64 encoded words of at most 75
    /// characters, split between characters, never inside one.
    static func encodedWords(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for c in text {
            let bytes = Array(String(c).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }

    static func address(_ email: String, name: String?) -> String {
        let addr = SMTPClient.clean(email)
        guard let name = name.map(MailTemplate.headerSafe), !name.isEmpty else { return "<\(addr)>" }
        if name.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value < 127 }) {
            let quoted = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(quoted)\" <\(addr)>"
        }
        return "\(encodedWords(name)) <\(addr)>"
    }
}
