import MariaDB
import Web
import Core
import Customers
import Segments
import Tracking
import Automations
import Campaigns
import Activities
import Pipelines

/// The timelines of records, merged from what each feature adds (`Timeline`): composed here,
/// above every feature, because a customer's timeline reads all of them.
enum TimelineRoutes {
    /// Newest first; between items at the same time, the later branch first.
    static let timeline = Timeline(
        SegmentChangesTimeline.branches + AutomationTimeline.branches + CampaignTimeline.branches + TrackingTimeline.branches
            + ActivityTimeline.customer + CustomerChanges.timeline + PipelineTimeline.customer
            + PipelineTimeline.entry + ActivityTimeline.entry + PipelineTimeline.company + ActivityTimeline.company)

    static func register(_ routes: inout Routes) {
        routes.get("/v1/customers/{id}/timeline", .server, customer)
        routes.get("/v1/companies/{id}/timeline", .server, company)
        PipelineTimeline.registerTimeline(&routes, entry)
    }

    /// `GET /v1/customers/{id}/timeline?type=a,b&limit=&cursor=`.
    @Sendable static func customer(_ c: Context) throws -> Response {
        let id = try c.request.id()
        guard try CustomerStore.find(c.db, c.tenant, id: id) != nil else { throw HTTPError.notFound("Customer not found.") }
        let query = try Timeline.Query(c.request, subject: "customer", subjectID: id, known: timeline.types())
        return .json(try timeline.page(c.db, c.tenant, query))
    }

    /// `GET /v1/companies/{id}/timeline`: the stage moves of its linked entries, its notes and tasks.
    @Sendable static func company(_ c: Context) throws -> Response {
        let id = try c.request.id()
        guard try Subject.existing(c.db, c.tenant, type: "company", ids: [String(id)])?.contains(String(id)) == true else {
            throw HTTPError.notFound("Company not found.")
        }
        let query = try Timeline.Query(c.request, subject: "company", subjectID: id, known: timeline.types())
        return .json(try timeline.page(c.db, c.tenant, query))
    }

    /// `GET /api/brands/{brand}/crm/entries/{entry}/timeline` (and on the nested path): the
    /// entry's stage moves, notes and tasks, as the customer's timeline pages.
    @Sendable static func entry(_ c: Context) throws -> Response {
        let id = try PipelineTimeline.entryID(c)
        let query = try Timeline.Query(c.request, subject: "entry", subjectID: id, known: timeline.types())
        return .json(try timeline.page(c.db, c.tenant, query))
    }
}
