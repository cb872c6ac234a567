import Foundation
import MariaDB
import Web
import Core

/// One message to send (an automation action's): what `Messenger` takes.
package struct OutboundMessage: Sendable {
    package enum Channel: String, Sendable { case email, sms, notify, webhook }
    let channel: Channel
    /// Unique per enrolment step: the same step never makes two messages.
    let key: String
    let to: String
    /// Templates (`Template`), rendered once by the delivery: the subject, and the body
    /// as plain text.
    let subject: String
    let body: String
    /// A saved template's HTML and text parts: they replace `body`, which is then only the
    /// log's description.
    var html: String? = nil
    var text: String? = nil
    /// The enrolled customer's profile and the enrolment's context (event, CRM entry): the
    /// templates' values.
    var customer: JSON = [:]
    var context: JSON = [:]
    var automationID: Int?
    /// The `automation_messages` row of an email to a customer: its unsubscribe link.
    var messageRowID: Int?

    /// The memberwise initializer, written out: the implicit one is internal to this module.
    package init(channel: Channel, key: String, to: String, subject: String, body: String, html: String? = nil,
                 text: String? = nil, customer: JSON = [:], context: JSON = [:], automationID: Int? = nil,
                 messageRowID: Int? = nil) {
        self.channel = channel
        self.key = key
        self.to = to
        self.subject = subject
        self.body = body
        self.html = html
        self.text = text
        self.customer = customer
        self.context = context
        self.automationID = automationID
        self.messageRowID = messageRowID
    }
}

/// Delivers a message (what `send_email`, `send_sms` and `notify_user` send). Throws
/// `DeliveryError`.
package protocol Messenger: Sendable {
    func deliver(_ message: OutboundMessage, db: Connection, tenant: Tenant) throws
}

/// The workspace's delivery, as the campaigns': its mail settings (its SMTP relay, or the
/// development mailbox), the MIME builder, the templates, and the SMS webhook.
package struct WorkspaceMessenger: Messenger {
    /// The mail transport for a workspace's settings (tests give their own mailbox).
    var transport: @Sendable (MailSettings) -> MailTransport = { $0.transport() }
    /// The unsubscribe links' address and key (`ENTERCRM_PUBLIC_URL`, the JWT secret).
    var links = CampaignLinks.fromEnvironment()

    /// The memberwise initializer, written out: the implicit one is internal to this module.
    package init(transport: @escaping @Sendable (MailSettings) -> MailTransport = { $0.transport() },
                 links: CampaignLinks = CampaignLinks.fromEnvironment()) {
        self.transport = transport
        self.links = links
    }

    package func deliver(_ m: OutboundMessage, db: Connection, tenant: Tenant) throws {
        let settings = try MailSettings.load(db, tenant)
        let unsubscribe = m.channel == .email ? m.messageRowID.map { links.unsubscribe(links.automationToken(messageID: $0)) } : nil
        let values = TemplateValues(customer: m.customer, context: m.context, unsubscribeURL: unsubscribe ?? "")
        let outcome: SendOutcome
        if m.channel == .sms {
            let sms = SMSWebhook(settings)
            defer { sms.close() }
            let payload = JSONWriter.bytes(["message_id": .string(m.key), "automation_id": .from(m.automationID), "to": .string(m.to),
                                            "body": .string(Template.render(m.body, values, for: .plain))])
            outcome = sms.send(from: settings.fromEmail, to: m.to, data: payload)
        } else {
            let mail = transport(settings)
            defer { mail.close() }
            // Named like the campaigns' files, so that the workspace's mailbox lists it.
            if let box = mail as? DevMailbox { box.nextName = "\(tenant.id)-automation-\(m.key)" }
            outcome = mail.send(from: settings.fromEmail, to: m.to,
                                data: Self.compose(m, values: values, settings: settings, unsubscribe: unsubscribe).rendered())
        }
        switch outcome {
        case .sent: return
        case .unknown(let e): throw DeliveryError.uncertain(e)
        case .permanent(let e), .temporary(let e): throw DeliveryError.failed(e)
        }
    }

    /// The message as the campaigns build it: the body (plain text from the designer) as
    /// HTML with its values rendered and escaped, its text part, and the headers: an
    /// email to a customer carries `List-Unsubscribe` (one-click, RFC 8058) as a campaign's
    /// does, and `{{unsubscribe_url}}` is its link.
    static func compose(_ m: OutboundMessage, values: TemplateValues, settings: MailSettings, unsubscribe: String? = nil) -> MailMessage {
        let rendered = m.html.map { RenderedMail.render(subject: m.subject, html: $0, text: m.text, values: values) }
            ?? RenderedMail.render(subject: m.subject, plainBody: m.body, values: values)
        let domain = settings.fromEmail.split(separator: "@").last.map(String.init) ?? "entercrm.localhost"
        return MailMessage(fromEmail: settings.fromEmail, fromName: settings.fromName, to: m.to,
                           toName: m.channel == .email ? values.name : nil,
                           subject: rendered.subject,
                           html: rendered.html, text: rendered.text, messageID: "\(m.key)@\(domain)", listUnsubscribeURL: unsubscribe,
                           extraHeaders: [("X-EnterCRM-Automation", m.automationID.map(String.init) ?? ""), ("X-EnterCRM-Channel", m.channel.rawValue)])
    }
}

/// Why a message was not delivered.
package enum DeliveryError: Error, CustomStringConvertible {
    case failed(String)
    /// The message may have left (the connection broke after it was handed over): it is
    /// never sent again.
    case uncertain(String)

    package var description: String {
        switch self {
        case .failed(let s): return s
        case .uncertain(let s): return "may have been delivered: \(s)"
        }
    }
}
