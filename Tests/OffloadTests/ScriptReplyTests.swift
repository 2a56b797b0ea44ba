import OffloadRedis
import Testing

@testable import Offload

/// Each script's reply as its Swift type reads it: the fields a caller relies on, and the
/// replies its header does not allow, which must be errors rather than guesses.
@Suite struct ScriptReplyTests {
    private let queue = OffloadKeys(prefix: "t").queue("q")

    private func text(_ value: String) -> RESPValue { .bulkString(Array(value.utf8)) }

    private func enqueueCall(jobs: Int) -> EnqueueScript {
        var call = EnqueueScript(queue: queue, now: 1_000, settings: BrokerSettings())
        for index in 0..<jobs {
            call.add(JobSubmission(type: "t", payload: "{}", queue: "q"), id: "q.\(index)")
        }
        return call
    }

    @Test func enqueueNamesEachJobsOutcomeAndWhetherTheQueueIsNew() throws {
        let reply = try enqueueCall(jobs: 4).reply(
            from: .array([
                text("created"), text("q.0"), text("pending"),
                text("existing"), text("q.9"), text("scheduled"),
                text("full"), .integer(10), .integer(10),
                text("reused"), text("q.8"), text(""),
                .integer(1),
            ]))
        #expect(
            reply.jobs == [
                .submitted(SubmittedJob(id: "q.0", state: .pending, created: true)),
                .submitted(SubmittedJob(id: "q.9", state: .scheduled, created: false)),
                .full(depth: 10, maxDepth: 10),
                .reused(job: "q.8"),
            ])
        #expect(reply.queueIsNew)
        let known = try enqueueCall(jobs: 1).reply(from: .array([text("created"), text("q.0"), text("pending"), .integer(0)]))
        #expect(!known.queueIsNew)
    }

    @Test func enqueueRefusesAReplyThatDoesNotMatchItsJobs() {
        let oneJob = RESPValue.array([text("created"), text("q.0"), text("pending"), .integer(0)])
        #expect(throws: ScriptReplyError.self) { try enqueueCall(jobs: 2).reply(from: oneJob) }
        #expect(throws: ScriptReplyError.self) {
            try enqueueCall(jobs: 1).reply(from: .array([text("odd"), text("q.0"), text("pending"), .integer(0)]))
        }
        #expect(throws: ScriptReplyError.self) {
            try enqueueCall(jobs: 1).reply(from: .array([text("created"), .null, text("pending"), .integer(0)]))
        }
    }

    @Test func anErrorInAPipelineSaysWhichScriptFailed() {
        do {
            _ = try enqueueCall(jobs: 1).reply(from: .error("NOPERM no permissions"))
            Issue.record("an error reply was decoded")
        } catch {
            #expect(error.description == "enqueue failed: NOPERM no permissions")
        }
    }

    @Test func enqueueKeysHoldEachJobAndItsIdempotencyAndUniquenessKeys() {
        var call = EnqueueScript(queue: queue, now: 1_000, settings: BrokerSettings())
        call.add(JobSubmission(type: "t", payload: "{}", queue: "q"), id: "q.1")
        var keyed = JobSubmission(type: "t", payload: "{}", queue: "q")
        keyed.idempotencyKey = "k"
        call.add(keyed, id: "q.2")
        keyed.idempotencyKey = nil
        keyed.unique = UniqueJob(key: "u")
        call.add(keyed, id: "q.3")
        #expect(Array(call.keys.dropFirst(5)) == [
            queue.job("q.1"), queue.job("q.1"), queue.job("q.1"),
            queue.job("q.2"), queue.idempotency("k"), queue.job("q.2"),
            queue.job("q.3"), queue.job("q.3"), queue.unique("u"),
        ])
        #expect(call.jobCount == 3)
    }

    private func claimCall() -> ClaimScript {
        ClaimScript(queue: queue, now: 1_000, limit: 10, token: "tok", workerID: "w", settings: BrokerSettings())
    }

    @Test func claimReadsItsJobsAndWhenToLookAgain() throws {
        let result = try claimCall().reply(
            from: .array([
                .integer(-1),
                text("q.1"), text("resize"), text("{\"a\":1}"), .integer(2), text("5"), text("0"), .integer(4_000),
                text("q.2"), text("thumbnail"), text("{}"), .integer(1), text("1"), text("30"), .integer(30_000),
            ]))
        #expect(result.jobs.map(\.id) == ["q.1", "q.2"])
        let first = result.jobs[0]
        #expect(first.queue == "q" && first.type == "resize" && first.payload == "{\"a\":1}" && first.token == "tok")
        #expect(first.attempt == 2 && first.maxAttempts == 5 && first.timeoutSeconds == nil && first.leaseMilliseconds == 4_000)
        #expect(result.jobs[1].timeoutSeconds == 30)
        #expect(result.nextDueMilliseconds == nil && !result.paused)

        let paused = try claimCall().reply(from: .array([.integer(-2)]))
        #expect(paused.paused && paused.jobs.isEmpty && paused.nextDueMilliseconds == nil)
        let later = try claimCall().reply(from: .array([.integer(5_000)]))
        #expect(later.nextDueMilliseconds == 5_000 && !later.paused)
        #expect(throws: ScriptReplyError.self) { try claimCall().reply(from: .array([.integer(-1), text("q.1")])) }
    }

    @Test func completeHasOneFlagPerResult() throws {
        var call = CompleteScript(queue: queue, now: 1_000, settings: BrokerSettings())
        let job = ClaimedJob(
            id: "q.1", queue: "q", type: "t", payload: "{}", attempt: 1, maxAttempts: 1, timeoutSeconds: nil,
            leaseMilliseconds: 1_000, token: "tok")
        call.add(job, resultJSON: "1")
        call.add(job, resultJSON: "2")
        #expect(try call.reply(from: .array([.integer(1), .integer(0)])).completed == [true, false])
        #expect(throws: ScriptReplyError.self) { try call.reply(from: .array([.integer(1)])) }
    }

    @Test func queueStateAndRemoveQueueCountPerState() throws {
        let counts: [RESPValue] = [.integer(1), .integer(2), .integer(3), .integer(4), .integer(5), .integer(6)]
        let state = try QueueStateScript(queue: queue).reply(from: .array(counts + [text("q.7")]))
        #expect(state.counts.pending == 1 && state.counts.scheduled == 2 && state.counts.active == 3)
        #expect(state.counts.completed == 4 && state.counts.cancelled == 5 && state.counts.dead == 6)
        #expect(state.oldestPending == "q.7")
        #expect(try QueueStateScript(queue: queue).reply(from: .array(counts + [.null])).oldestPending == nil)

        #expect(try RemoveQueueScript(queue: queue).reply(from: .array([])) == .removed)
        guard case .notEmpty(let left) = try RemoveQueueScript(queue: queue).reply(from: .array(counts)) else {
            Issue.record("a queue with jobs left was removed")
            return
        }
        #expect(left == state.counts)
    }

    @Test func cancelAndRetryNameWhatHappened() throws {
        let cancel = CancelScript(id: "q.1", queue: queue, now: 1_000, settings: BrokerSettings())
        #expect(try cancel.reply(from: text("now-cancelled")) == .cancelled)
        #expect(try cancel.reply(from: text("cancelling")) == .cancelling)
        #expect(try cancel.reply(from: text("missing")) == .missing)
        #expect(try cancel.reply(from: text("completed")) == .finished(state: "completed"))
        #expect(throws: ScriptReplyError.self) { try cancel.reply(from: .null) }

        let retry = RetryScript(id: "q.1", queue: queue, settings: BrokerSettings())
        #expect(try retry.reply(from: text("retried")) == .retried)
        #expect(try retry.reply(from: text("missing")) == .missing)
        #expect(try retry.reply(from: text("active")) == .notRetryable(state: "active"))
    }

    @Test func extendLeasesSplitsLostFromCancelled() throws {
        let call = ExtendLeasesScript(queue: queue, now: 1_000, jobs: [])
        let reply = try call.reply(from: .array([.array([text("q.1")]), .array([text("q.2"), text("q.3")])]))
        #expect(reply.lost == ["q.1"] && reply.cancelRequested == ["q.2", "q.3"])
        #expect(throws: ScriptReplyError.self) { try call.reply(from: .array([.array([])])) }
    }
}

