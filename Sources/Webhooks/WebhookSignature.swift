import Cryptography
import Foundation

/// The Standard Webhooks signature (https://www.standardwebhooks.com): a secret is
/// "whsec_" + base64 of 32 random bytes; a call carries `webhook-id`, `webhook-timestamp`
/// (Unix seconds) and `webhook-signature`, "v1," + base64 of HMAC-SHA256 under the secret's
/// bytes over "<id>.<timestamp>.<body>". Several signatures (a rotation) are separated by spaces.
package enum WebhookSignature {
    package static let prefix = "whsec_"

    /// A new secret.
    package static func newSecret() -> String { prefix + Data(Random.bytes(32)).base64EncodedString() }

    /// The key bytes of a secret (base64 after the prefix); nil if it is not one.
    package static func key(_ secret: String) -> [UInt8]? {
        guard secret.hasPrefix(prefix), let data = Data(base64Encoded: String(secret.dropFirst(prefix.count))) else { return nil }
        return Array(data)
    }

    /// "v1,<base64>" for one secret.
    package static func sign(secret: String, id: String, timestamp: Int, body: [UInt8]) -> String {
        let mac = Digest.hmacSHA256(key: key(secret) ?? [], message: Array("\(id).\(timestamp).".utf8) + body)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The header value: one signature per secret, space-separated.
    package static func header(secrets: [String], id: String, timestamp: Int, body: [UInt8]) -> String {
        secrets.map { sign(secret: $0, id: id, timestamp: timestamp, body: body) }.joined(separator: " ")
    }

    /// A secret as lists show it: the prefix and its last four characters.
    package static func masked(_ secret: String) -> String { prefix + "…" + String(secret.suffix(4)) }
}
