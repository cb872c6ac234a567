import Foundation
import MariaDB
import Outbound
import Web
import Core
import Pipelines

/// A flow design as the designer sends it (React-Flow style `nodes` and `edges`), read and
/// checked. The JSON is stored as received, so that it loads back exactly.
package struct AutomationDesign: Sendable {
    enum NodeType: String, Sendable, CaseIterable {
        case trigger, action, delay, condition, split, exit
    }

    enum ActionKind: String, Sendable, CaseIterable {
        case send_email, send_sms, webhook, update_customer, add_tag, remove_tag, create_crm_entry, move_crm_entry, notify_user

        /// Actions that leave the system: sent at most once, outside the step's transaction.
        var isExternal: Bool { [.send_email, .send_sms, .webhook, .notify_user].contains(self) }
    }

    struct Node: Sendable {
        let id: String
        let type: NodeType
        let action: ActionKind?
        let data: JSONObject
    }

    struct Edge: Sendable {
        let id: String
        let source: String
        let target: String
        let handle: String?
    }

    var nodes: [Node] = []
    var edges: [Edge] = []
    var byID: [String: Node] = [:]
    /// Outgoing edges of each node, in the order given.
    var outgoing: [String: [Edge]] = [:]
    /// The raw JSON, kept for storage.
    var json: JSON = ["nodes": [], "edges": []]

    var trigger: Node? { nodes.first { $0.type == .trigger } }
    /// Nodes that are not the trigger: the contract's `steps_count`.
    var stepsCount: Int { nodes.filter { $0.type != .trigger }.count }

    /// The node that follows `id` on `handle` (nil handle: the only way out).
    func next(_ id: String, handle: String? = nil) -> String? {
        let out = outgoing[id] ?? []
        if let handle { return out.first { ($0.handle ?? "") == handle }?.target }
        return out.first?.target
    }

    /// Reads a stored design without checking it (it was checked when saved).
    static func stored(_ text: String) -> AutomationDesign {
        let json = (try? JSONParser.parse(text)) ?? ["nodes": [], "edges": []]
        var errors = ValidationErrors()
        return parse(json, errors: &errors)
    }

    /// The action kind a node names: `data.action` (or `data.kind`), the node type itself
    /// (`"type": "send_email"`), or its label ("Send Email"), or a template alone.
    static func actionKind(type: String, data: JSONObject) -> ActionKind? {
        func normal(_ s: String) -> String {
            s.lowercased().trimmingCharacters(in: .whitespaces)
                .replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
        }
        if let named = (data["action"] ?? data["kind"])?.stringValue { return ActionKind(rawValue: normal(named)) }
        if let kind = ActionKind(rawValue: normal(type)) { return kind }
        if let label = data["label"]?.stringValue {
            let l = normal(label)
            if let kind = ActionKind(rawValue: l) { return kind }
            let aliases: [String: ActionKind] = [
                "email": .send_email, "send_an_email": .send_email, "sms": .send_sms, "send_text": .send_sms,
                "call_webhook": .webhook, "send_webhook": .webhook, "tag": .add_tag, "update_profile": .update_customer,
                "create_crm_entry": .create_crm_entry, "create_lead": .create_crm_entry, "create_entry": .create_crm_entry,
                "move_entry": .move_crm_entry, "notify_member": .notify_user, "notify_team": .notify_user,
            ]
            if let kind = aliases[l] { return kind }
        }
        if data["email_template"] != nil || data["subject"] != nil { return .send_email }
        return nil
    }

    /// Reads nodes and edges, recording every problem under `nodes.<id>` or `edges.<id>`.
    static func parse(_ json: JSON, errors: inout ValidationErrors) -> AutomationDesign {
        var design = AutomationDesign()
        design.json = ["nodes": json["nodes"] ?? [], "edges": json["edges"] ?? []]
        guard let rawNodes = json["nodes"]?.arrayValue else {
            errors.add("nodes", "The nodes must be an array.")
            return design
        }
        let rawEdges: [JSON]
        if let e = json["edges"], !e.isNull {
            guard let list = e.arrayValue else {
                errors.add("edges", "The edges must be an array.")
                return design
            }
            rawEdges = list
        } else {
            rawEdges = []
        }
        for (i, raw) in rawNodes.enumerated() {
            guard let o = raw.objectValue else { errors.add("nodes.\(i)", "A node must be an object."); continue }
            let id = o["id"]?.stringValue ?? o["id"]?.intValue.map(String.init) ?? ""
            guard !id.isEmpty, id.count <= 64 else { errors.add("nodes.\(i)", "Node \(i + 1) needs an id (at most 64 characters)."); continue }
            guard design.byID[id] == nil else { errors.add("nodes.\(id)", "Two nodes have the id \(id)."); continue }
            let typeName = o["type"]?.stringValue ?? ""
            let data = o["data"]?.objectValue ?? JSONObject()
            var type = NodeType(rawValue: typeName)
            var action: ActionKind?
            if type == nil, let kind = ActionKind(rawValue: typeName) { type = .action; action = kind }
            guard let type else {
                errors.add("nodes.\(id)", "Node \(id) has an unknown type '\(typeName)'. Known: \(NodeType.allCases.map(\.rawValue).joined(separator: ", ")).")
                continue
            }
            if type == .action {
                action = action ?? actionKind(type: typeName, data: data)
                if action == nil {
                    let named = (data["action"] ?? data["kind"])?.stringValue ?? data["label"]?.stringValue ?? ""
                    errors.add("nodes.\(id)", "Node \(id) has an unknown action kind '\(named)'. Known: \(ActionKind.allCases.map(\.rawValue).joined(separator: ", ")).")
                    continue
                }
            }
            let node = Node(id: id, type: type, action: action, data: data)
            design.nodes.append(node)
            design.byID[id] = node
        }
        var edgeIDs = Set<String>()
        for (i, raw) in rawEdges.enumerated() {
            guard let o = raw.objectValue else { errors.add("edges.\(i)", "An edge must be an object."); continue }
            let source = o["source"]?.stringValue ?? o["source"]?.intValue.map(String.init) ?? ""
            let target = o["target"]?.stringValue ?? o["target"]?.intValue.map(String.init) ?? ""
            let id = o["id"]?.stringValue ?? "e\(source)-\(target)"
            if edgeIDs.contains(id) { errors.add("edges.\(id)", "Two edges have the id \(id)."); continue }
            edgeIDs.insert(id)
            let handle = o["sourceHandle"]?.stringValue ?? o["source_handle"]?.stringValue
            let edge = Edge(id: id, source: source, target: target, handle: handle)
            design.edges.append(edge)
            design.outgoing[source, default: []].append(edge)
        }
        return design
    }

    /// Parses and checks a design: 422 naming the node or edge when it cannot run.
    static func validated(_ json: JSON) throws -> AutomationDesign {
        var errors = ValidationErrors()
        let design = parse(json, errors: &errors)
        try errors.check()
        design.check(&errors)
        try errors.check()
        return design
    }

    /// `validated`, then the checks that need the workspace (segments named by conditions).
    static func validated(_ json: JSON, _ db: Connection, _ tenant: Tenant) throws -> AutomationDesign {
        let design = try validated(json)
        var errors = ValidationErrors()
        try AutomationConditions.checkReferences(db, tenant, design: design, errors: &errors)
        try errors.check()
        return design
    }

    func check(_ errors: inout ValidationErrors) {
        let triggers = nodes.filter { $0.type == .trigger }
        if triggers.count != 1 {
            errors.add("nodes", triggers.isEmpty ? "The flow needs a trigger node." :
                "The flow has \(triggers.count) trigger nodes (\(triggers.map(\.id).joined(separator: ", "))); it needs exactly one.")
        }
        for edge in edges {
            if byID[edge.source] == nil { errors.add("edges.\(edge.id)", "Edge \(edge.id) starts at node \(edge.source), which does not exist.") }
            if byID[edge.target] == nil { errors.add("edges.\(edge.id)", "Edge \(edge.id) ends at node \(edge.target), which does not exist.") }
            if edge.source == edge.target { errors.add("edges.\(edge.id)", "Edge \(edge.id) joins node \(edge.source) to itself.") }
            if byID[edge.target]?.type == .trigger { errors.add("edges.\(edge.id)", "Edge \(edge.id) leads into the trigger.") }
        }
        guard errors.isEmpty else { return }
        for node in nodes {
            let out = outgoing[node.id] ?? []
            switch node.type {
            case .condition:
                for branch in ["yes", "no"] where out.filter({ $0.handle == branch }).count != 1 {
                    errors.add("nodes.\(node.id)", "Condition \(node.id) needs exactly one '\(branch)' edge (sourceHandle \"\(branch)\"); lead it to an exit node to end there.")
                }
                if out.contains(where: { $0.handle != "yes" && $0.handle != "no" }) {
                    errors.add("nodes.\(node.id)", "Condition \(node.id) has an edge that is neither 'yes' nor 'no'.")
                }
                _ = AutomationConditions.parse(node.data["filters"] ?? node.data["filter"], node: node.id, errors: &errors)
            case .split:
                for branch in ["a", "b"] where out.filter({ $0.handle == branch }).count != 1 {
                    errors.add("nodes.\(node.id)", "Split \(node.id) needs exactly one '\(branch)' edge (sourceHandle \"\(branch)\").")
                }
                if let p = node.data["percent_a"], p.doubleValue.map({ !(0...100).contains($0) }) ?? true {
                    errors.add("nodes.\(node.id)", "Split \(node.id): percent_a must be a number from 0 to 100.")
                }
            case .exit:
                if !out.isEmpty { errors.add("nodes.\(node.id)", "Exit \(node.id) ends the flow; it cannot have outgoing edges.") }
            default:
                if out.count > 1 { errors.add("nodes.\(node.id)", "Node \(node.id) has \(out.count) outgoing edges; only conditions and splits branch.") }
            }
            if node.type == .delay, let message = AutomationDesign.delayProblem(node.data) {
                errors.add("nodes.\(node.id)", "Delay \(node.id): \(message)")
            }
            if node.type == .action, let kind = node.action, let message = AutomationDesign.actionProblem(kind, node.data) {
                errors.add("nodes.\(node.id)", "Action \(node.id) (\(kind.rawValue)): \(message)")
            }
        }
        guard errors.isEmpty, let trigger else { return }
        // Cycles (depth-first, colouring) and reachability from the trigger.
        var state: [String: Int] = [:]
        var cycleAt: String?
        func visit(_ id: String) {
            if cycleAt != nil { return }
            state[id] = 1
            for edge in outgoing[id] ?? [] {
                switch state[edge.target] ?? 0 {
                case 1: cycleAt = cycleAt ?? edge.id
                case 0: visit(edge.target)
                default: break
                }
            }
            state[id] = 2
        }
        visit(trigger.id)
        for node in nodes where state[node.id] == nil { visit(node.id) }
        if let cycleAt { errors.add("edges.\(cycleAt)", "Edge \(cycleAt) closes a cycle; a flow cannot loop.") }
        var reached: Set<String> = [trigger.id]
        var queue = [trigger.id]
        while let id = queue.popLast() {
            for edge in outgoing[id] ?? [] where !reached.contains(edge.target) {
                reached.insert(edge.target)
                queue.append(edge.target)
            }
        }
        for node in nodes where !reached.contains(node.id) {
            errors.add("nodes.\(node.id)", "Node \(node.id) cannot be reached from the trigger.")
        }
    }

    static func delayProblem(_ d: JSONObject) -> String? {
        if d["until_weekday"] != nil || d["until_hour"] != nil {
            guard let day = d["until_weekday"]?.intValue, (1...7).contains(day) else { return "until_weekday must be 1 (Monday) to 7 (Sunday)." }
            guard let hour = d["until_hour"]?.intValue, (0...23).contains(hour) else { return "until_hour must be 0 to 23." }
            if let tz = d["timezone"]?.stringValue, TimeZone(identifier: tz) == nil { return "unknown time zone '\(tz)'." }
            return nil
        }
        guard let amount = d["amount"]?.intValue ?? d["duration"]?.intValue, amount > 0 else {
            return "give amount (a whole number above 0) and unit (minutes, hours or days), or until_weekday and until_hour."
        }
        _ = amount
        let unit = d["unit"]?.stringValue ?? "days"
        return ["minutes", "hours", "days"].contains(unit) ? nil : "unit must be minutes, hours or days."
    }

    /// Seconds of a relative delay, or the moment of an absolute one, from `now`.
    static func delayUntil(_ d: JSONObject, from now: Date) -> Date {
        if let day = d["until_weekday"]?.intValue, let hour = d["until_hour"]?.intValue {
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = d["timezone"]?.stringValue.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
            // ISO weekday 1 = Monday; Calendar's weekday 1 = Sunday.
            let weekday = day % 7 + 1
            var match = DateComponents()
            match.weekday = weekday
            match.hour = hour
            match.minute = 0
            match.second = 0
            return calendar.nextDate(after: now, matching: match, matchingPolicy: .nextTime) ?? now
        }
        let amount = d["amount"]?.intValue ?? d["duration"]?.intValue ?? 0
        let unit: Int
        switch d["unit"]?.stringValue ?? "days" {
        case "minutes": unit = 60
        case "hours": unit = 3600
        default: unit = 86400
        }
        return now.addingTimeInterval(Double(amount * unit))
    }

    static func actionProblem(_ kind: ActionKind, _ d: JSONObject) -> String? {
        func text(_ key: String) -> String? {
            guard let s = d[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
            return s
        }
        func ref(_ key: String) -> Bool { text(key) != nil || d[key]?.intValue != nil }
        switch kind {
        case .send_email:
            if text("email_template") != nil || text("template") != nil || ref("email_template_id") { return nil }
            return text("subject") != nil && text("body") != nil ? nil : "give a subject and a body, or an email_template."
        case .send_sms:
            return text("body") ?? text("message") != nil ? nil : "give the message body."
        case .webhook:
            guard let url = text("url"), let u = URL(string: url), ["http", "https"].contains(u.scheme ?? ""), u.host != nil else {
                return "give an http or https url."
            }
            // The outbound guard at once (and again on every call, as DNS may change).
            do { try Outbound.check(url: url) } catch {
                return error == .refused ? "the url \(OutboundError.fieldMessage)." : "give an http or https url."
            }
            return nil
        case .update_customer:
            guard let field = text("field") ?? text("property") else { return "give the field (name, phone, city, country) or a property to set." }
            if text("field") != nil, !["name", "phone", "city", "country"].contains(field) { return "field must be name, phone, city or country (or use property)." }
            if text("property") != nil, !CRM.isFieldKey(field.lowercased()) { return "the property may hold letters, digits and _ only." }
            return d["value"] == nil ? "give the value to set." : nil
        case .add_tag, .remove_tag:
            return text("tag") == nil ? "give the tag." : nil
        case .create_crm_entry:
            let missing = ["entity", "pipeline", "stage"].filter { !ref($0) }
            return missing.isEmpty ? nil : "give the \(missing.joined(separator: ", "))."
        case .move_crm_entry:
            return ref("stage") ? nil : "give the stage to move the entry to."
        case .notify_user:
            guard d["user_id"]?.intValue != nil || text("email") != nil else { return "give the member (user_id or email) to notify." }
            return text("subject") == nil ? "give a subject." : nil
        }
    }
}
