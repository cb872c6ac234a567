import Glibc
import Platform

/// Log lines on standard error, each written with one `write(2)` so that lines from
/// several threads and processes never interleave.
public enum Log {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var name: String { ["debug", "info", "warning", "error"][rawValue] }
    }

    nonisolated(unsafe) private static var minimum: Level = .info
    // Set once at start-up, before any thread is made; only read afterwards.

    public static func configure(level: Level) { minimum = level }

    public static func debug(_ message: @autoclosure () -> String) { write(.debug, message()) }
    public static func info(_ message: @autoclosure () -> String) { write(.info, message()) }
    public static func warning(_ message: @autoclosure () -> String) { write(.warning, message()) }
    public static func error(_ message: @autoclosure () -> String) { write(.error, message()) }

    public static func write(_ level: Level, _ message: String) {
        guard level >= minimum else { return }
        raw("\(timestamp()) \(level.name) [\(getpid())] \(message)\n")
    }

    /// Writes a finished line as it is (the access log).
    public static func raw(_ line: String) {
        var line = line
        line.withUTF8 { buffer in
            _ = Glibc.write(2, buffer.baseAddress, buffer.count)
        }
    }

    /// The current UTC time as RFC 3339 with milliseconds ("2026-03-16T09:41:00.123Z").
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UTC.rfc3339(seconds: now.tv_sec, fraction: now.tv_nsec / 1_000_000, digits: 3)
    }
}

/// One thread's access-log lines, written together: one `write(2)` when the buffer fills
/// and whenever the thread runs out of work (see `FastCGIResponder.willWait`), rather than
/// one per request. Lines are whole, so they never interleave with other threads'. What a
/// killed process had buffered is lost (nginx's access log has every request too).
public final class LogBuffer {
    private var bytes: [UInt8] = []
    private let limit: Int

    public init(limit: Int = 16 << 10) {
        self.limit = limit
        bytes.reserveCapacity(limit + 512)
    }

    /// Appends a finished line.
    public func append(_ line: String) {
        bytes.append(contentsOf: line.utf8)
        if bytes.count >= limit { flush() }
    }

    public func flush() {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
