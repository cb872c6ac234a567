import Foundation

/// JSON Web Tokens signed with HS256 (HMAC-SHA-256), and nothing else: a token whose header
/// names another algorithm, `none` included, is refused before its signature is looked at.
public struct JWT: Sendable {
    /// The registered claims this service uses.
    public struct Claims: Sendable, Equatable {
        public var sub: Int
        public var tid: Int
        public var jti: String
        public var iat: Int
        public var exp: Int

        public init(sub: Int, tid: Int, jti: String, iat: Int, exp: Int) {
            self.sub = sub
            self.tid = tid
            self.jti = jti
            self.iat = iat
            self.exp = exp
        }
    }

    public enum Failure: Error, Equatable {
        case malformed, unsupportedAlgorithm, badSignature, expired
    }

    private let key: [UInt8]

    public init(secret: [UInt8]) {
        precondition(secret.count >= 32, "the JWT secret must be at least 32 bytes")
        key = secret
    }

    private static let header = Base64URL.encode(Array(#"{"typ":"JWT","alg":"HS256"}"#.utf8))

    public func sign(_ claims: Claims) -> String {
        let payload = #"{"sub":\#(claims.sub),"tid":\#(claims.tid),"jti":"\#(claims.jti)","iat":\#(claims.iat),"exp":\#(claims.exp)}"#
        let signingInput = Self.header + "." + Base64URL.encode(Array(payload.utf8))
        return signingInput + "." + Base64URL.encode(Digest.hmacSHA256(key: key, message: Array(signingInput.utf8)))
    }

    /// Checks the algorithm, the signature (in constant time) and the expiry, and returns the claims.
    public func verify(_ token: String, now: Int = Int(Date().timeIntervalSince1970)) throws -> Claims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count < 4096,
              let headerBytes = Base64URL.decode(String(parts[0])),
              let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any]
        else { throw Failure.malformed }
        guard header["alg"] as? String == "HS256" else { throw Failure.unsupportedAlgorithm }
        guard let signature = Base64URL.decode(String(parts[2])) else { throw Failure.malformed }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        let expected = Digest.hmacSHA256(key: key, message: signingInput)
        guard Digest.constantTimeEquals(expected, signature) else { throw Failure.badSignature }
        guard let payloadBytes = Base64URL.decode(String(parts[1])),
              let payload = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any],
              let sub = (payload["sub"] as? NSNumber)?.intValue,
              let tid = (payload["tid"] as? NSNumber)?.intValue,
              let jti = payload["jti"] as? String,
              let iat = (payload["iat"] as? NSNumber)?.intValue,
              let exp = (payload["exp"] as? NSNumber)?.intValue
        else { throw Failure.malformed }
        guard now < exp else { throw Failure.expired }
        return Claims(sub: sub, tid: tid, jti: jti, iat: iat, exp: exp)
    }
}
