import NIOConcurrencyHelpers

/// One lookup at a time (a cluster's slot map, the sentinels' primary): callers that need
/// it while it runs await the same one instead of each asking the servers again.
final class SharedLookup<Value: Sendable>: Sendable {
    private let running = NIOLockedValueBox<Task<Result<Value, RedisError>, Never>?>(nil)

    /// The running lookup's value, or `lookup`'s, started now.
    func value(_ lookup: @escaping @Sendable () async -> Result<Value, RedisError>) async throws(RedisError) -> Value {
        let task = running.withLockedValue { current in
            if let current { return current }
            let task = Task { await lookup() }
            current = task
            return task
        }
        let result = await task.value
        running.withLockedValue { current in
            if current == task { current = nil }
        }
        return try result.get()
    }
}
