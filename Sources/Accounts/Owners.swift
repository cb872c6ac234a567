import MariaDB
import Web
import Core

/// Who owns a record (issue 24 part 3): customers, companies and the pipeline CRM's entries
/// have an owner, a member of the workspace, by their user id. The one home of the rule for
/// every record that has one: what a body may set (`read`, a member of this workspace or
/// null) and what a list may filter on (`filter`: an id, `me` or `none`).
///
/// `owner_id=me` names the signed-in member. An API key acts for the workspace, not as a
/// member, so with a key `me` names nobody: 422 on the filter's field, never an empty list
/// that looks like an answer.
package enum Owners {
    /// The owner a body sets under `key`: nil when absent, `.some(nil)` for null (no owner),
    /// else a member's id. Problems are added to `input` (naming `key`), not thrown, so that
    /// they come in one 422 with the body's others.
    package static func read(_ input: inout Input, _ db: Connection, _ tenant: Tenant, key: String = "owner_id") throws -> Int?? {
        guard input.has(key) else { return nil }
        if input.object[key]?.isNull == true { return .some(nil) }
        guard let id = input.int(key, required: false, min: 1) else { return nil }
        guard try AccountStore.isMember(db, tenant, userID: id) else {
            input.fail(key, "The owner must be a member of this workspace.")
            return nil
        }
        return .some(id)
    }

    /// A list's owner filter.
    package enum Filter: Equatable {
        case member(Int)
        /// No owner.
        case none
    }

    /// The filter `raw` (`owner_id=` of a list: a user id, `me` for the signed-in member, or
    /// `none`/`null` for records without an owner). nil when `raw` is empty; problems go to
    /// `errors`, naming `field`. An id that is no member simply matches nothing.
    package static func filter(_ raw: String?, principal: Principal?, field: String = "owner_id",
                               errors: inout ValidationErrors) -> Filter? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        switch raw.lowercased() {
        case "me":
            guard let user = principal?.userID else {
                errors.add(field, "\(field)=me names the signed-in member; an API key is not a member. Give the member's id.")
                return nil
            }
            return .member(user)
        case "none", "null":
            return Filter.none
        default:
            guard let id = Int(raw), id > 0 else {
                errors.add(field, "The \(field.replacingOccurrences(of: "_", with: " ")) must be a member's id, me or none.")
                return nil
            }
            return .member(id)
        }
    }

    /// The SQL condition of `filter` on `column` (`c.owner_id`, `e.assigned_to_user_id`).
    package static func condition(_ filter: Filter, column: SQL) -> SQL {
        switch filter {
        case .member(let id): column + " = \(id)"
        case .none: column + " IS NULL"
        }
    }
}
