import Foundation
import MariaDB
import Web
import Core
import Accounts
import Messaging
import Pipelines
import Segments

/// The ids that a design and a trigger name must be of the caller's workspace: segments
/// (the trigger; conditions' in_segment through AutomationConditions.checkReferences), CRM entities, pipelines and stages (the CRM actions and
/// triggers) and members (notify_user). A run would only fail on another workspace's id; a
/// save refuses it at once with 422 naming the node, and says nothing of the other workspace.
extension AutomationDesign {
    func checkReferences(_ db: Connection, _ tenant: Tenant, errors: inout ValidationErrors) throws {
        for node in nodes {
            let field = "nodes.\(node.id)"
            guard node.type == .action, let kind = node.action else { continue }
            let label = "Action \(node.id) (\(kind.rawValue))"
            switch kind {
            case .create_crm_entry:
                guard let entity = try Entity.find(db, tenant, Self.reference(node.data, "entity") ?? "") else {
                    errors.add(field, "\(label): the CRM entity does not exist in this workspace.")
                    continue
                }
                guard let pipelineID = Self.reference(node.data, "pipeline").flatMap({ Int($0) }),
                      let pipeline = try Pipeline.find(db, tenant, id: pipelineID), pipeline.entityID == entity.id else {
                    errors.add(field, "\(label): the pipeline does not exist in that entity.")
                    continue
                }
                guard let stageID = Self.reference(node.data, "stage").flatMap({ Int($0) }),
                      let stage = try Stage.find(db, tenant, id: stageID), stage.pipelineID == pipeline.id else {
                    errors.add(field, "\(label): the stage does not exist in that pipeline.")
                    continue
                }
            case .move_crm_entry:
                guard let stageID = Self.reference(node.data, "stage").flatMap({ Int($0) }),
                      try Stage.find(db, tenant, id: stageID) != nil else {
                    errors.add(field, "\(label): the stage does not exist in this workspace.")
                    continue
                }
            case .notify_user:
                if let user = node.data["user_id"]?.intValue, try !AccountStore.isMember(db, tenant, userID: user) {
                    errors.add(field, "\(label): the member does not exist in this workspace.")
                }
            default:
                break
            }
        }
    }

    /// Every `send_email` node's saved template (by key or id) must exist in the workspace:
    /// checked when the automation runs (activation, or a save while active). A draft may
    /// name a template that does not exist yet (the contract's win-back-1 example).
    func checkTemplates(_ db: Connection, _ tenant: Tenant, errors: inout ValidationErrors) throws {
        for node in nodes where node.type == .action && node.action == .send_email {
            guard let ref = EmailTemplateStore.reference(node.data) else { continue }
            if try EmailTemplateStore.resolve(db, tenant, ref) == nil {
                errors.add("nodes.\(node.id)", "Action \(node.id) (send_email): \(ref) does not exist in this workspace.")
            }
        }
    }

    /// An id or slug given as a string or a number, as the actions read it.
    static func reference(_ data: JSONObject, _ key: String) -> String? {
        if let s = data[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !s.isEmpty { return s }
        return data[key]?.intValue.map(String.init)
    }
}

extension AutomationTriggers {
    /// The trigger's segment or CRM entity must be of this workspace (422 otherwise).
    static func checkReferences(_ db: Connection, _ tenant: Tenant, type: String, config: JSON?,
                                errors: inout ValidationErrors) throws {
        let o = config?.objectValue ?? JSONObject()
        switch type {
        case "segment_entered", "segment_exited":
            if let id = o["segment_id"]?.intValue, id >= 1, try SegmentStore.find(db, tenant, id: id) == nil {
                errors.add("trigger_config.segment_id", "Segment \(id) does not exist in this workspace.")
            }
        case "crm_entry_created", "crm_entry_stage_changed":
            if let entity = AutomationDesign.reference(o, "entity"), try Entity.find(db, tenant, entity) == nil {
                errors.add("trigger_config.entity", "The CRM entity does not exist in this workspace.")
            }
        default:
            break
        }
    }
}

extension AutomationDesign {
    /// The automations whose design sends this template (by key or id), active ones only
    /// when `activeOnly`: a template they use is not deleted nor re-keyed under them.
    @Sendable package static func emailTemplateUsers(_ db: Connection, _ tenant: Tenant, id: Int, key: String, activeOnly: Bool) throws -> [(id: Int, name: String)] {
        var out: [(id: Int, name: String)] = []
        for row in try db.query("""
            SELECT id, name, design FROM automations WHERE tenant_id = \(tenant) AND is_active >= \(activeOnly ? 1 : 0) ORDER BY id
            """) {
            let design = AutomationDesign.stored(try row.string("design"))
            let uses = design.nodes.contains { node in
                guard node.type == .action, node.action == .send_email, let ref = EmailTemplateStore.reference(node.data) else { return false }
                return ref == .id(id) || ref == .key(key)
            }
            if uses { out.append((try row.int("id"), try row.string("name"))) }
        }
        return out
    }
}

extension AutomationDesign {
    /// The automations that read this segment: their trigger (segment entered or exited) or
    /// a condition's `in_segment` in their design. What a segment's `used_by` names.
    @Sendable package static func segmentUsers(_ db: Connection, _ tenant: Tenant, id: Int) throws -> [(id: Int, name: String)] {
        var out: [(id: Int, name: String)] = []
        for row in try db.query("SELECT id, name, trigger_type, trigger_config, design FROM automations WHERE tenant_id = \(tenant) ORDER BY id") {
            let config = (try? JSONParser.parse(try row.string("trigger_config")))?.objectValue ?? JSONObject()
            let byTrigger = ["segment_entered", "segment_exited"].contains(try row.string("trigger_type")) && config["segment_id"]?.intValue == id
            let byCondition = AutomationDesign.stored(try row.string("design")).nodes.contains { node in
                var ignored = ValidationErrors()
                guard node.type == .condition,
                      let filter = AutomationConditions.parse(node.data["filters"] ?? node.data["filter"], node: node.id, errors: &ignored) else { return false }
                return filter.referencedSegments.contains(id)
            }
            if byTrigger || byCondition { out.append((try row.int("id"), try row.string("name"))) }
        }
        return out
    }
}
