/// Polls `condition` every 20 ms until it holds or `timeout` passes (an error thrown by
/// `condition` counts as "not yet"). The default deadline only bounds a hang: a loaded
/// machine may take many seconds to start a process or claim a job, and a test that waits
/// for the condition instead of a fixed time is as fast as the machine allows.
package func waitUntil(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestSupportError("timed out after \(timeout) waiting until \(what)")
}
