import Foundation
import Jobs
import MariaDB

/// What sign-ins and e-mailed links leave behind, removed once it can no longer matter:
/// - `login_throttle` rows quiet for longer than the longest wait (a failure after such a
///   pause counts from one again, `AuthRoutes.login`, so the row says nothing any more);
/// - `account_tokens` (verification and reset links) a day past their expiry;
/// - `sessions` a month past their expiry (the sessions page shows recent ones, expired too).
/// Accounts are never removed here: an unverified account can hold a workspace with data.
package enum AccountHousekeeping {
    static let kind = "accounts.prune"
    static let tokenGraceDays = 1
    static let sessionGraceDays = 30

    package static func register(_ registry: inout JobRegistry) {
        registry.register(kind, maxAttempts: 3) { context in try prune(context.db) }
        registry.every(3600, name: "prune-account-leftovers", kind: kind)
    }

    /// Deletes, in batches of 1,000, every leftover above. Returns how many rows of each.
    @discardableResult
    static func prune(_ db: Connection) throws -> (throttles: Int, tokens: Int, sessions: Int) {
        let throttles = try db.executeInBatches("""
            DELETE FROM login_throttle WHERE updated_at < UTC_TIMESTAMP(6) - INTERVAL \(AuthRoutes.longestDelay) SECOND
            AND (blocked_until IS NULL OR blocked_until < UTC_TIMESTAMP(6))
            """)
        let tokens = try db.executeInBatches("""
            DELETE FROM account_tokens WHERE expires_at < UTC_TIMESTAMP(6) - INTERVAL \(tokenGraceDays) DAY
            """)
        let sessions = try db.executeInBatches("""
            DELETE FROM sessions WHERE expires_at < UTC_TIMESTAMP(6) - INTERVAL \(sessionGraceDays) DAY
            """)
        return (throttles, tokens, sessions)
    }
}
