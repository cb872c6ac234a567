import Foundation
import Platform
import Synchronization
import Core

/// API keys recently looked up, so that a server sending thousands of events a second does
/// not pay a database round trip per request for its key.
///
/// An entry is the `Principal` a key's SHA-256 resolved to, kept at most `lifetime` seconds.
/// Whatever can change what a key resolves to (revoking a key, renaming the workspace)
/// calls `invalidate()` after its commit. That bumps an epoch word shared by every worker
/// of the pool on this host (a small file mapped `MAP_SHARED` next to the pool's pid file,
/// as `Metrics` does), and every entry made under an older epoch is dropped: on one host a
/// revoked key is refused by every worker at once. Pools on other hosts refuse it within
/// `lifetime` seconds, the stated bound. Without the file (tests, a lone process) the epoch
/// is this process's own.
///
/// Sessions (bearer tokens) are not cached: their check is one indexed query already and
/// logins, logouts and membership changes must take effect at once.
public final class CredentialCache: @unchecked Sendable {
    // @unchecked: `epoch` points at memory only accessed through Atomic operations, mapped
    // for the life of the process; `entries` is behind a Lock.
    private let entries = Lock<[String: Entry]>([:])
    private let epoch: UnsafeMutablePointer<Atomic<UInt64>>
    let shared: Bool

    struct Entry {
        let principal: Principal
        let expires: UInt64
        let epoch: UInt64
    }

    /// Seconds an entry is used before the key is looked up again.
    static let lifetime = 2.0
    static let maxEntries = 10_000

    public static let shared = CredentialCache(file: defaultFile())

    init(file: String?) {
        var mapped: UnsafeMutableRawPointer?
        if let file, !file.isEmpty {
            let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            if fd >= 0 {
                var st = stat()
                if fstat(fd, &st) == 0, st.st_size >= 8 || ftruncate(fd, 8) == 0 {
                    let p = mmap(nil, 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                    if p != MAP_FAILED { mapped = p }
                }
                close(fd)
            }
        }
        shared = mapped != nil
        let raw = mapped ?? {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            p.initializeMemory(as: UInt8.self, repeating: 0, count: 8)
            return p
        }()
        epoch = raw.bindMemory(to: Atomic<UInt64>.self, capacity: 1)
    }

    static func defaultFile(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let pid = env["ENTERCRM_PID_FILE"], !pid.isEmpty { return pid + ".credentials" }
        return nil
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The epoch to record with an entry: read BEFORE the database lookup, so that an
    /// invalidation committed meanwhile makes the entry stale at once.
    func currentEpoch() -> UInt64 { epoch[0].load(ordering: .acquiring) }

    func principal(forKeyHash hash: String) -> Principal? {
        let current = currentEpoch(), now = Self.now()
        return entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard entry.epoch == current, entry.expires > now else {
                entries.removeValue(forKey: hash)
                return nil
            }
            return entry.principal
        }
    }

    func store(_ principal: Principal, forKeyHash hash: String, epoch: UInt64) {
        let expires = Self.now() + UInt64(Self.lifetime * 1e9)
        entries.withLock { entries in
            if entries.count >= Self.maxEntries { entries.removeAll() }
            entries[hash] = Entry(principal: principal, expires: expires, epoch: epoch)
        }
    }

    /// Drops every entry of every worker on this host; call after the change has committed.
    public func invalidate() {
        epoch[0].wrappingAdd(1, ordering: .releasing)
        entries.withLock { $0.removeAll() }
    }
}
