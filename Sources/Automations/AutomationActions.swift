import Foundation
import MariaDB
import Web
import Core
import Messaging
import Customers
import Pipelines

/// What each action node does, for one enrolment step.
struct AutomationActions {
    let db: Connection
    let tenant: Tenant
    let automation: AutomationEngine.Loaded
    let enrolmentID: Int
    let seq: Int
    let customerID: Int
    let node: AutomationDesign.Node
    let now: Date

    func customer() throws -> Row {
        guard let row = try CustomerStore.find(db, tenant, id: customerID) else { throw AutomationError.action("the customer no longer exists") }
        return row
    }

    func text(_ key: String) -> String? {
        guard let s = node.data[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
        return s
    }

    /// A text of the node with the customer's and the enrolment's values (`Template`), plain:
    /// what `update_customer` and the CRM actions write.
    static func render(_ template: String, customer: JSON, context: JSON) -> String {
        Template.render(template, TemplateValues(customer: customer, context: context), for: .plain)
    }

    // MARK: Inside the database (committed with the step)

    /// Performs a CRM action inside the step's transaction; returns a detail for the log.
    /// (The customer actions are `customerAction`, applied by the batch to its customers.)
    func perform(_ kind: AutomationDesign.ActionKind, context: inout JSON) throws -> String? {
        let profile = CustomerJSON.profile(try lockedCustomer(), segments: [])
        switch kind {
        case .create_crm_entry:
            return try createEntry(profile, context: &context)
        case .move_crm_entry:
            return try moveEntry(context: context)
        default:
            throw AutomationError.action("\(kind.rawValue) is not an action inside the database")
        }
    }

    /// What a customer action writes: the whole `properties` object, or one column.
    enum CustomerChange {
        case properties(JSONObject)
        /// `name`, `phone`, `city` or `country`, and its new value.
        case field(String, String?)
    }

    /// The customer actions (`update_customer`, `add_tag`, `remove_tag`) on a customer's
    /// profile: changes `profile` as the write will, and answers the write and a detail for
    /// the log. The batch (AutomationBatch) applies it to its customers read once.
    static func customerAction(_ kind: AutomationDesign.ActionKind, node: AutomationDesign.Node, profile: inout JSON,
                               context: JSON) throws -> (String?, CustomerChange) {
        func text(_ key: String) -> String? {
            guard let s = node.data[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
            return s
        }
        var o = profile.objectValue ?? JSONObject()
        switch kind {
        case .update_customer:
            let value = node.data["value"].map { v -> JSON in
                if let s = v.stringValue { return .string(render(s, customer: profile, context: context)) }
                return v
            } ?? .null
            if let field = text("field") {
                guard ["name", "phone", "city", "country"].contains(field) else { throw AutomationError.action("unknown customer field \(field)") }
                let s = value.stringValue ?? (value.isNull ? nil : JSONWriter.string(value))
                o[field] = s.map(JSON.string) ?? .null
                profile = .object(o)
                return ("\(field) set", .field(field, s))
            }
            let key = text("property") ?? ""
            var properties = o["properties"]?.objectValue ?? JSONObject()
            properties[key] = value
            try checkLimits(properties)
            o["properties"] = .object(properties)
            profile = .object(o)
            return ("property \(key) set", .properties(properties))
        case .add_tag, .remove_tag:
            let tag = text("tag") ?? ""
            var properties = o["properties"]?.objectValue ?? JSONObject()
            var tags = properties["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if kind == .add_tag { if !tags.contains(tag) { tags.append(tag) } } else { tags.removeAll { $0 == tag } }
            properties["tags"] = .array(tags.map(JSON.string))
            try checkLimits(properties)
            o["properties"] = .object(properties)
            profile = .object(o)
            return ((kind == .add_tag ? "tagged " : "untagged ") + tag, .properties(properties))
        default:
            throw AutomationError.action("\(kind.rawValue) is not a customer action")
        }
    }

    private func lockedCustomer() throws -> Row {
        guard let row = try db.queryOne("SELECT \(CustomerJSON.columns) FROM customers c WHERE c.tenant_id = \(tenant) AND c.id = \(customerID) FOR UPDATE") else {
            throw AutomationError.action("the customer no longer exists")
        }
        return row
    }

    /// The limits every writer of customer properties keeps (Input.propertiesProblems).
    private static func checkLimits(_ properties: JSONObject) throws {
        if let problem = Input.propertiesProblems(properties).fields.first {
            throw AutomationError.action("\(problem.field): \(problem.messages.joined(separator: " "))")
        }
    }

    private func reference(_ key: String) -> String? { text(key) ?? node.data[key]?.intValue.map(String.init) }

    /// The seed's conversion → lead: an entry in a pipeline stage, with values mapped from
    /// the customer or the event. Referenced by the enrolment step, so it is made once.
    private func createEntry(_ profile: JSON, context: inout JSON) throws -> String? {
        guard let entity = try Entity.find(db, tenant, reference("entity") ?? "") else { throw AutomationError.action("the CRM entity does not exist") }
        guard let pipelineID = reference("pipeline").flatMap(Int.init), let pipeline = try Pipeline.find(db, tenant, id: pipelineID),
              pipeline.entityID == entity.id else { throw AutomationError.action("the pipeline does not exist in that entity") }
        guard let stageID = reference("stage").flatMap(Int.init), let stage = try Stage.find(db, tenant, id: stageID),
              stage.pipelineID == pipeline.id else { throw AutomationError.action("the stage does not exist in that pipeline") }
        let fields = try Field.all(db, tenant, entityID: entity.id)
        var changes = EntryStore.Changes()
        let fallbackTitle = profile["name"]?.stringValue ?? profile["email"]?.stringValue ?? "Customer \(customerID)"
        let title = text("title").map { Self.render($0, customer: profile, context: context) } ?? fallbackTitle
        changes.title = title.isEmpty ? fallbackTitle : String(title.prefix(255))
        changes.pipeline = pipeline
        changes.stage = stage
        changes.referenceType = .some("automation")
        changes.referenceID = .some("enrolment-\(enrolmentID)-\(node.id)")
        for (key, raw) in node.data["values"]?.objectValue ?? JSONObject() {
            guard let field = fields.first(where: { $0.key == key }) else { throw AutomationError.action("the entity has no field \(key)") }
            let value: JSON = raw.stringValue.map { .string(Self.render($0, customer: profile, context: context)) } ?? raw
            if value == .string("") || value.isNull { continue }
            switch field.check(value) {
            case .success(let v): changes.values.append((field, v))
            case .failure(let e): throw AutomationError.action(e.message)
            }
        }
        let (entry, _) = try EntryStore.create(db, tenant, entityID: entity.id, fields: fields, changes, actor: Actor())
        var o = context.objectValue ?? JSONObject()
        o["entry"] = ["uid": .string(entry.uid), "entity_id": .int(entity.id)]
        context = .object(o)
        return "entry \(entry.uid) in \(stage.name)"
    }

    private func moveEntry(context: JSON) throws -> String? {
        guard let uid = text("entry_uid") ?? context["entry"]?["uid"]?.stringValue else {
            throw AutomationError.action("no CRM entry to move: the enrolment has none (create one first, or trigger on a CRM entry)")
        }
        guard let entry = try EntryStore.find(db, tenant, uid: uid) else { throw AutomationError.action("the CRM entry no longer exists") }
        guard let stageID = reference("stage").flatMap(Int.init), let stage = try Stage.find(db, tenant, id: stageID),
              stage.entityID == entry.entityID else { throw AutomationError.action("the stage does not exist in the entry's entity") }
        guard let pipeline = try Pipeline.find(db, tenant, id: stage.pipelineID) else { throw AutomationError.action("the pipeline does not exist") }
        var changes = EntryStore.Changes()
        changes.pipeline = pipeline
        changes.stage = stage
        _ = try EntryStore.update(db, tenant, uid: uid, entityID: nil, fields: try Field.all(db, tenant, entityID: entry.entityID),
                                  changes, actor: Actor())
        return "entry \(uid) moved to \(stage.name)"
    }

    // MARK: Leaving the system (at most once)

    /// Sends an email, SMS, member notice or webhook for this step, at most once.
    func send(_ kind: AutomationDesign.ActionKind, context: JSON, messenger: Messenger, crashAfterSend: Bool) throws -> String? {
        let profile = CustomerJSON.profile(try customer(), segments: [])
        let key = "a\(automation.id)-e\(enrolmentID)-s\(seq)"
        var channel = OutboundMessage.Channel.email
        var to = ""
        var subject = ""
        var body = ""
        // `subject`, `body`, `html` and `plain` are templates: the delivery renders them once,
        // with the unsubscribe link it makes (`Template`).
        var html: String?
        var plain: String?
        switch kind {
        case .send_email:
            guard let email = profile["email"]?.stringValue else { return "skipped: the customer has no email address" }
            to = email
            if let ref = EmailTemplateStore.reference(node.data) {
                // A saved template, read now (its latest version): the delivery renders its
                // subject, HTML and text for the customer as a campaign's.
                guard let row = try EmailTemplateStore.resolve(db, tenant, ref) else {
                    throw AutomationError.action("\(ref) does not exist in this workspace")
                }
                subject = try row.string("subject")
                html = try row.string("body_html")
                plain = row.optionalString("body_text")
                body = "template \(try row.string("key"))"
            } else {
                subject = text("subject") ?? ""
                body = text("body") ?? ""
            }
        case .send_sms:
            channel = .sms
            guard let phone = profile["phone"]?.stringValue else { return "skipped: the customer has no phone number" }
            to = phone
            body = text("body") ?? text("message") ?? ""
        case .notify_user:
            channel = .notify
            if let userID = node.data["user_id"]?.intValue {
                guard let row = try db.queryOne("""
                    SELECT u.email FROM users u JOIN memberships m ON m.user_id = u.id AND m.tenant_id = \(tenant) WHERE u.id = \(userID)
                    """) else { throw AutomationError.action("user \(userID) is not a member of this workspace") }
                to = try row.string("email")
            } else {
                to = text("email") ?? ""
            }
            subject = text("subject") ?? ""
            body = text("body") ?? "Customer: {{customer.name}} <{{customer.email}}>"
        case .webhook:
            channel = .webhook
            to = text("url") ?? ""
        default:
            throw AutomationError.action("\(kind.rawValue) is not a message")
        }

        // Whoever unsubscribed from a channel (through a campaign or an automation) gets nothing on it.
        if kind == .send_email || kind == .send_sms {
            let channel: Unsubscribes.Channel = kind == .send_sms ? .sms : .email
            if try Unsubscribes.contains(db, tenant, customer: customerID, channel: channel) {
                return "skipped: the customer unsubscribed from \(channel.rawValue)"
            }
        }
        // 1. Recorded as sending, committed, before anything leaves.
        let logSubject = MailTemplate.headerSafe(Template.render(subject, TemplateValues(customer: profile, context: context), for: .header))
        let insert = try db.execute("""
            INSERT IGNORE INTO automation_messages (tenant_id, automation_id, enrolment_id, step_seq, channel, recipient, subject, state, created_at)
            VALUES (\(tenant), \(automation.id), \(enrolmentID), \(seq), \(channel.rawValue), \(to), \(String(logSubject.prefix(300))), 'sending', UTC_TIMESTAMP(6))
            """)
        var rowID = insert.lastInsertID
        if insert.affectedRows != 1 {
            let row = try db.queryOne("SELECT id, state FROM automation_messages WHERE enrolment_id = \(enrolmentID) AND step_seq = \(seq)")
            rowID = try row?.int("id") ?? 0
            let state = row?.optionalString("state") ?? ""
            switch state {
            case "sent": return "\(channel.rawValue) to \(to) (sent before a restart)"
            case "sending", "interrupted":
                try db.execute("UPDATE automation_messages SET state = 'interrupted' WHERE enrolment_id = \(enrolmentID) AND step_seq = \(seq)")
                return "\(channel.rawValue) to \(to) interrupted by a restart; not sent again"
            default:
                try db.execute("UPDATE automation_messages SET state = 'sending', error = NULL WHERE enrolment_id = \(enrolmentID) AND step_seq = \(seq)")
            }
        }
        // 2. The send.
        do {
            if kind == .webhook {
                let payload: JSON = [
                    "automation_id": .int(automation.id), "enrolment_id": .int(enrolmentID), "node_id": .string(node.id),
                    "customer": profile, "event": context["event"] ?? .null, "sent_at": .string(RFC3339.format(now)),
                ]
                try AutomationDelivery.postWebhook(url: to, body: JSONWriter.bytes(payload), secret: text("secret") ?? automation.secret,
                                                   deliveryID: key)
            } else {
                try messenger.deliver(OutboundMessage(channel: channel, key: key, to: to, subject: subject, body: body, html: html, text: plain,
                                                      customer: profile, context: context, automationID: automation.id,
                                                      messageRowID: rowID > 0 ? rowID : nil), db: db, tenant: tenant)
            }
        } catch DeliveryError.uncertain(let reason) {
            // At most once: a message that may have arrived is not sent again.
            try db.execute("""
                UPDATE automation_messages SET state = 'interrupted', error = \(String(reason.prefix(2000)))
                WHERE enrolment_id = \(enrolmentID) AND step_seq = \(seq)
                """)
            return "\(channel.rawValue) to \(to) may have been delivered (\(reason)); not sent again"
        } catch {
            try db.execute("""
                UPDATE automation_messages SET state = 'failed', error = \(String(String(describing: error).prefix(2000)))
                WHERE enrolment_id = \(enrolmentID) AND step_seq = \(seq)
                """)
            throw error
        }
        if crashAfterSend { throw AutomationError.simulatedCrash }
        // 3. Recorded as sent.
        try db.execute("""
            UPDATE automation_messages SET state = 'sent', sent_at = UTC_TIMESTAMP(6) WHERE enrolment_id = \(enrolmentID) AND step_seq = \(seq)
            """)
        return "\(channel.rawValue) to \(to)"
    }
}
