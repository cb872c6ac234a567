import Foundation
import MariaDB
import Web
import Core

/// What the pipeline CRM's parts share: per-workspace numbering, timestamps, the caller
/// recorded in stage history, and the checks on slugs, keys and colours.
package enum CRM {
    /// The path prefix of every CRM route.
    package static let prefix = Permissions.crm

    /// The next id of `kind` ("entity", "pipeline", "stage", "field") in the workspace:
    /// 1, 2, 3 … in each workspace, so that ids say nothing about other workspaces. The
    /// counter row is locked until the caller's transaction ends; gaps are possible.
    static func nextID(_ db: Connection, _ tenant: Tenant, _ kind: StaticString) throws -> Int {
        let name = kind.description
        try db.execute("""
            INSERT INTO crm_sequences (tenant_id, name, last_id) VALUES (\(tenant), \(name), LAST_INSERT_ID(1))
            ON DUPLICATE KEY UPDATE last_id = LAST_INSERT_ID(last_id + 1)
            """)
        guard let id = try db.queryOne("SELECT LAST_INSERT_ID() AS id")?.int("id"), id > 0 else {
            throw MariaDBError(code: 0, message: "no id from crm_sequences")
        }
        return id
    }

    /// Entities, pipelines, stages and fields show microseconds ("2024-12-11T10:00:00.000000Z"),
    /// as the contract's examples do; entries show seconds.
    static func timestamp(_ row: Row, _ column: String) -> JSON {
        row.optionalDate(column).map { .string(RFC3339.format($0, fractionDigits: 6)) } ?? .null
    }

    static func entryTimestamp(_ row: Row, _ column: String) -> JSON {
        row.optionalDate(column).map { .string(RFC3339.format($0)) } ?? .null
    }

    /// Lowercase letters, digits, `-` and `_`.
    static func isSlug(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 || $0 == 95 }
    }

    /// Lowercase letters, digits and `_`.
    package static func isFieldKey(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }
    }

    /// `#rgb`, `#rgba`, `#rrggbb` or `#rrggbbaa`: the console sets it as a style, so nothing else.
    static func isHexColor(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.first == 35, [4, 5, 7, 9].contains(u.count) else { return false }
        return u.dropFirst().allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }
}

/// Who made a change, for the stage history: a member (bearer token) or an API key.
package struct Actor: Sendable {
    var userID: Int?
    var apiKeyID: Int?

    package init(userID: Int? = nil, apiKeyID: Int? = nil) {
        self.userID = userID
        self.apiKeyID = apiKeyID
    }

    package init(_ principal: Principal?) {
        self.init(userID: principal?.userID, apiKeyID: principal?.apiKeyID)
    }
}

extension Input {
    /// A slug: lowercase letters, digits, `-` and `_`.
    package mutating func slug(_ key: String, required: Bool = true, max: Int = 80) -> String? {
        guard let s = string(key, required: required, max: max) else { return nil }
        guard CRM.isSlug(s) else {
            fail(key, "The \(key) may only contain lowercase letters, digits, dashes and underscores.")
            return nil
        }
        return s
    }

    /// A hex colour such as `#3b82f6`.
    package mutating func color(_ key: String = "color") -> String? {
        guard let s = string(key, required: false, max: 64), !s.isEmpty else { return nil }
        guard CRM.isHexColor(s) else {
            fail(key, "The \(key) must be a hex colour such as #3b82f6.")
            return nil
        }
        return s.lowercased()
    }

    /// True when the body holds `key` with null: the caller clears the value.
    package func isNull(_ key: String) -> Bool { object[key]?.isNull ?? false }
}
