import ArgumentParser
import EnterCRM
import Foundation
import MariaDB
import Automations

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
        print(String(format: "automations: checked: %d of %d enrolments at the end of the flow, %d step lines (4 each, trigger included), %d customers tagged and set, %d steps twice",
                     figures.enrolments, figures.enrolled, figures.stepLines, figures.customersChanged, figures.duplicateSteps))
        let verdict = figures.complete && figures.enrolmentsPerSecond >= 2000 ? "PASS" : "MISS"
        print(String(format: "automations: %d customers enrolled in a three-step flow, advanced in %.2f s: %.0f enrolments/s, %.0f steps/s (target: ≥ 2,000 enrolments/s): ",
                     figures.enrolled, figures.seconds, figures.enrolmentsPerSecond, figures.stepsPerSecond)
              + (figures.complete ? verdict : "MISS (not every enrolment advanced once)"))
    }
}
