import Web

/// Built-in entity presets of the pipeline CRM (`/api/brands/{brand}/crm/entity-presets`).
enum PresetRoutes {
    static func register(_ routes: inout Routes) {
        routes.get("/api/brands/{brand}/crm/entity-presets", .crm, presets)
    }

    static let all: [(key: String, label: String, description: String)] = [
        ("leads", "Leads", "Track inbound leads through a sales process"),
        ("contacts", "Contacts", "Manage contacts and customers"),
        ("deals", "Deals", "Deal tracking with revenue stages"),
    ]

    @Sendable static func presets(_ c: Context) throws -> Response {
        .json(["presets": .array(all.map { ["key": .string($0.key), "label": .string($0.label), "description": .string($0.description)] })])
    }
}
