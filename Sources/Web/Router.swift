/// Matches a method and path against patterns such as `/v1/customers/{id}` or
/// `/api/brands/{brand}/crm/entities/{entity}`. Literal segments win over parameters,
/// so `/v1/customers/import` is found before `/v1/customers/{id}`.
public struct Router<Handler: Sendable>: Sendable {
    private enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let handler: Handler
    }

    public enum Match {
        case found(Handler, [String: String])
        case methodNotAllowed([String])
        case notFound
    }

    private var routes: [Int: [Route]] = [:]

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, _ handler: Handler) {
        let segments: [Segment] = pattern.split(separator: "/").map { part in
            if part.hasPrefix("{"), part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        var list = routes[segments.count, default: []]
        list.append(Route(method: method, pattern: pattern, segments: segments, handler: handler))
        // Earlier literal segments first: a literal at position i beats a parameter there.
        list.sort { a, b in
            for (x, y) in zip(a.segments, b.segments) {
                switch (x, y) {
                case (.literal, .parameter): return true
                case (.parameter, .literal): return false
                default: continue
                }
            }
            return false
        }
        routes[segments.count] = list
    }

    /// Every registered method and pattern, sorted by pattern then method (read-only; the
    /// OpenAPI agreement test compares it with `openapi.yaml`).
    public var registered: [(method: String, pattern: String)] {
        routes.values.flatMap { $0.map { (method: $0.method, pattern: $0.pattern) } }
            .sorted { ($0.pattern, $0.method) < ($1.pattern, $1.method) }
    }

    public func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let candidates = routes[parts.count] else { return .notFound }
        var allowed: [String] = []
        // The first pattern that matches is the most specific; a less specific one does not
        // take the path over for other methods (`GET …/stages/reorder` is a 405, not `{stage}`).
        var owner: [Segment]?
        for route in candidates {
            var parameters: [String: String] = [:]
            var matched = true
            for (segment, part) in zip(route.segments, parts) {
                switch segment {
                case .literal(let text):
                    if text != part { matched = false }
                case .parameter(let name):
                    parameters[name] = String(part)
                }
                if !matched { break }
            }
            guard matched else { continue }
            if let owner, owner != route.segments { continue }
            owner = route.segments
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route.handler, parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }
}
