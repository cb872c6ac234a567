import MariaDB
import Web
import Core

/// Teams of members, used for assignment in the pipeline CRM.
package enum TeamRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/teams", .user, list)
        routes.post("/v1/teams", .manager, create)
        routes.get("/v1/teams/{id}", .user, show)
        routes.put("/v1/teams/{id}", .manager, update)
        routes.delete("/v1/teams/{id}", .manager, delete)
        routes.post("/v1/teams/{id}/members", .manager, addMember)
        routes.delete("/v1/teams/{id}/members/{user}", .manager, removeMember)
    }

    /// Teams with their members, in two queries whatever their number.
    static func teams(_ c: Context, id: Int? = nil) throws -> [JSON] {
        let filter: SQL = id.map { " AND id = \($0)" } ?? ""
        let rows = try c.db.query("""
            SELECT id, name, description, created_at, updated_at FROM teams
            WHERE tenant_id = \(c.tenant)\(filter) ORDER BY name, id
            """)
        let ids = try rows.map { try $0.int("id") }
        var members: [Int: [JSON]] = [:]
        for row in try c.db.query("""
            SELECT tm.team_id, u.id, u.name, u.email FROM team_members tm JOIN users u ON u.id = tm.user_id
            WHERE tm.tenant_id = \(c.tenant) AND tm.team_id IN (\(list: ids)) ORDER BY u.name, u.id
            """) {
            members[try row.int("team_id"), default: []].append(row.json(["id", "name", "email"]))
        }
        return try rows.map { row in
            let list = members[try row.int("id")] ?? []
            var object = row.json(["id", "name", "description"]).objectValue!
            object["members_count"] = .int(list.count)
            object["members"] = .array(list)
            object["created_at"] = row.json("created_at")
            object["updated_at"] = row.json("updated_at")
            return .object(object)
        }
    }

    static func one(_ c: Context, _ id: Int) throws -> JSON {
        guard let team = try teams(c, id: id).first else { throw HTTPError.notFound("Team not found.") }
        return team
    }

    @Sendable static func list(_ c: Context) throws -> Response {
        .json(["data": .array(try teams(c))])
    }

    @Sendable static func show(_ c: Context) throws -> Response {
        .json(try one(c, try c.request.id()))
    }

    @Sendable static func create(_ c: Context) throws -> Response {
        var input = try Input(c.request)
        let name = input.string("name", max: 100)
        let description = input.string("description", required: false, max: 500, lines: .multi)
        try input.check()
        let id = try c.db.execute("""
            INSERT INTO teams (tenant_id, name, description, created_at, updated_at)
            VALUES (\(c.tenant), \(name!), \(description), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
            """).lastInsertID
        return .json(try one(c, id), status: 201)
    }

    @Sendable static func update(_ c: Context) throws -> Response {
        let id = try c.request.id()
        _ = try one(c, id)
        var input = try Input(c.request)
        let name = input.has("name") ? input.string("name", max: 100) : nil
        let description = input.string("description", required: false, max: 500, lines: .multi)
        try input.check()
        try c.db.execute("""
            UPDATE teams SET name = COALESCE(\(name), name),
                description = IF(\(input.has("description")), \(description), description), updated_at = UTC_TIMESTAMP(6)
            WHERE tenant_id = \(c.tenant) AND id = \(id)
            """)
        return .json(try one(c, id))
    }

    @Sendable static func delete(_ c: Context) throws -> Response {
        let deleted = try c.db.execute("DELETE FROM teams WHERE tenant_id = \(c.tenant) AND id = \(try c.request.id())").affectedRows
        guard deleted == 1 else { throw HTTPError.notFound("Team not found.") }
        return .json(["message": "Team deleted."])
    }

    @Sendable static func addMember(_ c: Context) throws -> Response {
        let id = try c.request.id()
        _ = try one(c, id)
        var input = try Input(c.request)
        let userID = input.int("user_id", min: 1)
        try input.check()
        guard try AccountStore.isMember(c.db, c.tenant, userID: userID!) else {
            throw HTTPError.invalid("user_id", "The selected user is not a member of this workspace.")
        }
        try c.db.execute("""
            INSERT IGNORE INTO team_members (team_id, user_id, tenant_id, created_at)
            VALUES (\(id), \(userID!), \(c.tenant), UTC_TIMESTAMP(6))
            """)
        return .json(try one(c, id))
    }

    @Sendable static func removeMember(_ c: Context) throws -> Response {
        let id = try c.request.id()
        let userID = try c.request.id("user")
        _ = try one(c, id)
        try c.db.execute("DELETE FROM team_members WHERE tenant_id = \(c.tenant) AND team_id = \(id) AND user_id = \(userID)")
        return .json(try one(c, id))
    }
}
