@testable import EnterCRM
import Foundation
import Testing
import Web
@testable import Messaging

/// The one template engine (`Template`): its names, fallbacks, escaping per output and
/// single pass, for every path that renders a message or a text.
@Suite struct TemplateTests {
    let values = TemplateValues(
        customer: ["name": "Ana Lee", "email": "ana@x.io", "phone": "+385 91", "city": "Zagreb", "country": "HR", "id": 7,
                   "properties": ["plan": "gold", "visits": 3, "vip": true, "ratio": 0.5, "nested": ["a": "deep"], "a.b": "dotted"]],
        context: ["event": ["name": "order", "properties": ["amount": 120, "sku": "X1"]], "entry": ["uid": "e-1", "entity_id": 4]],
        unsubscribeURL: "https://crm.example/t/u/abc")

    func plain(_ t: String, _ v: TemplateValues? = nil) -> String { Template.render(t, v ?? values, for: .plain) }

    @Test func shortNamesAndPaths() {
        #expect(plain("{{name}}|{{first_name}}|{{email}}|{{phone}}|{{city}}|{{country}}") == "Ana Lee|Ana|ana@x.io|+385 91|Zagreb|HR")
        #expect(plain("{{plan}} {{properties.plan}} {{customer.properties.plan}} {{properties.a.b}}") == "gold gold gold dotted")
        #expect(plain("{{customer.name}} {{customer.first_name}} {{customer.id}} {{customer.properties.nested.a}}") == "Ana Lee Ana 7 deep")
        #expect(plain("{{event.name}} {{event.properties.amount}} {{event.properties.sku}} {{entry.uid}} {{entry.entity_id}}") == "order 120 X1 e-1 4")
        #expect(plain("{{visits}} {{vip}} {{ratio}}") == "3 true 0.5")
        #expect(plain("Leave: {{unsubscribe_url}}") == "Leave: https://crm.example/t/u/abc")
        #expect(plain("{{ name }} {{  customer.email  }}") == "Ana Lee ana@x.io")
    }

    @Test func missingUnknownAndEmptyValuesTakeTheFallbackOrNothing() {
        #expect(plain("Hi {{missing}}!") == "Hi !")
        #expect(plain("Hi {{missing|friend}}!") == "Hi friend!")
        #expect(plain("Hi {{ first_name | there }}!", TemplateValues(customer: ["name": ""])) == "Hi there!")
        #expect(plain("Hi {{first_name|there}}!", TemplateValues()) == "Hi there!")
        #expect(plain("{{event.properties.nope|none}} {{entry.uid|no entry}}", TemplateValues()) == "none no entry")
        // Objects and arrays have no text.
        #expect(plain("[{{customer.properties}}] [{{event}}] [{{nested|obj}}]") == "[] [] [obj]")
        #expect(plain("{{name|a|b}}", TemplateValues()) == "a|b")
    }

    @Test func eachOutputEscapesTheValuesOnly() {
        let v = TemplateValues(customer: ["name": "<b>Ana & \"Čedo\"</b>", "city": "Split\r\nBcc: evil@x.io"])
        #expect(Template.render("<p>{{name}}</p>", v, for: .html) == "<p>&lt;b&gt;Ana &amp; &quot;Čedo&quot;&lt;/b&gt;</p>")
        #expect(Template.render("<p>{{missing|<friend>}}</p>", v, for: .html) == "<p>&lt;friend&gt;</p>")
        #expect(Template.render("From {{city}}", v, for: .header) == "From Split  Bcc: evil@x.io")
        #expect(Template.render("{{name}}", v, for: .plain) == "<b>Ana & \"Čedo\"</b>")
    }

    /// A value is never read again for placeholders: a customer's name (or an event's
    /// property, which anyone who can track may set) cannot pull in another value.
    @Test func onePassValuesAreNotTemplates() {
        let v = TemplateValues(customer: ["name": "{{email}} {{unsubscribe_url}}", "email": "ana@x.io", "properties": ["pin": "1234"]],
                               context: ["event": ["properties": ["note": "{{properties.pin}}"]]], unsubscribeURL: "https://u")
        #expect(plain("Dear {{customer.name}}: {{event.properties.note}}", v) == "Dear {{email}} {{unsubscribe_url}}: {{properties.pin}}")
        #expect(RenderedMail.render(subject: "{{name}}", plainBody: "{{name}}", values: v).text == "{{email}} {{unsubscribe_url}}\n")
    }

    @Test func anUnclosedPlaceholderIsKept() {
        #expect(plain("Hi {{name}}, {{first_name") == "Hi Ana Lee, {{first_name")
        #expect(plain("a }} b {{") == "a }} b {{")
    }

    @Test func emails() {
        let saved = RenderedMail.render(subject: "Hi {{first_name}}\r\n", html: "<p>{{name}} &amp; co</p>", text: nil,
                                        values: TemplateValues(customer: ["name": "Ann <3"]))
        #expect(saved.subject == "Hi Ann")
        #expect(saved.html == "<p>Ann &lt;3 &amp; co</p>")
        #expect(saved.text == "Ann <3 & co\n")
        let withText = RenderedMail.render(subject: "s", html: "<p>{{name}}</p>", text: "Plain {{name}}", values: TemplateValues(customer: ["name": "<Ann>"]))
        #expect(withText.text == "Plain <Ann>")
        let designed = RenderedMail.render(subject: "Hi", plainBody: "Dear {{name}},\n\nline one\nline <two>", values: TemplateValues(customer: ["name": "A&B"]))
        #expect(designed.html == "<html><body><p>Dear A&amp;B,</p><p>line one<br>line &lt;two&gt;</p></body></html>")
        #expect(designed.text == "Dear A&B,\n\nline one\nline <two>\n")
    }
}
