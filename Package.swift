// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "EnterCRM",
    // Linux only (Glibc, epoll, libfcgi's accept loop): no `platforms` line. SwiftPM's
    // `platforms` names minimum versions of Apple systems only (there is no Linux entry), and
    // the macOS 14 that was declared could never build this package: besides Glibc and epoll,
    // Synchronization's Atomic needs macOS 15.
    products: [
        .executable(name: "entercrm", targets: ["entercrm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML parser: openapi.yaml served as JSON (GET /v1/openapi.json).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // C libraries: a module map and a shim each, no Swift code.
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Layers.
        // What every layer uses, with no C library and nothing above it: the clock and dates (UTC).
        .target(name: "Platform"),
        .target(name: "FastCGI", dependencies: ["CFastCGI", "Platform"]),
        .target(name: "MariaDB", dependencies: ["CMariaDB", "Platform"]),
        .target(name: "Cryptography", dependencies: ["COpenSSL"]),
        // Every call to a host a user typed (webhooks, SMS, SMTP), behind the address guard.
        .target(name: "Outbound", dependencies: ["CCurl", "FastCGI"]),
        .target(name: "Web", dependencies: ["FastCGI", "MariaDB", "Platform", "CZlib"]),
        // Pure Swift statistics (RFM, BG/NBD, Gamma-Gamma): no database, no C.
        .target(name: "Analytics"),
        // Features (issue 21), lowest first.
        // What every handler works with: Context, Routes, Configuration, Tenant and Principal, Permissions.
        .target(name: "Core", dependencies: ["Web", "MariaDB", "Cryptography", "Platform"]),
        // The jobs table: JobRegistry, JobQueue, JobRunner (the kinds are registered by the composition).
        .target(name: "Jobs", dependencies: ["Web", "MariaDB", "FastCGI"]),
        // The search words index and the entry list totals.
        .target(name: "Search", dependencies: ["Core", "MariaDB", "Cryptography", "FastCGI"]),
        // Templates, mail and SMS delivery for a workspace, shared by campaigns and automations.
        .target(name: "Messaging", dependencies: ["Core", "Web", "Outbound", "MariaDB", "Cryptography", "Platform"]),
        // Sign-up, sessions, API keys, members, teams, workspaces, the audit log.
        .target(name: "Accounts", dependencies: ["Core", "Jobs", "Messaging", "Web", "MariaDB", "Cryptography", "Platform", "FastCGI"]),
        // Webhook subscriptions: their routes, the delivery of the outbox (WebhookOutbox, Core) and its log.
        .target(name: "Webhooks", dependencies: ["Core", "Jobs", "Accounts", "Web", "Outbound", "MariaDB", "Cryptography", "Platform", "FastCGI"]),
        // Health, metrics, the OpenAPI document.
        .target(name: "System", dependencies: ["Core", "Web", "MariaDB", "Platform", .product(name: "Yams", package: "Yams")]),
        // Notes and tasks about customers and entries, and the tasks' morning digest.
        .target(name: "Activities", dependencies: ["Core", "Jobs", "Search", "Accounts", "Web", "MariaDB", "Platform"]),
        // Tags on customers, companies and entries: what a tag is, links, filters.
        .target(name: "Tags", dependencies: ["Core", "Web", "MariaDB"]),
        // Segments, and the analytics scores (RFM, CLV) that segments filter on and resync after.
        .target(name: "Segments", dependencies: ["Core", "Jobs", "Accounts", "Tags", "Web", "MariaDB", "Analytics", "Platform", "FastCGI"]),
        // Customer profiles and their list totals, companies, the writes of tags.
        .target(name: "Customers", dependencies: ["Core", "Search", "Accounts", "Activities", "Segments", "Tags", "Web", "MariaDB", "Platform"]),
        // Tracked events and identify (the pixel, the batch API).
        .target(name: "Tracking", dependencies: ["Core", "Accounts", "Segments", "Customers", "Web", "MariaDB", "Cryptography", "Platform", "FastCGI"]),
        // The pipeline CRM: entities, pipelines, stages, fields, entries.
        .target(name: "Pipelines", dependencies: ["Core", "Jobs", "Search", "Accounts", "Activities", "Tags", "Web", "MariaDB", "Cryptography"]),
        // Email and SMS campaigns, their delivery and engagement (opens, clicks, unsubscribes).
        .target(name: "Campaigns", dependencies: [
            "Core", "Jobs", "Messaging", "Accounts", "Tracking", "Web", "Outbound", "MariaDB", "Cryptography", "FastCGI",
        ]),
        // Automation designs, triggers, the engine and its batches.
        .target(name: "Automations", dependencies: [
            "Core", "Jobs", "Messaging", "Accounts", "Segments", "Customers", "Pipelines", "Webhooks",
            "Web", "Outbound", "MariaDB", "Cryptography", "Platform", "FastCGI",
        ]),
        // The home dashboard: every feature's figures of a period in one answer.
        .target(name: "Dashboard", dependencies: [
            "Core", "Jobs", "Customers", "Tracking", "Segments", "Pipelines", "Campaigns", "Web", "MariaDB", "Analytics", "Platform",
        ]),
        // CSV imports of customers, companies and entries, through their features' own checks and writes.
        .target(name: "Imports", dependencies: ["Core", "Jobs", "Accounts", "Customers", "Pipelines", "Tags", "Web", "MariaDB"]),
        // Saved views and bulk actions on the lists of customers, companies and entries.
        .target(name: "Lists", dependencies: [
            "Core", "Jobs", "Accounts", "Tags", "Segments", "Customers", "Pipelines", "Campaigns", "Web", "MariaDB", "Platform",
        ]),
        // The composition: the application (routes of every feature), the job kinds, the seeder.
        .target(name: "EnterCRM", dependencies: [
            "Core", "Jobs", "Messaging", "Accounts", "System", "Activities", "Segments", "Customers", "Tracking", "Pipelines",
            "Campaigns", "Automations", "Dashboard", "Webhooks", "Imports", "Tags", "Lists", "Web", "MariaDB", "Cryptography", "FastCGI",
        ]),
        .executableTarget(name: "entercrm", dependencies: [
            "EnterCRM", "Core", "Jobs", "Segments", "Automations", "Web", "MariaDB", "Analytics", "FastCGI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared by the test targets: the test database, migrated once per run.
        .target(name: "TestSupport", dependencies: ["MariaDB"], path: "Tests/TestSupport"),
        .testTarget(name: "PlatformTests", dependencies: ["Platform"]),
        .testTarget(name: "CryptographyTests", dependencies: ["Cryptography"]),
        .testTarget(name: "MariaDBTests", dependencies: ["MariaDB", "TestSupport"]),
        .testTarget(name: "WebTests", dependencies: ["Web", "MariaDB"]),
        .testTarget(name: "AnalyticsTests", dependencies: ["Analytics"]),
        .testTarget(name: "OutboundTests", dependencies: ["Outbound"]),
        .testTarget(name: "EnterCRMTests", dependencies: [
            "EnterCRM", "Core", "Jobs", "Search", "Messaging", "Accounts", "System", "Segments", "Customers", "Tracking", "Pipelines",
            "Campaigns", "Automations", "Dashboard", "Webhooks", "Imports", "Tags", "TestSupport", "Web", "Outbound", "MariaDB", "Cryptography", "Analytics", "FastCGI",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
