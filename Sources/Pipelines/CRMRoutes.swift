import Core

/// Every route of the pipeline CRM under `/api/brands/{brand}/crm/` but the presets.
package enum CRMRoutes {
    package static func register(_ routes: inout Routes) {
        EntityRoutes.register(&routes)
        PipelineRoutes.register(&routes)
        FieldRoutes.register(&routes)
        EntryExport.register(&routes)
        EntryRoutes.register(&routes)
        EntryLinkRoutes.register(&routes)
    }
}
