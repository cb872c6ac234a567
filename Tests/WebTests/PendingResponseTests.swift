import Foundation
import Testing
@testable import Web

/// Answers given later by another thread (`Response.pending`): whichever comes first, the
/// answer or the server's wait for it, the answer is sent once, with the placeholder's headers.
@Suite struct PendingResponseTests {
    final class Box: @unchecked Sendable { // written under `lock` only
        let lock = NSLock()
        var sent: [Response] = []
        var observed: [Int] = []
    }

    @Test func answerGivenBeforeTheServerWaitsIsTakenAtOnce() {
        let pending = PendingResponse()
        pending.fulfil(.json(["ok": true], status: 201))
        let box = Box()
        let taken = pending.takeOrDeliver { box.sent.append($0) }
        #expect(taken?.status == 201)
        #expect(box.sent.isEmpty, "nothing delivered twice")
    }

    @Test func answerGivenLaterIsDeliveredOnTheFulfillingThread() throws {
        let pending = PendingResponse()
        let box = Box()
        pending.observe { r in box.lock.lock(); box.observed.append(r.status); box.lock.unlock() }
        #expect(pending.takeOrDeliver { r in box.lock.lock(); box.sent.append(r); box.lock.unlock() } == nil)
        let thread = Thread { pending.fulfil(Response(status: 503)) }
        thread.start()
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            box.lock.lock(); let done = box.sent.count; box.lock.unlock()
            if done > 0 { break }
            usleep(1_000)
        }
        box.lock.lock(); defer { box.lock.unlock() }
        #expect(box.sent.map(\.status) == [503])
        #expect(box.observed == [503], "observers run before the answer is sent")
    }

    @Test func settledWaitsAndAddsThePlaceholdersHeaders() {
        let pending = PendingResponse()
        var placeholder = Response.pending(pending)
        placeholder.headers.append(("Access-Control-Allow-Origin", "*"))
        let thread = Thread {
            usleep(20_000)
            pending.fulfil(.json(["recorded": true]))
        }
        thread.start()
        let final = placeholder.settled()
        #expect(final.status == 200)
        #expect(final.pending == nil)
        #expect(final.header("Access-Control-Allow-Origin") == "*")
        #expect(final.header("Content-Type") == "application/json; charset=utf-8")
    }

    @Test func anObserverAddedAfterTheAnswerRunsAtOnce() {
        let pending = PendingResponse()
        pending.fulfil(Response(status: 204))
        let box = Box()
        pending.observe { box.observed.append($0.status) }
        #expect(box.observed == [204])
    }
}
