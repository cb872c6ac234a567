import Foundation
import Platform
import Web
import Yams

/// `openapi.yaml` as JSON, for the console's API reference (`GET /v1/openapi.json`).
///
/// The YAML file stays the one description; Yams parses it (YAML 1.1 core types, as PyYAML
/// does) and the JSON keeps the file's key order, so the reference lists operations as the
/// file does. The bytes are made once per version of the file (its size and modification
/// time) and kept, so a deploy of the file needs no restart and a request parses nothing.
enum OpenAPIDocument {
    struct Cached: Sendable {
        var size: Int
        var modified: Date
        var body: [UInt8]
    }

    private static let cache = Lock<Cached?>(nil)

    /// The JSON bytes of the YAML file at `path`, or nil when there is no such file.
    static func jsonBytes(path: String) throws -> [UInt8]? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.intValue,
              let modified = attributes[.modificationDate] as? Date else { return nil }
        if let hit = cache.withLock({ $0 }), hit.size == size, hit.modified == modified { return hit.body }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let body = JSONWriter.bytes(try json(fromYAML: String(decoding: data, as: UTF8.self)))
        cache.withLock { $0 = Cached(size: size, modified: modified, body: body) }
        return body
    }

    struct NotJSON: Error, CustomStringConvertible {
        var description: String
    }

    /// The first document of `text` as JSON; an empty document is `null`.
    static func json(fromYAML text: String) throws -> JSON {
        guard let node = try Yams.compose(yaml: text) else { return .null }
        return try json(node)
    }

    /// A node as JSON: mappings become objects (keys as their text), sequences arrays, and
    /// scalars by their resolved tag (null, bool, int, float; anything else, dates included,
    /// stays text).
    static func json(_ node: Node) throws -> JSON {
        switch node {
        case .mapping(let mapping):
            var pairs: [(String, JSON)] = []
            pairs.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else {
                    throw NotJSON(description: "a mapping key that is not a scalar at \(key.mark.map(String.init(describing:)) ?? "?")")
                }
                pairs.append((scalar.string, try json(value)))
            }
            return .object(JSONObject(pairs))
        case .sequence(let sequence):
            return .array(try sequence.map(json))
        case .scalar(let scalar):
            // The resolved tag's name (Yams makes `Tag.name` internal; `description` is it).
            switch Tag.Name(rawValue: node.tag.description) {
            case .null: return .null
            case .bool: if let b = node.bool { return .bool(b) }
            case .int: if let i = node.int { return .int(Int64(i)) }
            case .float: if let d = node.float, d.isFinite { return .double(d) }
            default: break
            }
            return .string(scalar.string)
        }
    }
}
