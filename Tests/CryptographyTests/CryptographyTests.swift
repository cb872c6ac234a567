import Cryptography
import Testing

@Suite struct DigestTests {
    @Test func sha256KnownVector() {
        #expect(Digest.sha256("abc").hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hmacRFC4231Case2() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac.hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func constantTimeEquals() {
        #expect(Digest.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Digest.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Digest.constantTimeEquals([1, 2], [1, 2, 3]))
    }

    @Test func hexRoundTrip() {
        #expect([UInt8](hex: "00ff10") == [0, 255, 16])
        #expect([UInt8](hex: "0g") == nil)
        #expect([UInt8](hex: "abc") == nil)
    }

    @Test func randomTokensAreBase62AndDistinct() {
        let a = Random.base62(length: 43), b = Random.base62(length: 43)
        #expect(a.count == 43)
        #expect(a != b)
        #expect(a.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
    }

    @Test func base64URL() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
        #expect(Base64URL.decode("a+b") == nil)
    }
}

@Suite struct PasswordHasherTests {
    // Small parameters keep the unit tests fast; the defaults are checked separately.
    let hasher = PasswordHasher(logN: 10, r: 8, p: 1)

    @Test func verifiesTheRightPasswordOnly() {
        let stored = hasher.hash("correct horse")
        #expect(stored.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(hasher.verify("correct horse", against: stored))
        #expect(!hasher.verify("correct horsf", against: stored))
        #expect(!hasher.verify("", against: stored))
        #expect(hasher.hash("correct horse") != stored, "salts differ")
    }

    @Test func refusesGarbageAndWeakHashes() {
        #expect(!hasher.verify("x", against: "plaintext"))
        #expect(!hasher.verify("x", against: "$scrypt$ln=99,r=8,p=1$AAAA$AAAA"))
        #expect(!hasher.verify("x", against: "$2y$10$abcdefghijklmnopqrstuv"))
    }

    @Test func asksForRehashWhenParametersRise() {
        let stored = hasher.hash("pw")
        #expect(PasswordHasher().needsRehash(stored))
        #expect(!hasher.needsRehash(stored))
    }

    @Test func defaultsMeetOWASP() {
        let defaults = PasswordHasher()
        #expect(defaults.logN >= 17 && defaults.r >= 8 && defaults.p >= 1)
        let stored = defaults.hash("pw")
        #expect(defaults.verify("pw", against: stored))
    }
}

@Suite struct JWTTests {
    let jwt = JWT(secret: Array("0123456789abcdef0123456789abcdef".utf8))
    let claims = JWT.Claims(sub: 1, tid: 2, jti: "abc", iat: 1000, exp: 2000)

    @Test func roundTrip() throws {
        let token = jwt.sign(claims)
        #expect(try jwt.verify(token, now: 1500) == claims)
    }

    @Test func refusesExpired() {
        #expect(throws: JWT.Failure.expired) { try jwt.verify(jwt.sign(claims), now: 2000) }
    }

    @Test func refusesTamperedPayloadAndOtherKeys() {
        let token = jwt.sign(claims)
        let parts = token.split(separator: ".").map(String.init)
        let forged = Base64URL.encode(Array(#"{"sub":99,"tid":2,"jti":"abc","iat":1000,"exp":2000}"#.utf8))
        #expect(throws: JWT.Failure.badSignature) { try jwt.verify(parts[0] + "." + forged + "." + parts[2], now: 1500) }
        let other = JWT(secret: Array("another-secret-another-secret-xx".utf8))
        #expect(throws: JWT.Failure.badSignature) { try other.verify(token, now: 1500) }
    }

    @Test func refusesAlgNoneAndOthers() {
        let payload = Base64URL.encode(Array(#"{"sub":1,"tid":2,"jti":"abc","iat":1000,"exp":2000}"#.utf8))
        for header in [#"{"alg":"none","typ":"JWT"}"#, #"{"alg":"HS512","typ":"JWT"}"#, #"{"typ":"JWT"}"#] {
            let h = Base64URL.encode(Array(header.utf8))
            #expect(throws: JWT.Failure.unsupportedAlgorithm) { try jwt.verify(h + "." + payload + ".", now: 1500) }
        }
        #expect(throws: JWT.Failure.malformed) { try jwt.verify("not.a.token!", now: 1500) }
        #expect(throws: JWT.Failure.malformed) { try jwt.verify("abc", now: 1500) }
    }
}
