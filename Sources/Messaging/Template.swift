import Foundation
import MariaDB
import Web

/// The values a message's placeholders read: the customer, the enrolment's event and CRM
/// entry (automations), and the message's unsubscribe link.
package struct TemplateValues: Sendable {
    /// The customer: `CustomerJSON.profile`, or the columns a campaign reads (name, email,
    /// phone, city, country, properties).
    var customer: JSON = [:]
    var event: JSON?
    var entry: JSON?
    package var unsubscribeURL = ""

    package init(customer: JSON = [:], context: JSON = [:], unsubscribeURL: String = "") {
        self.customer = customer
        event = context["event"]
        entry = context["entry"]
        self.unsubscribeURL = unsubscribeURL
    }

    /// A customer row's `name, email, phone, city, country, properties`; no row, no values.
    package init(row: Row?) {
        guard let row else { return }
        var o = JSONObject()
        for key in ["name", "email", "phone", "city", "country"] { o[key] = row.optionalString(key).map(JSON.string) ?? .null }
        o["properties"] = .object((try? JSONParser.parse(row.optionalString("properties") ?? "{}"))?.objectValue ?? JSONObject())
        customer = .object(o)
    }

    package var name: String? { customer["name"]?.stringValue }

    /// Sets one of the customer's values (a test send to another address).
    package mutating func set(_ key: String, _ value: String?) {
        var o = customer.objectValue ?? JSONObject()
        o[key] = value.map(JSON.string) ?? .null
        customer = .object(o)
    }

    /// The text of a placeholder, `nil` when it has none. See `Template` for the names.
    func value(_ name: String) -> String? {
        let path = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch path[0] {
        case "event": return Self.text(Self.walk(event, path.dropFirst()))
        case "entry": return Self.text(Self.walk(entry, path.dropFirst()))
        case "unsubscribe_url" where path.count == 1: return unsubscribeURL
        case "customer":
            if path == ["customer", "first_name"], customer["first_name"] == nil { return firstName }
            return Self.text(Self.walk(customer, path.dropFirst()))
        case "first_name" where path.count == 1: return firstName
        case "name", "email", "phone", "city", "country": return path.count == 1 ? Self.text(customer[path[0]]) : nil
        default:
            // A customer property, by its whole key: `properties.plan` or `plan`.
            let key = name.hasPrefix("properties.") ? String(name.dropFirst("properties.".count)) : name
            return Self.text(customer["properties"]?[key])
        }
    }

    private var firstName: String? { name?.split(separator: " ").first.map(String.init) }

    private static func walk(_ json: JSON?, _ keys: ArraySlice<String>) -> JSON? {
        var value = json
        for key in keys { value = value?[key] }
        return value
    }

    /// A scalar as text; null, objects and arrays have none.
    private static func text(_ json: JSON?) -> String? {
        switch json {
        case .string(let s)?: return s
        case .int(let v)?: return String(v)
        case .double(let d)?: return String(d)
        case .number(let s)?: return s
        case .bool(let b)?: return b ? "true" : "false"
        default: return nil
        }
    }
}

/// The one template engine: email subjects and bodies (campaigns, saved templates,
/// automations), SMS bodies, notices to users, and the text an automation writes into a
/// customer or a CRM entry.
///
/// - A placeholder is `{{name}}` or `{{name|fallback}}`; spaces inside are ignored.
/// - Names: `event.…` and `entry.…` (a path into the enrolment's event or CRM entry),
///   `customer.…` (a path into the customer's profile; `customer.first_name` is the first
///   word of the name), `unsubscribe_url`, and the short names `name`, `first_name`,
///   `email`, `phone`, `city`, `country`; `properties.key` or any other name is the
///   customer property of that key.
/// - A missing or empty value is the fallback, or nothing; an unknown name is missing.
/// - Every value (and fallback) is escaped for where the text goes (`Output`); the text
///   around placeholders is the author's and is kept as written.
/// - One pass: a value is never read again for placeholders (a customer named
///   `{{unsubscribe_url}}` is that text, not a link).
/// - A `{{` without its `}}` is kept as written.
///
/// A webhook body is never a template: it is a JSON value that `JSONWriter` encodes, so a
/// rendered text inside it (an SMS body) is a JSON string whatever it contains.
package enum Template {
    package enum Output {
        /// An HTML body: values HTML-escaped.
        case html
        /// A header (a subject): values on one line.
        case header
        /// Plain text (SMS, a text part, a customer field): values as they are.
        case plain
    }

    package static func render(_ template: String, _ values: TemplateValues, for output: Output) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let parts = inner.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            var value = values.value(parts[0]) ?? ""
            if value.isEmpty, parts.count > 1 { value = parts[1] }
            out += escape(value, for: output)
            rest = rest[close.upperBound...]
        }
        out += rest
        return out
    }

    static func escape(_ value: String, for output: Output) -> String {
        switch output {
        case .html: return MailTemplate.escapeHTML(value)
        case .header: return MailTemplate.headerSafe(value)
        case .plain: return value
        }
    }
}

/// An email's subject, HTML and text for one recipient, each rendered for its output.
struct RenderedMail {
    var subject: String
    var html: String
    var text: String

    /// A saved template or a campaign's parts: the HTML with values escaped for HTML, the
    /// subject on one line, the text part (or, without one, the text of the HTML) plain.
    static func render(subject: String, html: String, text: String?, values: TemplateValues) -> RenderedMail {
        let body = Template.render(html, values, for: .html)
        return RenderedMail(subject: MailTemplate.headerSafe(Template.render(subject, values, for: .header)), html: body,
                            text: text.map { Template.render($0, values, for: .plain) } ?? MailTemplate.text(fromHTML: body))
    }

    /// A body written as plain text (the automation designer's): rendered plain, then made
    /// HTML as a whole (escaped, blank lines between paragraphs, line breaks kept).
    static func render(subject: String, plainBody: String, values: TemplateValues) -> RenderedMail {
        let paragraphs = MailTemplate.escapeHTML(Template.render(plainBody, values, for: .plain)).replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n").map { "<p>" + $0.replacingOccurrences(of: "\n", with: "<br>") + "</p>" }
        let html = "<html><body>" + paragraphs.joined() + "</body></html>"
        return RenderedMail(subject: MailTemplate.headerSafe(Template.render(subject, values, for: .header)), html: html,
                            text: MailTemplate.text(fromHTML: html))
    }
}
