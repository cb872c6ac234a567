@testable import MariaDB

extension Connection {
    /// Runs a statement whose table name the test generated itself (`%t`), with `?` binds.
    /// Test-only: production code writes SQL as literals.
    @discardableResult
    public func execute(table: String, _ template: String, _ values: [any SQLBindable]) throws -> ExecuteResult {
        try runUnsafe(text: template.replacingOccurrences(of: "%t", with: table), binds: values.map(\.dbValue)).result
    }

    public func query(table: String, _ template: String, _ values: [any SQLBindable]) throws -> [Row] {
        try runUnsafe(text: template.replacingOccurrences(of: "%t", with: table), binds: values.map(\.dbValue)).rows
    }

    /// DDL on names the test generated.
    public func executeScriptForTests(_ text: String) throws {
        try executeScript(unsafeSQL: text)
    }
}
