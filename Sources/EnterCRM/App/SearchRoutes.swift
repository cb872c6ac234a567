import MariaDB
import Web
import Core
import Messaging
import Customers
import Pipelines
import Segments
import Automations
import Campaigns
import Activities

/// `GET /v1/search?q=&types=&limit=`: search everywhere (the console's command palette), each
/// type found by its feature (`SearchSource`), in this order.
enum SearchRoutes {
    static let search = GlobalSearch([
        CustomerSearch.source, CompanySearch.source, EntrySearch.source, SegmentSearch.source, CampaignSearch.source,
        AutomationSearch.source, EmailTemplateSearch.source, NoteSearch.source,
    ])

    static func register(_ routes: inout Routes) {
        routes.get("/v1/search", .server, find)
    }

    @Sendable static func find(_ c: Context) throws -> Response {
        .json(try search.run(c.db, c.tenant, try GlobalSearch.Query(c.request, known: search.types)))
    }
}
