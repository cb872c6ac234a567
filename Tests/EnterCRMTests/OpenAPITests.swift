import EnterCRM
import Foundation
import MariaDB
import Testing
import Core

/// `openapi.yaml` and the router agree: every registered route is documented, and every
/// documented operation is a registered route. Needs no database.
@Suite struct OpenAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "options", "head"]

    /// The (METHOD, path) pairs under `paths:`. The file is written in block style, so a path
    /// is a two-space-indented key starting with `/`, and an operation a four-space-indented
    /// HTTP method under it.
    static func documented(_ text: String) -> [(method: String, pattern: String)] {
        var out: [(String, String)] = []
        var inPaths = false
        var path: String?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if !line.hasPrefix(" "), !line.isEmpty, !line.hasPrefix("#") {
                inPaths = line.hasPrefix("paths:")
                path = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = line.dropFirst(4).prefix { $0 != ":" }
                if methods.contains(String(key)) { out.append((key.uppercased(), path)) }
            }
        }
        return out
    }

    static func describe(_ pairs: [(method: String, pattern: String)]) -> String {
        pairs.map { "  \($0.method) \($0.pattern)" }.joined(separator: "\n")
    }

    @Test func descriptionAndRouterAgree() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        #expect(text.hasPrefix("openapi: 3.1"))
        let documented = Self.documented(text)
        let app = Application(configuration: Configuration(
            database: DatabaseConfiguration(user: "nobody", password: "", database: "none"),
            jwtSecret: Array("test-secret-test-secret-test-secret!".utf8)))
        let registered = app.registeredRoutes
        let key = { (p: (method: String, pattern: String)) in "\(p.method) \(p.pattern)" }
        let documentedKeys = Set(documented.map(key)), registeredKeys = Set(registered.map(key))
        let undocumented = registered.filter { !documentedKeys.contains(key($0)) }
        let missing = documented.filter { !registeredKeys.contains(key($0)) }
        if !undocumented.isEmpty { print("Routes of the router not in openapi.yaml:\n" + Self.describe(undocumented)) }
        if !missing.isEmpty { print("Operations of openapi.yaml the router does not have:\n" + Self.describe(missing)) }
        #expect(undocumented.isEmpty, "undocumented routes:\n\(Self.describe(undocumented))")
        #expect(missing.isEmpty, "documented but missing routes:\n\(Self.describe(missing))")
        #expect(documented.count == documentedKeys.count, "an operation is documented twice")
        #expect(registered.count > 80)
    }

    @Test func everyOperationHasAnIDAndATag() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let operations = Self.documented(text).count
        let ids = text.split(separator: "\n").filter { $0.hasPrefix("      operationId: ") }.map { $0.dropFirst(19) }
        #expect(ids.count == operations)
        #expect(Set(ids).count == ids.count, "operationIds must be unique")
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("      tags: [") }.count == operations)
    }
}
