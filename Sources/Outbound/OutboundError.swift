/// Why an outbound call failed, as a category that may be shown and stored: never the
/// socket's, resolver's or libcurl's own text, which could tell a caller which internal
/// ports are open. The detail goes to the server's log only.
public struct OutboundError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ category: String) { description = category }

    /// The address is internal (loopback, private, link-local …) and not on the allow list.
    public static let refused = OutboundError("refused: private address")
    public static let unresolved = OutboundError("could not resolve the host")
    public static let couldNotConnect = OutboundError("could not connect")
    public static let timedOut = OutboundError("timed out")
    public static let tlsFailed = OutboundError("TLS failed")
    public static let broken = OutboundError("connection broken")
    public static let invalid = OutboundError("invalid address")

    /// The field message for a settings form that refuses a target.
    public static let fieldMessage = "must be a public host: loopback, private, link-local and other internal addresses are refused"
}
