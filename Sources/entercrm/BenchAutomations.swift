import ArgumentParser
import EnterCRM
import Foundation
import MariaDB

struct BenchAutomations: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-automations",
        abstract: "Enrol N customers of a scratch workspace in a three-step flow and time the engine advancing them.")

    @Option(help: "Customers to enrol.") var enrolments = 100_000
    @Option(help: "Engine threads.") var threads = 2
    @Option(help: "Enrolments claimed per batch.") var batch = 200

    func run() throws {
        let config = try loadConfiguration()
        Connection.initializeLibrary()
        let figures = try AutomationBench.run(config.database, enrolments: enrolments, threads: threads, batch: batch) { print($0) }
        print(String(format: "automations: %d enrolments through a three-step flow in %.2f s: %.0f enrolments/s, %.0f steps/s (target: 2,000 enrolments/s)",
                     figures.enrolments, figures.seconds, figures.enrolmentsPerSecond, figures.stepsPerSecond))
    }
}
