import Offload

/// `--payload`, as `submit` and `schedule` read it alike.
enum PayloadOption {
    /// `--payload` as the canonical JSON text the API stores too, so an idempotency key
    /// compares a payload equal however it was spaced.
    static func canonicalPayload(_ text: String) throws -> String {
        guard let object = JSONValue(jsonText: text), case .object = object else {
            throw CLIFailure(OffloadError(invalid: "--payload", "must be a JSON object, e.g. '{\"below\": 100000}'"))
        }
        return object.jsonText
    }
}
