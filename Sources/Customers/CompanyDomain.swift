/// A company's web domain, as stored and compared: the one home of its normalisation. Pure
/// (no database), so that what the API stores and what its filter compares are the same text.
///
///     "https://www.Acme.com/about?x=1" -> "acme.com"
///     "WWW.acme.co.uk."                -> "acme.co.uk"
///     "shop.acme.com:8443"             -> "shop.acme.com"
///     "sales@acme.com"                 -> "acme.com"   (an address gives its domain)
///
/// Lower case; no scheme, user, port, path, query or fragment; no leading `www.` and no
/// trailing dot. What is left must be a host name: at least two labels of letters, digits
/// and hyphens (letters of any script: internationalised names stay as typed, lower-cased),
/// each 1 to 63 characters, not starting or ending with a hyphen, at most 190 in all (the
/// column). Customers' email domains are compared with it as they are
/// (`email_company_domain`, schema/030).
package enum CompanyDomain {
    package static let maximumLength = 190

    /// Why a domain was refused.
    package enum Problem: Error, Equatable {
        case notAHostName
        case tooLong

        package var message: String {
            switch self {
            case .notAHostName: "The domain must be a web domain such as acme.com (a scheme, path or www. is removed)."
            case .tooLong: "The domain may not be greater than \(CompanyDomain.maximumLength) characters."
            }
        }
    }

    /// The normalised domain; nil for an empty text (no domain).
    package static func normalize(_ raw: String) throws(Problem) -> String? {
        var s = Substring(raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
        if s.isEmpty { return nil }
        // A scheme: letters, digits, + - . before "://".
        if let range = s.range(of: "://"),
           s[..<range.lowerBound].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) {
            s = s[range.upperBound...]
        } else if s.hasPrefix("//") {
            s = s.dropFirst(2)
        }
        // Path, query, fragment.
        if let end = s.firstIndex(where: { "/?#".contains($0) }) { s = s[..<end] }
        // User (or an email address's local part).
        if let at = s.lastIndex(of: "@") { s = s[s.index(after: at)...] }
        // Port.
        if let colon = s.lastIndex(of: ":"), s[s.index(after: colon)...].allSatisfy(\.isNumber) { s = s[..<colon] }
        while s.hasSuffix(".") { s = s.dropLast() }
        if s.hasPrefix("www.") { s = s.dropFirst(4) }
        if s.isEmpty { throw .notAHostName }
        guard s.count <= maximumLength else { throw .tooLong }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { throw .notAHostName }
        for label in labels {
            guard (1...63).contains(label.count), label.first != "-", label.last != "-",
                  label.allSatisfy({ $0 == "-" || $0.isLetter || $0.isNumber }) else { throw .notAHostName }
        }
        // The top-level domain is not only digits (an IP address is no company's domain).
        guard !labels.last!.allSatisfy(\.isNumber) else { throw .notAHostName }
        return String(s)
    }
}
