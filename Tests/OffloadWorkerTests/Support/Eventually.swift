import Testing

/// Returns once `condition` holds; fails the test when `timeout` passes first. For what a
/// real thread or Redis must do: the bound is generous, a loaded machine is slow.
func eventually(
    _ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("\(what): not within \(timeout)", sourceLocation: sourceLocation)
            throw EventuallyTimedOut()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

struct EventuallyTimedOut: Error {}
