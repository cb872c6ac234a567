import Foundation
import MariaDB
import Synchronization
import Web
import Core

/// Request counters and latency histograms per route, shared by every worker process of a
/// pool, and `GET /metrics` in the Prometheus text format.
///
/// The pool is several processes (each exec'd by the master), so the counters live in a
/// small file mapped `MAP_SHARED` by every worker (`ENTERCRM_METRICS_FILE`, by default
/// next to the pool's pid file): one 64-bit word per counter, added to atomically, no lock.
/// Whichever worker answers a scrape reads the sums of the whole pool, so one scrape per
/// pool (per host) is the whole picture. A worker that dies loses nothing; a restart of the
/// pool keeps counting (Prometheus counters only need to be monotonic, and `rate()` copes
/// with resets anyway). The layout is fixed by the route table: a binary with other routes
/// finds another fingerprint in the file and starts it from zero.
///
/// Without a file (no pid file and no `ENTERCRM_METRICS_FILE`), counters are per process.
public final class Metrics: @unchecked Sendable {
    // @unchecked: the mapped memory is only accessed through Atomic operations; the other
    // stored properties are immutable after init.

    /// Latency bucket bounds, seconds.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    static let maxSlots = 512
    /// Per route: requests by status class (1xx-5xx: 5), histogram buckets (+Inf last), sum in µs.
    static let wordsPerSlot = 5 + buckets.count + 1 + 1
    static let headerWords = 2

    /// "METHOD /path" per slot; slot 0 counts requests no route matched.
    let routes: [String]
    private let words: UnsafeMutablePointer<Atomic<UInt64>>
    private let wordCount: Int
    let shared: Bool
    let token: String?

    /// The metrics of this process, set once at start-up (before any request is served).
    package nonisolated(unsafe) static var current: Metrics?

