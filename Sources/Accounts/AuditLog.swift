import MariaDB
import Web
import Core

/// The audit log's one writer: every security-relevant action appends a row here, through
/// the same connection (so in the same transaction) as the action itself. Rows are never
/// updated or deleted by the API; the job runner prunes those past the workspace's retention.
///
/// Actions are dotted names, the feature first: `auth.login`, `auth.login_failed`,
/// `auth.password_reset`, `member.invited`, `member.role_changed`, `api_key.created`,
/// `api_key.revoked`, `customer.erased`, `customers.exported`, `segment.deleted`,
/// `campaign.deleted`, `campaign.sent`, `automation.activated`, `settings.changed` …
package enum AuditLog {
    /// Appends one row for the caller of `c` (its user or key, its address and agent).
    /// `tenant` defaults to the caller's workspace; routes open to anyone pass it (or nil).
    package static func record(_ c: Context, _ action: String, tenant: Tenant? = nil, tenantID: Int? = nil,
                       target: (type: String, id: Int)? = nil, actorUserID: Int? = nil, actorLabel: String? = nil,
                       details: JSON? = nil) throws {
        let tenantValue: Int? = tenantID ?? tenant?.id ?? c.principal?.tenant.id
        let user = actorUserID ?? c.principal?.userID
        let key = c.principal?.apiKeyID
        let agent = c.request.header("user-agent").map { String($0.prefix(255)) }
        let detailText = details.map { JSONWriter.string($0) }
        try c.db.execute("""
            INSERT INTO audit_log (tenant_id, actor_user_id, actor_api_key_id, actor_label, action, target_type, target_id,
                                   ip, user_agent, details, created_at)
            VALUES (\(tenantValue), \(user), \(key), \(actorLabel.map { String($0.prefix(255)) }), \(action),
                    \(target?.type), \(target?.id), \(String(c.request.remoteAddress.prefix(45))), \(agent), \(detailText),
                    UTC_TIMESTAMP(6))
            """)
    }
}
