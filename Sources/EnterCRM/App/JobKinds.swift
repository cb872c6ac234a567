import MariaDB
import Web
import Jobs
import Accounts
import Activities
import Pipelines
import Segments
import Automations
import Campaigns
import Dashboard
import Imports
import Lists
import Webhooks

/// Every job kind the service knows, and the recurring schedules. Features add theirs here.
public enum JobKinds {
    public static func registry() -> JobRegistry {
        var registry = JobRegistry()
        registry.register("system.prune_jobs", maxAttempts: 3) { context in
            // Finished jobs are kept a week for inspection, then removed in small batches.
            try context.db.executeInBatches("""
                DELETE FROM jobs WHERE status IN ('succeeded', 'failed') AND finished_at < UTC_TIMESTAMP(6) - INTERVAL 7 DAY
                """)
        }
        registry.every(3600, name: "prune-finished-jobs", kind: "system.prune_jobs")
        PipelineStats.register(&registry)
        AnalyticsJobs.register(&registry)
        SegmentJobs.register(&registry)
        AutomationJobs.register(&registry)
        CampaignDelivery.register(&registry)
        AuditRetention.register(&registry)
        AccountHousekeeping.register(&registry)
        TaskDigest.register(&registry)
        DashboardStore.register(&registry)
        ImportJob.register(&registry)
        BulkRun.register(&registry)
        WebhookDelivery.register(&registry)
        return registry
    }
}
