/// The one home of LIKE escaping: every pattern built from user text goes through here.
///
/// MariaDB's LIKE (with the default escape character, `\`, which the session's sql_mode
/// keeps: it does not set NO_BACKSLASH_ESCAPES) treats `%` and `_` as wildcards. Text a
/// user typed is escaped so that it matches only itself, then the wildcards the caller
/// means are added. The pattern is bound like any other value:
///
///     "name LIKE \(SQL.likePattern(startingWith: search))"
extension SQL {
    /// `text` with `\`, `%` and `_` escaped, to match only itself under LIKE.
    public static func likeEscaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// The values that begin with `text`: `text%`.
    public static func likePattern(startingWith text: String) -> String {
        likeEscaped(text) + "%"
    }

    /// The values that contain `text` anywhere: `%text%`.
    public static func likePattern(containing text: String) -> String {
        "%" + likeEscaped(text) + "%"
    }

    /// The values with a later word (after a space) that begins with `text`: `% text%`.
    public static func likePattern(wordStartingWith text: String) -> String {
        "% " + likeEscaped(text) + "%"
    }
}
