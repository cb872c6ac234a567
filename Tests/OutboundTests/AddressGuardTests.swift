import Testing
@testable import Outbound

/// The address classifier and the allow list: no network, no server.
@Suite struct AddressGuardTests {
    @Test(arguments: [
        "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.255.0.9",
        "169.254.169.254", "169.254.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "192.168.255.255", "192.0.0.8",
        "198.18.0.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
        "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "fec0::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:192.168.1.1", "::ffff:0.0.0.0",
        "::127.0.0.1", "::8.8.8.8", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2002:7f00:1::1", "2002:a00:1::",
        "2002:a9fe:a9fe::1",
    ])
    func internalAddressesAreRefused(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.internalRange != nil, "\(text)")
        #expect(!OutboundPolicy().permits(address, port: 80, host: text))
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1",
                      "169.253.255.255", "11.0.0.1", "2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8",
                      "64:ff9b::808:808", "2002:808:808::1"])
    func publicAddressesPass(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.internalRange == nil, "\(text)")
        #expect(OutboundPolicy().permits(address, port: 443, host: text))
    }

    /// Odd spellings of internal addresses are names to the guard: the resolver reads them
    /// (as glibc's inet_aton does) and the address it gives is what is judged. All of these
    /// resolve without DNS (numeric forms and /etc/hosts).
    @Test(arguments: ["2130706433", "0x7f.1", "0x7f000001", "127.1", "0177.0.0.1", "017700000001", "[::1]", "::1", "localhost",
                      "LOCALHOST", "localhost.", "::ffff:127.0.0.1", "[::ffff:7f00:1]", "0", "0.0.0.0", "169.254.169.254",
                      "0xa9.0xfe.0xa9.0xfe", "2852039166", "10.1", "192.168.1", "100.64.0.1"])
    func oddLiteralFormsAreRefused(_ host: String) throws {
        #expect(throws: OutboundError.refused) { try Outbound.check(host: host, port: 80, policy: OutboundPolicy()) }
        // The connect is tried only where a guard that failed would reach this machine
        // (loopback, 0.0.0.0): a test never sends packets to another network.
        let addresses = try Outbound.resolve(host, port: 9).map(\.0)
        if addresses.allSatisfy({ ["loopback", "unspecified"].contains($0.internalRange) }) {
            let smtp = OutboundSMTP(OutboundSMTP.Relay(host: host, port: 9, startTLS: false, timeout: 1), policy: OutboundPolicy())
            #expect(smtp.send(from: "a@b.c", to: "d@e.f", data: [65]) == .failed(.refused, handedOver: false))
        }
    }

    @Test func aPublicLiteralPassesTheSaveCheck() throws {
        try Outbound.check(host: "8.8.8.8", port: 25, policy: OutboundPolicy())
        try Outbound.check(url: "https://[2606:4700:4700::1111]/hook", policy: OutboundPolicy())
    }

    @Test func urlsOtherThanHTTPAreInvalid() {
        for url in ["ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1/", "http://user:pw@example.com/", "http:///x", "nothing"] {
            #expect(throws: OutboundError.invalid) { try Outbound.check(url: url, policy: OutboundPolicy()) }
        }
        #expect(throws: OutboundError.refused) { try Outbound.check(url: "http://[::1]:8080/", policy: OutboundPolicy()) }
        #expect(throws: OutboundError.refused) { try Outbound.check(url: "HTTP://2130706433/", policy: OutboundPolicy()) }
    }

    @Test func theAllowListNamesHostsPortsAndNetworks() throws {
        let policy = OutboundPolicy(allow: " 127.77.0.1/32, relay.internal:25,[::1]:2525 , 10.0.0.0/8, bogus, 1.2.3.4/33, host:0, fd00::/8")
        #expect(policy.invalid == ["bogus", "1.2.3.4/33", "host:0"])
        let sink = try #require(IPAddress("127.77.0.1"))
        #expect(policy.permits(sink, port: 1, host: "127.77.0.1"))
        #expect(policy.permits(sink, port: 65535, host: "sinks.test"))
        #expect(!policy.permits(try #require(IPAddress("127.0.0.1")), port: 25, host: "127.0.0.1"))
        // host:port: that host on that port only.
        let relay = try #require(IPAddress("192.168.1.5"))
        #expect(policy.permits(relay, port: 25, host: "relay.internal"))
        #expect(policy.permits(relay, port: 25, host: "RELAY.internal."))
        #expect(!policy.permits(relay, port: 26, host: "relay.internal"))
        #expect(!policy.permits(relay, port: 25, host: "other.internal"))
        let loop6 = try #require(IPAddress("::1"))
        #expect(policy.permits(loop6, port: 2525, host: "[::1]"))
        #expect(policy.permits(loop6, port: 2525, host: "localhost"))
        #expect(!policy.permits(loop6, port: 25, host: "::1"))
        // A network: every port; its IPv4-mapped form too.
        #expect(policy.permits(try #require(IPAddress("10.9.8.7")), port: 8080, host: "x"))
        #expect(policy.permits(try #require(IPAddress("::ffff:10.9.8.7")), port: 8080, host: "x"))
        #expect(policy.permits(try #require(IPAddress("fd12::1")), port: 1, host: "x"))
        #expect(!policy.permits(try #require(IPAddress("169.254.169.254")), port: 80, host: "169.254.169.254"))
        // Empty by default.
        #expect(OutboundPolicy.fromEnvironment([:]).entries.isEmpty)
        #expect(OutboundPolicy.fromEnvironment(["ENTERCRM_OUTBOUND_ALLOW": "127.77.0.1/32"]).permits(sink, port: 25, host: "127.77.0.1"))
    }
}
