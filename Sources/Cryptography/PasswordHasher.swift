import COpenSSL
import Foundation

/// Password hashing with scrypt (OpenSSL's EVP_PBE_scrypt), in a self-describing format:
/// `$scrypt$ln=17,r=8,p=1$<salt base64url>$<hash base64url>`.
///
/// The defaults follow OWASP's recommendation (N = 2^17, r = 8, p = 1: 128 MiB per hash).
/// `needsRehash` tells when a stored hash was made with weaker parameters, so the caller can
/// rehash at the next successful login.
public struct PasswordHasher: Sendable {
    public var logN: Int
    public var r: Int
    public var p: Int
    public static let hashLength = 32

    public init(logN: Int = 17, r: Int = 8, p: Int = 1) {
        self.logN = logN
        self.r = r
        self.p = p
    }

    public func hash(_ password: String) -> String {
        let salt = Random.bytes(16)
        let derived = Self.derive(password: password, salt: salt, logN: logN, r: r, p: p)!
        return "$scrypt$ln=\(logN),r=\(r),p=\(p)$\(Base64URL.encode(salt))$\(Base64URL.encode(derived))"
    }

    /// True when `password` matches `stored`; compared in constant time.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let parsed = Self.parse(stored),
              let derived = Self.derive(password: password, salt: parsed.salt, logN: parsed.logN, r: parsed.r, p: parsed.p)
        else { return false }
        return Digest.constantTimeEquals(derived, parsed.hash)
    }

    /// True when `stored` was made with parameters below the current ones.
    public func needsRehash(_ stored: String) -> Bool {
        guard let parsed = Self.parse(stored) else { return true }
        return parsed.logN < logN || parsed.r < r || parsed.p < p
    }

    private static func parse(_ stored: String) -> (logN: Int, r: Int, p: Int, salt: [UInt8], hash: [UInt8])? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
        var params: [Substring: Int] = [:]
        for pair in parts[2].split(separator: ",") {
            let kv = pair.split(separator: "=")
            guard kv.count == 2, let v = Int(kv[1]) else { return nil }
            params[kv[0]] = v
        }
        guard let logN = params["ln"], let r = params["r"], let p = params["p"],
              (10...22).contains(logN), (1...32).contains(r), (1...16).contains(p),
              let salt = Base64URL.decode(String(parts[3])), let hash = Base64URL.decode(String(parts[4])),
              !salt.isEmpty, hash.count == hashLength
        else { return nil }
        return (logN, r, p, salt, hash)
    }

    private static func derive(password: String, salt: [UInt8], logN: Int, r: Int, p: Int) -> [UInt8]? {
        // A C string keeps a valid pointer even for an empty password.
        let pass = Array(password.utf8CString)
        var out = [UInt8](repeating: 0, count: hashLength)
        let n = UInt64(1) << UInt64(logN)
        // scrypt needs 128·N·r bytes; allow that plus headroom.
        let maxMemory = UInt64(128) * n * UInt64(r) * UInt64(p) + (32 << 20)
        let ok = pass.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    EVP_PBE_scrypt(pw.baseAddress, pw.count - 1, s.baseAddress, s.count,
                                   n, UInt64(r), UInt64(p), maxMemory, o.baseAddress, o.count)
                }
            }
        }
        return ok == 1 ? out : nil
    }
}
