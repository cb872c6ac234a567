import Web
import Core

/// Built-in entity presets of the pipeline CRM (`/api/brands/{brand}/crm/entity-presets`).
package enum PresetRoutes {
    package static func register(_ routes: inout Routes) {
        routes.get("/api/brands/{brand}/crm/entity-presets", .crm, presets)
    }

    /// `{"presets": [{key, label, description, …}]}`: the contract's three keys first, then the
    /// labels, pipelines and fields that applying the preset creates.
    @Sendable static func presets(_ c: Context) throws -> Response {
        .json(["presets": .array(Preset.all.map(\.json))])
    }
}
