import MariaDB
import Web

/// Health and diagnostics.
enum SystemRoutes {
    static func register(_ routes: inout Routes) {
        routes.get("/v1/health", .anyone, health)
        routes.post("/v1/echo", .anyone, echo)
    }

    /// 200 when the database answers a ping, 503 with Retry-After when it does not.
    @Sendable static func health(_ c: Context) throws -> Response {
        do {
            try c.db.ping()
            return .json(["status": "ok", "database": "ok", "version": .string(Configuration.version)])
        } catch let error as MariaDBError {
            var response = Response.json(
                ["status": "unavailable", "database": .string("unavailable: \(error.code)"), "version": .string(Configuration.version)],
                status: 503)
            response.headers.append(("Retry-After", "5"))
            return response
        }
    }

    /// Answers its JSON body back; for checking a client's encoding and the error format.
    @Sendable static func echo(_ c: Context) throws -> Response {
        let body = try c.request.json()
        guard case .string(let name)? = body["name"], !name.isEmpty else {
            throw HTTPError.invalid("name", "The name field is required.")
        }
        return .json(["data": body])
    }
}
