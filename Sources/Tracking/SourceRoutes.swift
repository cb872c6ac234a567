import Foundation
import MariaDB
import Web
import Core
import Accounts

/// `GET /v1/sources`: the console's Sources page. A source is an API key used as a Segment
/// write key; for each key of the workspace, its name, type, the key as the API keys list
/// shows it (publishable keys in full, secret keys masked), and the latest events that came
/// in with it through the Segment intake (`events.source_key_id`).
package enum SourceRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/sources", .manager, list)
    }

    static let latestPerSource = 5

    @Sendable static func list(_ c: Context) throws -> Response {
        let keys = try c.db.query("""
            SELECT id, name, type, prefix, last4, public_key, last_used_at, created_at FROM api_keys
            WHERE tenant_id = \(c.tenant) AND revoked_at IS NULL ORDER BY created_at DESC, id DESC
            """)
        let data: [JSON] = try keys.map { key in
            let id = try key.int("id")
            let events = try TrackingRoutes.latest(c.db, c.tenant, limit: latestPerSource, sourceKey: id)
            return [
                "id": .int(Int64(id)), "name": key.json("name"), "type": key.json("type"), "write_key": .string(try APIKeyRoutes.display(key)),
                "last_used_at": key.json("last_used_at"), "latest_events": .array(events),
            ]
        }
        return .json(["data": .array(data), "endpoint": .string("/v1/batch")])
    }
}
