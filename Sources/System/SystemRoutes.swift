import Foundation
import MariaDB
import Web
import Core

/// Health and diagnostics.
package enum SystemRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/v1/health", .anyone, health)
        routes.post("/v1/echo", .anyone, echo)
        routes.get("/v1/openapi.yaml", .anyone, openAPI)
        routes.get("/v1/openapi.json", .anyone, openAPIJSON)
    }

    /// `openapi.yaml` from the top of the repository (beside `schema/`), read on each request
    /// so that a deploy of the file needs no restart.
    @Sendable static func openAPI(_ c: Context) throws -> Response {
        guard let data = FileManager.default.contents(atPath: openAPIPath(c)) else {
            throw HTTPError.notFound("The API description is not installed.")
        }
        return Response(status: 200, headers: [("Content-Type", "application/yaml; charset=utf-8"),
                                               ("Cache-Control", "no-cache")], body: Array(data))
    }

    /// The same file as JSON, for the console's API reference: parsed once per version of
    /// the file and kept (`OpenAPIDocument`).
    @Sendable static func openAPIJSON(_ c: Context) throws -> Response {
        guard let body = try OpenAPIDocument.jsonBytes(path: openAPIPath(c)) else {
            throw HTTPError.notFound("The API description is not installed.")
        }
        return Response(status: 200, headers: [("Content-Type", "application/json; charset=utf-8"),
                                               ("Cache-Control", "no-cache")], body: body)
    }

    /// `openapi.yaml` beside the schema directory.
    static func openAPIPath(_ c: Context) -> String {
        URL(fileURLWithPath: c.configuration.schemaDirectory).deletingLastPathComponent()
            .appendingPathComponent("openapi.yaml").path
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
