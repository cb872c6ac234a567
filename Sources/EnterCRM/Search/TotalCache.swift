import Foundation

/// Large list totals, counted once and kept for `lifetime` seconds per process, so that
/// paging through a filtered list of a million does not count it on every page. Only totals
/// past a list's exact limit are stored: a small total is always counted afresh.
final class TotalCache: @unchecked Sendable {
    // @unchecked: `entries` is only touched while holding `lock`.
    private let lock = NSLock()
    private var entries: [String: (total: Int, expires: Double)] = [:]
    static let shared = TotalCache()
    static let lifetime = 30.0

    func cached(_ key: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[key], entry.expires > Date().timeIntervalSince1970 else { return nil }
        return entry.total
    }

    func store(_ key: String, _ total: Int) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count > 5_000 { entries.removeAll() }
        entries[key] = (total, Date().timeIntervalSince1970 + Self.lifetime)
    }
}
