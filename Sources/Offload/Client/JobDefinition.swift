/// A kind of job, shared by the code that submits it and the worker that runs it: a
/// static name and `Codable` input and output. Define it once, in a module both import;
/// the worker adds how it runs (`CPUJob` or `IOJob` in `OffloadWorker`).
///
/// ```swift
/// public struct Thumbnail: JobDefinition {
///     public static let name = "thumbnail"
///     public struct Input: Codable, Sendable { public let width: Int }
///     public struct Output: Codable, Sendable { public let checksum: String }
/// }
/// ```
public protocol JobDefinition: Sendable {
    /// What the submitter sends; stored as JSON and decoded by the worker.
    associatedtype Input: Codable & Sendable
    /// What the worker returns; stored as JSON and decoded by ``JobHandle/result(timeout:)``.
    associatedtype Output: Codable & Sendable
    /// The job's type on the wire: what HTTP clients put in `"type"`, e.g. `count-primes`.
    /// 1-128 characters of letters, digits, `_`, `-`, `.` and `:`.
    static var name: String { get }
    /// The hard limit of one run when a submit sets none; nil means none. The worker
    /// applies it.
    static var defaultTimeoutSeconds: Int? { get }
}

extension JobDefinition {
    /// No hard limit unless the definition or the submit sets one.
    public static var defaultTimeoutSeconds: Int? { nil }
}
