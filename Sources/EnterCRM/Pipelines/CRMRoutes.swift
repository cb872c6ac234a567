import Core

/// Every route of the pipeline CRM under `/api/brands/{brand}/crm/` but the presets.
enum CRMRoutes {
    static func register(_ routes: inout Routes) {
        EntityRoutes.register(&routes)
        PipelineRoutes.register(&routes)
        FieldRoutes.register(&routes)
        EntryRoutes.register(&routes)
    }
}