    package init(routes: [String], file: String?, token: String?) {
        self.routes = ["unmatched"] + routes.prefix(Self.maxSlots - 1)
        self.token = token
        wordCount = Self.headerWords + Self.maxSlots * Self.wordsPerSlot
        let bytes = wordCount * 8
        var mapped: UnsafeMutableRawPointer?
        if let file, !file.isEmpty {
            let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            if fd >= 0 {
                if ftruncate(fd, off_t(bytes)) == 0 {
                    let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                    if p != MAP_FAILED { mapped = p }
                }
                close(fd)
            }
        }
        shared = mapped != nil
        let raw = mapped ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 8)
        if mapped == nil { raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes) }
        words = raw.bindMemory(to: Atomic<UInt64>.self, capacity: wordCount)

        // Word 0: fingerprint of the route table. Another table: start from zero.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in self.routes.joined(separator: "\n").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        if words[0].load(ordering: .acquiring) != hash {
            for i in 1..<wordCount { words[i].store(0, ordering: .relaxed) }
            words[0].store(hash, ordering: .releasing)
        }
    }

    private func word(_ slot: Int, _ offset: Int) -> Int { Self.headerWords + slot * Self.wordsPerSlot + offset }

    /// Counts one answered request.
    package func record(slot: Int, status: Int, seconds: Double) {
        let slot = (0..<routes.count).contains(slot) ? slot : 0
        let cls = min(max(status / 100, 1), 5) - 1
        words[word(slot, cls)].wrappingAdd(1, ordering: .relaxed)
        let bucket = Self.buckets.firstIndex(where: { seconds <= $0 }) ?? Self.buckets.count
        words[word(slot, 5 + bucket)].wrappingAdd(1, ordering: .relaxed)
        words[word(slot, 5 + Self.buckets.count + 1)].wrappingAdd(UInt64(max(0, seconds * 1e6)), ordering: .relaxed)
    }

    // MARK: Exposition

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    func render(db: Connection) -> String {
        var out = ""
        let pool = Self.escape(ProcessInfo.processInfo.environment["ENTERCRM_LISTEN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ProcessInfo.processInfo.environment["ENTERCRM_SOCKET"] ?? "pool")
        let host = Self.escape(ProcessInfo.processInfo.hostName)
        out += "# HELP entercrm_info The pool that answered this scrape; counters are summed over its workers.\n"
        out += "# TYPE entercrm_info gauge\n"
        out += "entercrm_info{version=\"\(Configuration.version)\",host=\"\(host)\",pool=\"\(pool)\",shared=\"\(shared)\"} 1\n"
        out += "# HELP entercrm_http_requests_total Requests answered, by route and status class.\n"
        out += "# TYPE entercrm_http_requests_total counter\n"
        var histogram = "# HELP entercrm_http_request_duration_seconds Time from the request to the response, by route.\n"
        histogram += "# TYPE entercrm_http_request_duration_seconds histogram\n"
        for (slot, name) in routes.enumerated() {
            let parts = name.split(separator: " ", maxSplits: 1)
            let labels = parts.count == 2
                ? "method=\"\(Self.escape(String(parts[0])))\",route=\"\(Self.escape(String(parts[1])))\""
                : "method=\"\",route=\"\(Self.escape(name))\""
            var total: UInt64 = 0
            for cls in 0..<5 {
                let n = words[word(slot, cls)].load(ordering: .relaxed)
                total += n
                if n > 0 { out += "entercrm_http_requests_total{\(labels),status=\"\(cls + 1)xx\"} \(n)\n" }
            }
            guard total > 0 else { continue }
            var cumulative: UInt64 = 0
            for (i, bound) in Self.buckets.enumerated() {
                cumulative += words[word(slot, 5 + i)].load(ordering: .relaxed)
                histogram += "entercrm_http_request_duration_seconds_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
            }
            cumulative += words[word(slot, 5 + Self.buckets.count)].load(ordering: .relaxed)
            histogram += "entercrm_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(cumulative)\n"
            let micros = words[word(slot, 5 + Self.buckets.count + 1)].load(ordering: .relaxed)
            histogram += "entercrm_http_request_duration_seconds_sum{\(labels)} \(Double(micros) / 1e6)\n"
            histogram += "entercrm_http_request_duration_seconds_count{\(labels)} \(cumulative)\n"
        }
        out += histogram

        // The queue, read from the database (the same for every pool: one cluster-wide view).
        out += "# HELP entercrm_database_up 1 when this pool's database connection answers.\n# TYPE entercrm_database_up gauge\n"
        do {
            let depth = try db.query("""
                SELECT kind, status, COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running') GROUP BY kind, status
                """)
            let lag = try db.query("""
                SELECT kind, TIMESTAMPDIFF(MICROSECOND, MIN(run_at), UTC_TIMESTAMP(6)) AS lag_us FROM jobs
                WHERE status = 'queued' AND run_at <= UTC_TIMESTAMP(6) GROUP BY kind
                """)
            let failed = try db.queryOne("SELECT COUNT(*) AS n FROM jobs WHERE status = 'failed'")?.int("n") ?? 0
            out += "entercrm_database_up 1\n"
            out += "# HELP entercrm_jobs Jobs in the queue by kind and status (queued includes those not yet due).\n# TYPE entercrm_jobs gauge\n"
            for row in depth {
                out += "entercrm_jobs{kind=\"\(Self.escape(try row.string("kind")))\",status=\"\(try row.string("status"))\"} \(try row.int("n"))\n"
            }
            out += "# HELP entercrm_jobs_failed Jobs that failed for good (kept a week).\n# TYPE entercrm_jobs_failed gauge\n"
            out += "entercrm_jobs_failed \(failed)\n"
            out += "# HELP entercrm_job_lag_seconds How long the oldest due job of each kind has waited to be claimed.\n# TYPE entercrm_job_lag_seconds gauge\n"
            for row in lag {
                let micros = row.optionalInt("lag_us") ?? 0
                out += "entercrm_job_lag_seconds{kind=\"\(Self.escape(try row.string("kind")))\"} \(Double(max(0, micros)) / 1e6)\n"
            }
        } catch {
            out += "entercrm_database_up 0\n"
        }
        return out
    }

    /// `GET /metrics`: with `ENTERCRM_METRICS_TOKEN` set, only with `Authorization: Bearer
    /// <token>`; without one, only from the loopback address. Anything else answers 404, so
    /// the endpoint cannot be found from outside.
    @Sendable package static func endpoint(_ c: Context) throws -> Response {
        guard let metrics = current else { throw HTTPError.notFound("The route /metrics could not be found.") }
        let allowed: Bool
        if let token = metrics.token, !token.isEmpty {
            let given = c.request.header("Authorization") ?? ""
            allowed = constantTimeEqual(Array(given.utf8), Array("Bearer \(token)".utf8))
        } else {
            allowed = ["127.0.0.1", "::1"].contains(c.request.remoteAddress)
        }
        guard allowed else { throw HTTPError.notFound("The route /metrics could not be found.") }
        return Response(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                                               ("Cache-Control", "no-store")],
                        body: Array(metrics.render(db: c.db).utf8))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// The file next to the pid file unless `ENTERCRM_METRICS_FILE` names one.
    package static func defaultFile(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let f = env["ENTERCRM_METRICS_FILE"], !f.isEmpty { return f }
        if let pid = env["ENTERCRM_PID_FILE"], !pid.isEmpty { return pid + ".metrics" }
        return nil
    }
}
