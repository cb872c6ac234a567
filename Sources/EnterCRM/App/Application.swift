import FastCGI
import Foundation
import MariaDB
import Web
import Core
import Accounts
import Messaging
import System
import Customers
import Activities
import Pipelines
import Segments
import Tracking
import Automations
import Campaigns
import Dashboard
import Imports
import Lists
import Webhooks

/// The EnterCRM HTTP application: its routes, and how a request reaches one.
public struct Application: HTTPApplication {
    public let configuration: Configuration
    public let services: Services
    let routes: Routes

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.services = Services(configuration: configuration)
        var routes = Routes()
        SystemRoutes.register(&routes)
        AuthRoutes.register(&routes)
        WorkspaceRoutes.register(&routes)
        MemberRoutes.register(&routes)
        TeamRoutes.register(&routes)
        APIKeyRoutes.register(&routes)
        PresetRoutes.register(&routes)
        CustomerRoutes.register(&routes)
        ImportRoutes.register(&routes)
        NoteRoutes.register(&routes)
        TaskRoutes.register(&routes)
        CompanyRoutes.register(&routes)
        ListExports.register(&routes)
        TagRoutes.register(&routes)
        ViewRoutes.register(&routes)
        BulkRoutes.register(&routes)
        TrackingRoutes.register(&routes)
        SegmentIntakeRoutes.register(&routes)
        SourceRoutes.register(&routes)
        CRMRoutes.register(&routes)
        AnalyticsRoutes.register(&routes)
        SegmentRoutes.register(&routes, users: Self.segmentUsers)
        AutomationRoutes.register(&routes)
        CampaignRoutes.register(&routes)
        EmailTemplateRoutes(users: AutomationDesign.emailTemplateUsers).register(&routes)
        AuditLogRoutes.register(&routes)
        TimelineRoutes.register(&routes)
        SearchRoutes.register(&routes)
        DashboardRoutes.register(&routes)
        WebhookRoutes.register(&routes)
        routes.get("/metrics", .anyone, Metrics.endpoint)
        self.routes = routes
        if Metrics.current == nil {
            Metrics.current = Metrics(routes: routes.names, file: Metrics.defaultFile(),
                                      token: ProcessInfo.processInfo.environment["ENTERCRM_METRICS_TOKEN"])
        }
    }

    /// What uses a segment: the campaigns that send to it and the automations that read it.
    @Sendable static func segmentUsers(_ db: Connection, _ tenant: Tenant, id: Int) throws -> JSONObject {
        let users: JSON = [
            "campaigns": .array(try CampaignStore.segmentUsers(db, tenant, id: id).map { ["id": .int($0.id), "name": .string($0.name), "status": .string($0.status)] }),
            "automations": .array(try AutomationDesign.segmentUsers(db, tenant, id: id).map { ["id": .int($0.id), "name": .string($0.name)] }),
        ]
        return users.objectValue ?? JSONObject()
    }

    /// The (method, pattern) pairs of every route, for checking the OpenAPI description.
    public var registeredRoutes: [(method: String, pattern: String)] { routes.router.registered }

    /// "METHOD /pattern" of every route, in the order registered, with its `Access`.
    public var routeTable: [(name: String, access: Access)] { routes.names.map { ($0, routes.accessByName[$0]!) } }

    public func makeThreadState() -> Connection {
        Connection.initializeThread()
        return Connection(configuration: configuration.database)
    }

    public func finishThreadState(_ db: Connection) {
        // A stopping worker answers the tracking events it has taken before it exits.
        TrackingGroupCommit.shared.waitUntilIdle()
        db.disconnect()
        Connection.finishThread()
    }

    public func handle(_ request: Request, state db: Connection) throws -> Response {
        // Counted per route in Metrics: errors become their responses here, so that their
        // statuses are counted too (the same mapping the server would apply).
        let started = DispatchTime.now().uptimeNanoseconds
        var slot = 0
        let response: Response
        do {
            response = try handleRouted(request, db, &slot)
        } catch {
            response = ErrorResponses.response(for: error, request: request)
        }
        if let pending = response.pending {
            // Counted when answered, by the thread that answers.
            let counted = slot
            pending.observe { final in
                Metrics.current?.record(slot: counted, status: final.status,
                                        seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            return response
        }
        Metrics.current?.record(slot: slot, status: response.status,
                                seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        return response
    }

    func handleRouted(_ request: Request, _ db: Connection, _ slot: inout Int) throws -> Response {
        // Browsers on customers' websites must be able to read every answer of the tracking
        // endpoints, errors included.
        if request.path.hasPrefix("/v1/track/") {
            return TrackingRoutes.cors(ErrorResponses.run(request) { try dispatch(request, db, &slot) })
        }
        // The Segment-compatible intake: a tracking path too, whose body may be gzip and carry
        // the write key (SegmentIntakeRoutes.prepare).
        if SegmentIntakeRoutes.paths.contains(request.path) {
            return TrackingRoutes.cors(ErrorResponses.run(request) {
                try dispatch(request.method == "POST" ? try SegmentIntakeRoutes.prepare(request) : request, db, &slot)
            })
        }
        return try dispatch(request, db, &slot)
    }

    func dispatch(_ request: Request, _ db: Connection) throws -> Response {
        var slot = 0
        return try dispatch(request, db, &slot)
    }

    func dispatch(_ request: Request, _ db: Connection, _ slot: inout Int) throws -> Response {
        switch routes.router.match(method: request.method, path: request.path) {
        case .notFound:
            throw HTTPError.notFound("The route \(request.path) could not be found.")
        case .methodNotAllowed(let allowed):
            throw HTTPError(405, "The \(request.method) method is not supported for this route.",
                            headers: [("Allow", allowed.joined(separator: ", "))])
        case .found(let endpoint, let parameters):
            slot = endpoint.metricsSlot
            var request = request
            request.pathParameters = parameters
            // A connection the server closed while idle (restart, timeout) is dropped here,
            // so this request reconnects instead of failing on it.
            db.dropIfClosedByServer()
            let context = Context(request: request, db: db, configuration: configuration, services: services)
            context.principal = try Authenticator.authenticate(context, access: endpoint.access)
            if let refusal = Permissions.refusal(endpoint.permission, name: endpoint.name, principal: context.principal) {
                throw refusal
            }
            return try endpoint.handler(context)
        }
    }
}
