import COpenSSL

/// Cryptographically secure random values from OpenSSL's RAND_bytes.
public enum Random {
    public struct Failure: Error {}

    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        // RAND_bytes fails only when the generator cannot be seeded; nothing secret may be
        // made then, so this is fatal rather than a weak fallback.
        precondition(ok == 1, "RAND_bytes failed")
        return out
    }

    private static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `length` characters drawn uniformly from [0-9A-Za-z], by rejection sampling.
    public static func base62(length: Int) -> String {
        var out = [UInt8]()
        out.reserveCapacity(length)
        while out.count < length {
            for byte in bytes(length * 2) where byte < 248 && out.count < length {
                out.append(base62[Int(byte % 62)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A random hex string of `bytes` bytes.
    public static func hex(bytes count: Int) -> String { bytes(count).hexString }
}
