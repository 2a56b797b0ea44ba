import Offload

/// What `submit` and `schedule` check alike before they write a job.
enum JobOptions {
    /// `--payload` as the canonical JSON text the API stores too, so an idempotency key
    /// compares a payload equal however it was spaced.
    static func canonicalPayload(_ text: String) throws -> String {
        guard let object = JSONValue(jsonText: text), case .object = object else {
            throw CLIFailure(OffloadError(.invalid, "--payload must be a JSON object, e.g. '{\"below\": 100000}'"))
        }
        return object.jsonText
    }

    /// A job type some worker serves, as the API requires.
    static func requireServed(_ type: String, _ inspector: Inspector) async throws(OffloadError) {
        guard try await inspector.jobTypes().contains(type) else {
            throw OffloadError(.unknownJobType, "no worker serves job type '\(type)'")
        }
    }
}
