import MariaDB
import Web
import Core

/// What saved views and bulk actions need of the entry list: the filters it reads, and the
/// whole of what they select as one condition over `crm_entries e` (no page, no plan).
extension EntryQuery {
    /// The filters it reads, besides `values[<field key>]…` (saved views and bulk actions
    /// accept these only).
    package static let filterKeys = ["pipeline_id", "stage_id", "reference_type", "reference_id", "assigned_to_user_id",
                                     "assigned_to_team_id", "owner_id", "q", "tag"]
    package static let sortable = ["updated_at", "created_at", "title"]

    /// Every condition of the query, the field filters and search words probed per entry.
    package var matching: SQL {
        var all = conditions + otherConditions
        all += valueFilters.map(Self.probe)
        all += searchWords.map { Self.wordProbe($0, entry: "e.id") }
        return SQL.join(all, separator: " AND ")
    }
}
