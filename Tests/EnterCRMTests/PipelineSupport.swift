import EnterCRM
import Foundation
import MariaDB
import TestSupport
import Web

/// A fresh workspace with a secret API key, speaking to `/api/brands/{id}/crm` with the
/// `EF-Access-Key` header, as the contract's examples do.
struct CRMWorkspace {
    let client: TestClient
    let owner: (token: String, userID: Int, tenantID: Int, slug: String, email: String)
    let key: String

    init(_ client: TestClient) {
        self.client = client
        owner = client.register()
        let r = client.send("POST", "/v1/api-keys", ["name": "crm"], token: owner.token)
        precondition(r.status == 201, r.body)
        key = r["key"]!.stringValue!
    }

    var base: String { "/api/brands/\(owner.tenantID)/crm" }

    @discardableResult
    func send(_ method: String, _ path: String, _ body: JSON? = nil, query: String = "") -> TestClient.Reply {
        client.send(method, base + path, body, headers: ["ef-access-key": key], query: query)
    }

    /// Creates an entity from a preset (entity 1 in a fresh workspace) and returns it in full.
    @discardableResult
    func preset(_ preset: String, slug: String? = nil) -> JSON {
        let r = send("POST", "/entities", ["name": .string(preset.capitalized), "slug": .string(slug ?? preset), "preset": .string(preset)])
        precondition(r.status == 201, r.body)
        return r.json
    }

    /// The stage ids of an entity's first pipeline, in order.
    func stages(_ entity: JSON) -> [Int] {
        entity["pipelines"]?.arrayValue?.first?["stages"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
    }

    func pipeline(_ entity: JSON) -> Int { entity["pipelines"]!.arrayValue![0]["id"]!.intValue! }

    /// Creates an entry; the reply must be 201.
    @discardableResult
    func entry(_ entity: JSON, title: String, stage: Int? = nil, values: JSON = [:], extra: JSONObject = JSONObject()) -> JSON {
        var body = JSONObject([
            ("title", .string(title)), ("pipeline_id", .int(pipeline(entity))), ("stage_id", .int(stage ?? stages(entity)[0])),
            ("values", values),
        ])
        for (k, v) in extra { body[k] = v }
        let r = send("POST", "/entities/\(entity["id"]!.intValue!)/entries", .object(body))
        precondition(r.status == 201, r.body)
        return r.json
    }
}

extension TestClient.Reply {
    /// The ids of a list of entries (`data`) or of a bare array.
    var ids: [String] { (json["data"]?.arrayValue ?? json.arrayValue ?? []).compactMap { $0["id"]?.stringValue } }
    var titles: [String] { (json["data"]?.arrayValue ?? []).compactMap { $0["title"]?.stringValue } }
    var errorKeys: [String] { json["errors"]?.objectValue?.keys ?? [] }
}
