import Foundation
import MariaDB
import Web

/// How a customer reads in JSON: the seed's fields first, in the seed's order.
package enum CustomerJSON {
    /// The columns every customer query selects.
    package static let columns: SQL = """
        c.id, c.name, c.email, c.external_id, c.phone, c.city, c.country, c.properties, c.rfm_score, c.rfm_segment,
        c.rfm_recency AS rfm_r, c.rfm_frequency AS rfm_f, c.rfm_monetary AS rfm_m, c.p_alive, c.expected_purchases,
        c.clv_total, c.clv_predicted, c.clv_average_order, c.clv_order_count, c.currency, c.first_order_at, c.last_order_at,
        c.events_count, c.last_seen_at, c.created_at, c.updated_at, c.company_id, c.owner_id
        """

    static func properties(_ row: Row) -> JSON {
        (try? JSONParser.parse(row.optionalString("properties") ?? "{}")) ?? [:]
    }

    /// A row of the list.
    static func summary(_ row: Row, segments: [String], tags: [String]) -> JSON {
        var o = row.json(["id", "name", "email", "phone", "rfm_score", "rfm_segment", "clv_total", "clv_predicted",
                          "last_seen_at", "created_at", "city", "country", "clv_average_order", "clv_order_count",
                          "events_count", "currency", "p_alive", "expected_purchases"]).objectValue!
        o["segments"] = .array(segments.map(JSON.string))
        o["tags"] = .array(tags.map(JSON.string))
        o["company_id"] = row.json("company_id")
        o["owner_id"] = row.json("owner_id")
        o["external_id"] = row.json("external_id")
        return .object(o)
    }

    /// The full profile.
    package static func profile(_ row: Row, segments: [String], tags: [String] = []) -> JSON {
        var o = row.json(["id", "name", "email", "rfm_score", "rfm_segment", "clv_total", "clv_predicted",
                          "clv_average_order", "clv_order_count", "events_count"]).objectValue!
        o["segments"] = .array(segments.map(JSON.string))
        o["tags"] = .array(tags.map(JSON.string))
        for key in ["rfm_r", "rfm_f", "rfm_m", "p_alive", "expected_purchases"] { o[key] = row.json(key) }
        for key in ["currency", "phone", "city", "country"] { o[key] = row.json(key) }
        o["properties"] = properties(row)
        for key in ["first_order_at", "last_order_at", "last_seen_at", "created_at", "updated_at", "company_id", "owner_id",
                    "external_id"] {
            o[key] = row.json(key)
        }
        return .object(o)
    }

    package static func event(_ row: Row) -> JSON {
        var o = JSONObject()
        o["event_id"] = row.json("public_id")
        o["type"] = row.json("type")
        o["event"] = row.json("name")
        o["customer_id"] = row.json("customer_id")
        o["anonymous_id"] = row.json("anonymous_id")
        o["properties"] = (try? JSONParser.parse(row.optionalString("properties") ?? "{}")) ?? [:]
        if row.has("url") {
            o["url"] = row.json("url")
            o["referrer"] = row.json("referrer")
        }
        o["message_id"] = row.json("message_id")
        o["occurred_at"] = row.json("occurred_at")
        o["received_at"] = row.json("received_at")
        return .object(o)
    }
}