/// The shared Lua of `Scripts/Library` reaches each script as it needs: what a script
/// calls is defined before its first use, and no piece rides along unused.
@Suite struct ScriptLibraryTests {
    /// The top-level names each piece defines (`local function name`, `local name =`).
    private static let definitions: [(piece: LuaLibrary, names: [String])] = LuaLibrary.allCases.map { piece in
        let names = piece.source.split(separator: "\n").compactMap { line -> String? in
            guard let match = line.prefixMatch(of: /local (?:function )?([A-Za-z_][A-Za-z0-9_]*)/) else { return nil }
            return String(match.1)
        }
        return (piece, names)
    }

    /// The Lua without its comments (no script has `--` inside a string).
    private static func code(_ source: String) -> String {
        source.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.firstRange(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line) }
            .joined(separator: "\n")
    }

    private static func mentions(_ name: String, in code: String) throws -> Bool {
        code.contains(try Regex("\\b\(name)\\b"))
    }

    @Test func everyScriptIsListedOnce() {
        let names = QueueScripts.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count == 15)
    }

    @Test func everyLibraryNameIsDefinedBeforeItsFirstUse() throws {
        #expect(Self.definitions.allSatisfy { !$0.names.isEmpty })
        for script in QueueScripts.all {
            let code = Self.code(script.source)
            for (_, names) in Self.definitions {
                for name in names {
                    guard let first = code.firstMatch(of: try Regex("\\b\(name)\\b")) else { continue }
                    let before = code[..<first.range.lowerBound]
                    #expect(
                        before.hasSuffix("local function ") || before.hasSuffix("local "),
                        "\(script.name) uses \(name) before it is defined")
                }
            }
        }
    }

    @Test func everyScriptIncludesOnlyThePiecesItCalls() throws {
        for script in QueueScripts.all {
            for (piece, names) in Self.definitions {
                let included = script.source.contains(piece.source)
                let rest = Self.code(included ? script.source.replacing(piece.source, with: "") : script.source)
                let called = try names.contains { try Self.mentions($0, in: rest) }
                #expect(included == called, "\(script.name): \(piece) included \(included), called \(called)")
            }
        }
    }
}
