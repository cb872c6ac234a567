import Foundation
import MariaDB
import Messaging
import Web
import Core

/// `POST /v1/campaigns/{id}/preview`: the campaign's email as it is sent, composed by the
/// sender itself (`CampaignDelivery.compose`: merge tags, tracked links, unsafe links made
/// "#", the unsubscribe footer and the open pixel), for one customer or a sample recipient,
/// optionally with an unsaved `subject` and `body` (the editor's live preview). For a
/// customer the campaign was sent to, the message carries that customer's own token, so the
/// HTML is byte for byte the HTML part of the message they received.
enum CampaignPreview {
    /// The token of a message not sent to anyone: its pixel and links find no message.
    static let sampleToken = "preview"

    @Sendable static func preview(_ c: Context) throws -> Response {
        guard let campaign = try CampaignStore.find(c.db, c.tenant, id: try c.request.id()) else {
            throw HTTPError.notFound("Campaign not found.")
        }
        let body = c.request.body.isEmpty ? JSONObject() : try c.request.jsonObject()
        var input = Input(body)
        let customerID = input.int("customer_id", required: false, min: 1)
        let subject = input.string("subject", required: false, max: 255)
        var html: String?
        if let raw = body["body"], !raw.isNull {
            if let s = raw.stringValue, s.utf8.count <= 1 << 20 { html = s } else { input.fail("body", "The body must be a string of at most 1 MB.") }
        }
        try input.check()
        var values = EmailTemplateRoutes.sample
        var customer: JSON = .null
        var token = sampleToken
        var asSent = false
        var address = "alex.sample@example.com"
        if let customerID {
            guard let row = try c.db.queryOne("""
                SELECT c.id, c.name, c.email, c.phone, c.city, c.country, c.properties, m.token, m.address FROM customers c
                LEFT JOIN campaign_messages m ON m.campaign_id = \(try campaign.int("id")) AND m.customer_id = c.id
                WHERE c.tenant_id = \(c.tenant) AND c.id = \(customerID)
                """) else { throw HTTPError.invalid("customer_id", "The customer does not exist in this workspace.") }
            values = TemplateValues(row: row)
            customer = row.json(["id", "name", "email"])
            address = row.optionalString("address") ?? row.optionalString("email") ?? ""
            if let sent = row.optionalString("token"), html == nil, subject == nil {
                token = sent
                asSent = true
            }
        }
        let mail = CampaignDelivery.compose(
            campaign: campaign, to: address, values: values, token: token,
            links: CampaignLinks(base: CampaignLinks.publicBase(), secret: c.configuration.jwtSecret),
            settings: try MailSettings.load(c.db, c.tenant), signLinks: asSent, body: html, subject: subject)
        return .json(["subject": .string(mail.subject), "html": .string(mail.html), "text": .string(mail.text),
                      "customer": customer, "as_sent": .bool(asSent)])
    }
}
