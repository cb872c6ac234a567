import Foundation

extension Request {
    /// A GET of `path` with `query` (percent-encoded here), for reading a list through its own
    /// query parser from elsewhere (the global search reads customers as `/v1/customers?q=` does).
    public static func derived(path: String, query: [(String, String)]) -> Request {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        return Request(method: "GET", path: path, queryString: text)
    }
}
