/// A segment of a route's pattern: `customers` or `{id}`.
enum RouteSegment: Sendable, Equatable {
    case literal(String)
    case parameter(String)

    /// Whether the literal segments of `segments` are those of `parts` (same count).
    /// Not generic, so that the hot loop of `Router.match` runs specialized code.
    static func literalsMatch(_ segments: [RouteSegment], _ parts: [String]) -> Bool {
        for i in 0..<segments.count {
            if case .literal(let text) = segments[i], text != parts[i] { return false }
        }
        return true
    }
}

/// Matches a method and path against patterns such as `/v1/customers/{id}` or
/// `/api/brands/{brand}/crm/entities/{entity}`. Literal segments win over parameters,
/// so `/v1/customers/import` is found before `/v1/customers/{id}`.
public struct Router<Handler: Sendable>: Sendable {
    private struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [RouteSegment]
        let handler: Handler
    }

    public enum Match {
        case found(Handler, [String: String])
        case methodNotAllowed([String])
        case notFound
    }

    private var routes: [Int: [Route]] = [:]
    /// The routes of each segment count whose second segment can be the given literal (that
    /// literal, or a parameter), in the order of `routes`: a path is only compared with
    /// these, since no other can match it. `wildcards`: those whose second segment is a
    /// parameter, for a second segment no pattern names.
    private var bySecond: [Int: [String: [Route]]] = [:]
    private var wildcards: [Int: [Route]] = [:]

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, _ handler: Handler) {
        let segments: [RouteSegment] = pattern.split(separator: "/").map { part in
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
        guard segments.count >= 2 else { return }
        var literals = Set<String>()
        for route in list { if case .literal(let text) = route.segments[1] { literals.insert(text) } }
        var buckets: [String: [Route]] = [:]
        for literal in literals {
            buckets[literal] = list.filter {
                if case .literal(let text) = $0.segments[1] { return text == literal }
                return true
            }
        }
        bySecond[segments.count] = buckets
        wildcards[segments.count] = list.filter { if case .parameter = $0.segments[1] { return true } else { return false } }
    }

    /// Every registered method and pattern, sorted by pattern then method (read-only; the
    /// OpenAPI agreement test compares it with `openapi.yaml`).
    public var registered: [(method: String, pattern: String)] {
        routes.values.flatMap { $0.map { (method: $0.method, pattern: $0.pattern) } }
            .sorted { ($0.pattern, $0.method) < ($1.pattern, $1.method) }
    }

    public func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let candidates: [Route]
        if parts.count >= 2 {
            guard let found = bySecond[parts.count]?[parts[1]] ?? wildcards[parts.count] else { return .notFound }
            candidates = found
        } else {
            guard let found = routes[parts.count] else { return .notFound }
            candidates = found
        }
        var allowed: [String] = []
        // The first pattern that matches is the most specific; a less specific one does not
        // take the path over for other methods (`GET …/stages/reorder` is a 405, not `{stage}`).
        var owner: [RouteSegment]?
        for route in candidates {
            guard RouteSegment.literalsMatch(route.segments, parts) else { continue }
            if let owner, owner != route.segments { continue }
            owner = route.segments
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                var parameters: [String: String] = [:]
                for (i, segment) in route.segments.enumerated() {
                    if case .parameter(let name) = segment { parameters[name] = parts[i] }
                }
                return .found(route.handler, parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }
}
