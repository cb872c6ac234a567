import Foundation
import MariaDB
import Testing
@testable import Web

@Suite struct RouterTests {
    var router: Router<String> = {
        var r = Router<String>()
        r.add("GET", "/v1/customers", "list")
        r.add("GET", "/v1/customers/{id}", "show")
        r.add("PUT", "/v1/customers/{id}", "update")
        r.add("POST", "/v1/customers/import", "import")
        r.add("GET", "/api/brands/{brand}/crm/entities/{entity}", "entity")
        return r
    }()

    func found(_ method: String, _ path: String) -> (String, [String: String])? {
        if case .found(let h, let p) = router.match(method: method, path: path) { return (h, p) }
        return nil
    }

    @Test func matchesWithParameters() {
        #expect(found("GET", "/v1/customers")?.0 == "list")
        #expect(found("GET", "/v1/customers/42")?.1 == ["id": "42"])
        #expect(found("GET", "/api/brands/demo/crm/entities/leads")?.1 == ["brand": "demo", "entity": "leads"])
        #expect(found("GET", "/v1/customers/42/")?.0 == "show")
        #expect(found("HEAD", "/v1/customers")?.0 == "list")
    }

    @Test func literalsWinOverParameters() {
        #expect(found("POST", "/v1/customers/import")?.0 == "import")
    }

    @Test func methodNotAllowedListsTheAllowed() {
        guard case .methodNotAllowed(let allowed) = router.match(method: "DELETE", path: "/v1/customers/1") else {
            Issue.record("expected 405")
            return
        }
        #expect(Set(allowed) == ["GET", "PUT"])
    }

    @Test func aLiteralPathIsNotTakenOverByAParameterForOtherMethods() {
        guard case .methodNotAllowed(let allowed) = router.match(method: "GET", path: "/v1/customers/import") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["POST"])
    }

    @Test func registeredListsEveryRoute() {
        #expect(router.registered.count == 5)
        #expect(router.registered.contains { $0.method == "PUT" && $0.pattern == "/v1/customers/{id}" })
    }

    /// Paths are compared only with the patterns whose second segment can be theirs: a
    /// parameter there matches any second segment, literal ones first.
    @Test func aParameterInTheSecondSegmentMatchesBesideLiterals() {
        var r = Router<String>()
        r.add("GET", "/t/{tenant}/items", "items")
        r.add("GET", "/t/special/items", "special")
        r.add("GET", "/t/special/other", "other")
        func handler(_ path: String) -> String? {
            if case .found(let h, _) = r.match(method: "GET", path: path) { return h }
            return nil
        }
        #expect(handler("/t/special/items") == "special")
        #expect(handler("/t/acme/items") == "items")
        #expect(handler("/t/special/other") == "other")
        #expect(handler("/t/acme/other") == nil)
        guard case .methodNotAllowed(let allowed) = r.match(method: "POST", path: "/t/acme/items") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET"])
    }

    @Test func unknownPathsAreNotFound() {
        guard case .notFound = router.match(method: "GET", path: "/v1/nothing") else {
            Issue.record("expected 404")
            return
        }
    }
}

@Suite struct RFC3339Tests {
    @Test func formatsUTCWithZ() {
        let date = Date(timeIntervalSince1970: 1_773_657_720)
        #expect(RFC3339.format(date) == "2026-03-16T10:42:00Z")
        #expect(RFC3339.format(date, fractionDigits: 6) == "2026-03-16T10:42:00.000000Z")
        #expect(RFC3339.format(date.addingTimeInterval(0.25), fractionDigits: 6) == "2026-03-16T10:42:00.250000Z")
        #expect(RFC3339.format(date.addingTimeInterval(59.5), fractionDigits: 3) == "2026-03-16T10:42:59.500Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 253_402_300_799)) == "9999-12-31T23:59:59Z")
    }

    @Test func parsesZAndOffsets() {
        #expect(RFC3339.parse("2026-03-20T09:00:00Z")?.timeIntervalSince1970 == 1_773_997_200)
        #expect(RFC3339.parse("2026-03-20T11:00:00+02:00")?.timeIntervalSince1970 == 1_773_997_200)
        #expect(RFC3339.parse("2026-03-20T09:00:00.5Z")?.timeIntervalSince1970 == 1_773_997_200.5)
    }

    @Test(arguments: ["2026-02-30T00:00:00Z", "2026-03-20", "2026-03-20T25:00:00Z", "2026-03-20T09:00:00", "yesterday"])
    func refusesInvalid(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}

@Suite struct PaginationTests {
    func request(_ query: String) -> Request { Request(method: "GET", path: "/v1/customers", queryString: query) }

    @Test func defaultsAndCap() throws {
        let p = try Pagination(request(""), sortable: ["created_at", "name"], defaultSort: "created_at")
        #expect(p.page == 1 && p.perPage == 25 && p.sort == "created_at" && p.descending)
        let capped = try Pagination(request("per_page=500&page=3&sort=name&order=asc"), sortable: ["created_at", "name"], defaultSort: "created_at")
        #expect(capped.perPage == 100 && capped.offset == 200 && capped.sort == "name" && !capped.descending)
    }

    @Test func refusesBadValuesNamingThem() {
        do {
            _ = try Pagination(request("page=0&per_page=x&sort=password&order=up"), sortable: ["name"], defaultSort: "name")
            Issue.record("bad pagination accepted")
        } catch let error as HTTPError {
            #expect(error.status == 422)
            #expect(error.errors?.fields.map(\.field) == ["page", "per_page", "sort", "order"])
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// One rule for every list: the chosen column in the chosen direction, then the unique
    /// tiebreak in the same direction; an unknown name sorts by the fallback.
    @Test func theOrderTiesBreakInTheSameDirection() {
        let columns: [String: SQL] = ["name": "c.name"]
        let byName = Pagination(page: 1, perPage: 25, sort: "name", descending: true)
        #expect(byName.order(columns, fallback: "c.created_at", tiebreak: "c.id").text == "c.name DESC, c.id DESC")
        let oldestFirst = Pagination(page: 1, perPage: 25, sort: "created_at", descending: false)
        #expect(oldestFirst.order(columns, fallback: "c.created_at", tiebreak: "c.id").text == "c.created_at ASC, c.id ASC")
    }

    @Test func envelopeHasMeta() {
        let p = Pagination(page: 2, perPage: 25, sort: "id", descending: true)
        let json = p.envelope([], total: 342)
        #expect(JSONWriter.string(json) == #"{"data":[],"meta":{"current_page":2,"per_page":25,"total":342,"last_page":14}}"#)
    }
}

@Suite struct RequestTests {
    @Test func headerNamesFromFastCGIParameters() {
        #expect(Request.headerName(fromParameter: "HTTP_X_API_KEY") == "x-api-key")
        #expect(Request.headerName(fromParameter: "HTTP_EF_ACCESS_KEY") == "ef-access-key")
        #expect(Request.headerName(fromParameter: "HTTP_AUTHORIZATION") == "authorization")
    }

    @Test func queryIsPercentDecodedAndFirstWins() {
        let r = Request(method: "GET", path: "/", queryString: "q=Ana+Kova%C4%8D&q=x&empty=&flag")
        #expect(r.query["q"] == "Ana Kovač")
        #expect(r.query["empty"] == "" && r.query["flag"] == "")
    }
}
