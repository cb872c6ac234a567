import MariaDB
import Web
import Core

/// A built-in entity: its labels, pipelines with coloured stages, and fields.
struct Preset: Sendable {
    struct StageDefinition: Sendable {
        let name: String
        let color: String
        let status: StageStatus
    }

    struct PipelineDefinition: Sendable {
        let name: String
        let stages: [StageDefinition]
    }

    struct FieldDefinition: Sendable {
        let name: String
        let key: String
        let type: FieldType
        var options: [String]? = nil
        var required = false
    }

    let key: String
    let label: String
    let description: String
    let singularName: String
    let icon: String
    let color: String
    let pipelines: [PipelineDefinition]
    let fields: [FieldDefinition]

    static let all: [Preset] = [
        Preset(
            key: "leads", label: "Leads", description: "Track inbound leads through a sales process",
            singularName: "Lead", icon: "user", color: "#3b82f6",
            pipelines: [PipelineDefinition(name: "Sales Pipeline", stages: [
                StageDefinition(name: "New Lead", color: "#94a3b8", status: .active),
                StageDefinition(name: "Contacted", color: "#3b82f6", status: .active),
                StageDefinition(name: "Qualified", color: "#10b981", status: .active),
                StageDefinition(name: "Closed Won", color: "#22c55e", status: .won),
                StageDefinition(name: "Closed Lost", color: "#ef4444", status: .lost),
            ])],
            fields: [
                FieldDefinition(name: "Email", key: "email", type: .email),
                FieldDefinition(name: "Phone", key: "phone", type: .phone),
                FieldDefinition(name: "Source", key: "source", type: .select, options: ["Facebook", "Google", "Organic"]),
            ]
        ),
        Preset(
            key: "contacts", label: "Contacts", description: "Manage contacts and customers",
            singularName: "Contact", icon: "address-book", color: "#8b5cf6",
            pipelines: [PipelineDefinition(name: "Lifecycle", stages: [
                StageDefinition(name: "Subscriber", color: "#94a3b8", status: .active),
                StageDefinition(name: "Lead", color: "#3b82f6", status: .active),
                StageDefinition(name: "Opportunity", color: "#f59e0b", status: .active),
                StageDefinition(name: "Customer", color: "#22c55e", status: .won),
                StageDefinition(name: "Churned", color: "#ef4444", status: .lost),
            ])],
            fields: [
                FieldDefinition(name: "Email", key: "email", type: .email),
                FieldDefinition(name: "Phone", key: "phone", type: .phone),
                FieldDefinition(name: "Company", key: "company", type: .text),
                FieldDefinition(name: "Job Title", key: "job_title", type: .text),
                FieldDefinition(name: "Website", key: "website", type: .url),
                FieldDefinition(name: "Tags", key: "tags", type: .multi_select, options: ["VIP", "Newsletter", "Partner"]),
            ]
        ),
        Preset(
            key: "deals", label: "Deals", description: "Deal tracking with revenue stages",
            singularName: "Deal", icon: "briefcase", color: "#10b981",
            pipelines: [PipelineDefinition(name: "Deals Pipeline", stages: [
                StageDefinition(name: "Prospecting", color: "#94a3b8", status: .active),
                StageDefinition(name: "Qualification", color: "#3b82f6", status: .active),
                StageDefinition(name: "Proposal", color: "#8b5cf6", status: .active),
                StageDefinition(name: "Negotiation", color: "#f59e0b", status: .active),
                StageDefinition(name: "Closed Won", color: "#22c55e", status: .won),
                StageDefinition(name: "Closed Lost", color: "#ef4444", status: .lost),
            ])],
            fields: [
                FieldDefinition(name: "Amount", key: "amount", type: .number),
                FieldDefinition(name: "Close Date", key: "close_date", type: .date),
                FieldDefinition(name: "Probability", key: "probability", type: .number),
                FieldDefinition(name: "Company", key: "company", type: .text),
                FieldDefinition(name: "Contact Email", key: "email", type: .email),
            ]
        ),
    ]

    static func named(_ key: String) -> Preset? { all.first { $0.key == key } }

    /// The list entry: the contract's `key`, `label`, `description`, then what the preset makes.
    var json: JSON {
        [
            "key": .string(key), "label": .string(label), "description": .string(description),
            "singular_name": .string(singularName), "plural_name": .string(label), "icon": .string(icon), "color": .string(color),
            "pipelines": .array(pipelines.map { p in
                ["name": .string(p.name), "stages": .array(p.stages.map { s in
                    ["name": .string(s.name), "color": .string(s.color), "status": .string(s.status.rawValue)]
                })]
            }),
            "fields": .array(fields.map { f in
                ["name": .string(f.name), "key": .string(f.key), "type": .string(f.type.rawValue),
                 "options": f.options.map { .array($0.map(JSON.string)) } ?? .null, "required": .bool(f.required)]
            }),
        ]
    }

    /// Creates the preset's pipelines, stages and fields in an entity (inside the caller's transaction).
    func apply(_ db: Connection, _ tenant: Tenant, entityID: Int) throws {
        for (p, pipeline) in pipelines.enumerated() {
            let pipelineID = try PipelineStore.create(db, tenant, entityID: entityID, name: pipeline.name, position: p)
            for (s, stage) in pipeline.stages.enumerated() {
                _ = try PipelineStore.createStage(db, tenant, pipelineID: pipelineID, name: stage.name, color: stage.color,
                                                  position: s, status: stage.status)
            }
        }
        for (i, field) in fields.enumerated() {
            _ = try FieldRoutes.create(db, tenant, entityID: entityID, name: field.name, key: field.key, type: field.type,
                                       options: field.options, required: field.required, position: i)
        }
    }
}
