import ArgumentParser
import EnterCRM
import FastCGI
import Foundation
import MariaDB
import Web
import Core
import Jobs
import Segments

@main
struct EnterCRMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "entercrm",
        abstract: "EnterCRM: the FastCGI worker pool, the job runner, migrations and demo data.",
        version: Configuration.version,
        subcommands: [Serve.self, Jobs.self, Migrate.self, Seed.self, BenchSegments.self, BenchAutomations.self, BenchAnalytics.self]
    )
}

/// Reads the configuration, or exits with a message naming what is missing.
func loadConfiguration() throws -> Configuration {
    do {
        return try Configuration.fromEnvironment()
    } catch {
        throw ValidationError("configuration: \(error)")
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the FastCGI worker pool (master and workers).")

    @Flag(help: .hidden) var worker = false

    func run() throws {
        let config = try loadConfiguration()
        guard config.jwtSecret.count >= 32 else {
            throw ValidationError("ENTERCRM_JWT_SECRET must be set (at least 32 characters) to serve")
        }
        if worker {
            Connection.initializeLibrary()
            let server = HTTPServer(app: Application(configuration: config), limits: ServerLimits(
                maxBodyBytes: config.maxBodyBytes,
                spool: BodySpool(paths: ["/v1/imports"], maxBytes: config.maxImportBytes, directory: config.importDirectory + "/incoming")))
            try Worker(listenFD: ProcessPool.listenFD, threads: config.threads, responder: server, readyFD: ProcessPool.readyFD).run()
            return
        }
        let listener: Listener
        if let address = config.listenAddress {
            let parts = address.split(separator: ":")
            guard parts.count == 2, let port = UInt16(parts[1]) else { throw ValidationError("ENTERCRM_LISTEN must be host:port") }
            listener = try Listener.tcp(host: String(parts[0]), port: port)
            Log.info("listening on tcp \(address)")
        } else {
            listener = try Listener.unix(path: config.socketPath)
            Log.info("listening on unix:\(config.socketPath)")
        }
        let pool = ProcessPool(
            configuration: .init(workers: config.workers, executable: executablePath(),
                                 arguments: ["serve", "--worker"], pidFile: config.pidFile),
            listener: listener)
        try pool.run()
    }
}

/// This program's absolute path, so that workers run the same binary.
func executablePath() -> String {
    let argv0 = CommandLine.arguments[0]
    if argv0.contains("/"), let resolved = realpath(argv0, nil) {
        defer { free(resolved) }
        return String(cString: resolved)
    }
    return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? argv0
}

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run background jobs until SIGTERM, under a supervising master that restarts the runner if it dies.")

    @Option(help: "Threads claiming jobs (default ENTERCRM_JOB_CONCURRENCY or 2).") var concurrency: Int?
    @Flag(help: "Run the job runner in this process, without a supervising master (a process manager restarts it).")
    var noSupervisor = false
    @Flag(help: .hidden) var runner = false

    func run() throws {
        let config = try loadConfiguration()
        let pidFile = ProcessInfo.processInfo.environment["ENTERCRM_JOBS_PID_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if !runner && !noSupervisor {
            // The master: the runner is a child process, started again if it dies (kill -9,
            // a crash), drained on SIGTERM. The pid file names the master.
            var arguments = ["jobs", "--runner"]
            if let concurrency { arguments += ["--concurrency", String(concurrency)] }
            let supervisor = Supervisor(configuration: .init(
                name: "job runner", executable: executablePath(), arguments: arguments, pidFile: pidFile))
            supervisor.run()
            return
        }
        if runner, !Supervisor.bindToParent() {
            Log.warning("jobs: the supervising master is gone; not starting")
            return
        }
        Connection.initializeLibrary()
        var signals = sigset_t()
        sigemptyset(&signals)
        for s in [SIGTERM, SIGINT, SIGQUIT] { sigaddset(&signals, s) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let stop = AtomicFlag()
        let waitSet = signals
        let signalThread = try JoinableThread(stackSize: 256 << 10) {
            var set = waitSet
            var received: Int32 = 0
            sigwait(&set, &received)
            Log.info("jobs: signal \(received), finishing current jobs")
            stop.set()
        }
        if !runner, let pidFile {
            try? "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        }
        let jobRunner = JobRunner(registry: JobKinds.registry(), database: config.database)
        let threads = concurrency ?? config.jobConcurrency
        Log.info("jobs: runner \(jobRunner.runnerID) started with \(threads) threads")
        try jobRunner.run(concurrency: threads, stop: stop)
        signalThread.join()
        Log.info("jobs: stopped")
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the schema migrations that have not been applied.")

    func run() throws {
        var config = try loadConfiguration()
        Connection.initializeLibrary()
        config.database.multiStatements = true
        config.database.statementTimeout = 600
        let db = Connection(configuration: config.database)
        let applied = try Migrator(directory: config.schemaDirectory).migrate(db) { print("migrate: \($0)") }
        print(applied.isEmpty ? "migrate: nothing to apply" : "migrate: applied \(applied.count)")
    }
}

struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the demo workspace (idempotent).")

    func run() throws {
        let config = try loadConfiguration()
        Connection.initializeLibrary()
        let db = Connection(configuration: config.database)
        try Seeder.run(db, configuration: config) { print($0) }
    }
}

struct BenchSegments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-segments",
        abstract: "make bench: time re-evaluating single customers against every segment of a workspace.")

    @Option(help: "The workspace id.") var tenant: Int
    @Option(help: "Customers to evaluate.") var samples: Int = 1000
    @Flag(help: "Evaluate as after an event: only the segments tracking can change.") var afterEvent = false

    func run() throws {
        let config = try loadConfiguration()
        Connection.initializeLibrary()
        let db = Connection(configuration: config.database)
        let (times, segments) = try SegmentBench.evaluationTimes(db, tenantID: tenant, samples: samples, afterEvent: afterEvent)
        let sorted = times.sorted()
        func pct(_ p: Double) -> String {
            sorted.isEmpty ? "0" : String(format: "%.3f", sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
        }
        print("BENCH evaluate\(afterEvent ? "-after-event" : "") samples=\(sorted.count) segments=\(segments) p50=\(pct(0.5)) p95=\(pct(0.95)) p99=\(pct(0.99)) max=\(pct(1))")
    }
}
