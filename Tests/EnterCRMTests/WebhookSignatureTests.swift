import Testing
@testable import Webhooks

/// The Standard Webhooks signature: docs/webhooks.md's worked example, computed by the server's
/// code, and the secret's shape.
struct WebhookSignatureTests {
    @Test func theDocumentedExampleSignsAsTheDocumentSays() {
        let secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        #expect(WebhookSignature.key(secret) == Array(0..<32))
        let body = #"{"type":"customer.created","timestamp":"2025-12-07T12:00:00.000000Z","data":{"id":12,"email":"ada@example.com","name":"Ada Lovelace"}}"#
        let signature = WebhookSignature.sign(secret: secret, id: "msg_2041", timestamp: 1_765_108_800, body: Array(body.utf8))
        #expect(signature == "v1,jZbsJ3dV53Tr8S19aS44Rs+m+ltizK2YpGqNXaXt6hI=")
        // During a rotation both secrets sign, separated by a space.
        let other = WebhookSignature.newSecret()
        let header = WebhookSignature.header(secrets: [other, secret], id: "msg_2041", timestamp: 1_765_108_800, body: Array(body.utf8))
        #expect(header.split(separator: " ").last.map(String.init) == signature)
    }

    @Test func newSecretsAre32RandomBytes() {
        let a = WebhookSignature.newSecret(), b = WebhookSignature.newSecret()
        #expect(a.hasPrefix("whsec_") && a != b)
        #expect(WebhookSignature.key(a)?.count == 32)
        #expect(WebhookSignature.key("not a secret") == nil)
        #expect(WebhookSignature.masked(a) == "whsec_…" + String(a.suffix(4)))
    }
}
