import Foundation
import MariaDB
import Web
import Core
import Customers

/// The Segment calls that change who a customer is rather than add an event: identify,
/// group and alias, each through the rule `/v1/track/identify` follows
/// (`EventRecorder.identify`: with a publishable key, only what is empty is filled, and two
/// identified customers are never merged).
enum SegmentIntakeIdentity {
    static func apply(_ c: Context, _ m: SegmentIntakeMessage) throws {
        let overwrite = c.principal?.isPublishableKey != true
        let actor = CustomerChanges.Actor(c.principal)
        switch m.kind {
        case .identify:
            let (email, traits) = try m.identifyTraits()
            if let userID = m.userID {
                _ = try EventRecorder.identify(c.db, c.tenant, key: .externalID(userID, email: email), traits: traits,
                                               anonymousID: m.anonymousID, overwrite: overwrite, actor: actor)
            } else if let email {
                _ = try EventRecorder.identify(c.db, c.tenant, key: .email(email), traits: traits,
                                               anonymousID: m.anonymousID, overwrite: overwrite, actor: actor)
            }
            // An anonymous identify without an email names no customer: nothing to keep.
        case .group:
            try group(c, m, overwrite: overwrite, actor: actor)
        case .alias:
            try alias(c, m, overwrite: overwrite, actor: actor)
        case .track, .page, .screen:
            preconditionFailure("events go through EventRecorder.record")
        }
    }

    /// `group`: the customer joins the company of the group (found by the group id or its
    /// website's domain, created if neither). A publishable key creates no company and moves
    /// no customer that has one.
    static func group(_ c: Context, _ m: SegmentIntakeMessage, overwrite: Bool, actor: CustomerChanges.Actor) throws {
        guard let groupID = SegmentIntakeMessage.text(m.object["groupId"]) else {
            throw SegmentIntakeRoutes.invalid("groupId", "A group needs a groupId.")
        }
        guard groupID.count <= SegmentIntakeMessage.maxUserIDLength else {
            throw SegmentIntakeRoutes.invalid("groupId", "The groupId may be at most \(SegmentIntakeMessage.maxUserIDLength) characters.")
        }
        let traits = m.traits
        let customer: Int?
        if let userID = m.userID {
            customer = try EventRecorder.customerIDs(c.db, c.tenant, externalIDs: [userID])[userID]
        } else {
            customer = try c.db.queryOne("""
                SELECT customer_id FROM identities WHERE tenant_id = \(c.tenant) AND anonymous_id = \(m.anonymousID)
                """)?.int("customer_id")
        }
        guard let customer else { return }
        try c.db.transaction {
            guard let company = try CompanyStore.forGroup(c.db, c.tenant, groupID: groupID, name: SegmentIntakeMessage.text(traits["name"]),
                                                          website: SegmentIntakeMessage.text(traits["website"] ?? traits["domain"]),
                                                          industry: SegmentIntakeMessage.text(traits["industry"]), create: overwrite)
            else { return }
            let before = try CustomerChanges.snapshot(c.db, c.tenant, ids: [customer])
            try CompanyStore.setCompany(c.db, c.tenant, customer: customer, company: company, onlyIfNone: !overwrite)
            try CustomerChanges.record(c.db, c.tenant, before: before, after: try CustomerChanges.snapshot(c.db, c.tenant, ids: [customer]),
                                       actor: actor)
        }
    }

    /// `alias`: `previousId` was the same person as `userId`. A previous id that is no
    /// customer's external id is an anonymous id: it joins the customer of `userId` as an
    /// identify does. One that is a customer's becomes `userId` when no customer has that
    /// one yet; when both are customers, they stay two (never merged).
    static func alias(_ c: Context, _ m: SegmentIntakeMessage, overwrite: Bool, actor: CustomerChanges.Actor) throws {
        guard let userID = m.userID, let previous = SegmentIntakeMessage.text(m.object["previousId"]) else { return }
        guard previous.count <= SegmentIntakeMessage.maxUserIDLength else {
            throw SegmentIntakeRoutes.invalid("previousId", "The previousId may be at most \(SegmentIntakeMessage.maxUserIDLength) characters.")
        }
        let renamed: Bool = try c.db.transaction {
            guard let old = try c.db.queryOne("""
                SELECT id FROM customers WHERE tenant_id = \(c.tenant) AND external_id = \(previous) FOR UPDATE
                """)?.int("id") else { return false }
            if overwrite, try c.db.queryOne("SELECT id FROM customers WHERE tenant_id = \(c.tenant) AND external_id = \(userID)") == nil {
                let before = try CustomerChanges.snapshot(c.db, c.tenant, ids: [old])
                try c.db.execute("""
                    UPDATE customers SET external_id = \(userID), updated_at = UTC_TIMESTAMP(6) WHERE tenant_id = \(c.tenant) AND id = \(old)
                    """)
                try CustomerChanges.record(c.db, c.tenant, before: before, after: try CustomerChanges.snapshot(c.db, c.tenant, ids: [old]),
                                           actor: actor)
            }
            return true
        }
        guard !renamed else { return }
        guard previous.count <= SegmentIntakeMessage.maxAnonymousIDLength else {
            throw SegmentIntakeRoutes.invalid("previousId", "An anonymous previousId may be at most \(SegmentIntakeMessage.maxAnonymousIDLength) characters.")
        }
        _ = try EventRecorder.identify(c.db, c.tenant, key: .externalID(userID, email: nil), traits: EventRecorder.Traits(),
                                       anonymousID: previous, overwrite: overwrite, actor: actor)
    }
}
