import Foundation
import NIOCore
import Offload
import OffloadTestSupport
import Testing

@testable import OffloadHTTP

/// `SubmitBodyReader` reads the common submit bodies itself and leaves the rest to
/// JSONDecoder; whatever it reads must give the job JSONDecoder's reading gives.
@Suite struct SubmitBodyReaderTests {
    /// The job a body makes on each path (nil from the reader: it left the body to JSONDecoder).
    static func paths(_ body: String) -> (fast: Result<JobSubmission, APIError>?, decoder: Result<JobSubmission, APIError>) {
        let buffer = ByteBuffer(string: body)
        let fast = SubmitBodyReader.read(buffer).map { request in
            Result { () throws(OffloadError) in try request.submission(idempotencyKey: nil) }.mapError(APIError.init)
        }
        let decoder = Result { () throws(APIError) in
            let request = try RequestDecoding.decode(SubmitRequest.self, from: buffer.readableBytesView)
            do throws(OffloadError) { return try request.submission(idempotencyKey: nil) } catch { throw APIError(error) }
        }
        return (fast, decoder)
    }

    @Test(arguments: [
        #"{"type": "test.noop", "payload": {"n": 1}}"#,
        #"{"type": "count-primes", "payload": {"below": 100000}}"#,
        #"{"type":"test.noop"}"#,
        #"{"type": "test.noop", "payload": null, "queue": null, "priority": null}"#,
        #" {"queue": "q1", "type": "t", "priority": -7, "max_attempts": 3, "timeout_seconds": 60, "result_ttl_seconds": 600, "lease_ms": 5000} "#,
        #"{"type": "t", "delay_seconds": 30}"#,
        #"{"type": "t", "run_at": "2030-01-01T12:00:00Z"}"#,
        #"{"type": "t", "payload": {"b": [1, -2, 0, true, false, null, "x", {}, []], "a": {"d": "é😀", "c": {"z": 1, "Z": 2, "_": 3}}}}"#,
        "{\"type\":\"t\",\n\t\"payload\":\r\n{ \"s\" : \"a/b\u{7f}~\u{2028}\" }}",
        #"{"type": "t", "payload": {"n": 999999999999999, "m": -999999999999999}}"#,
        #"{"type": "no such type!", "priority": 5000, "queue": "bad queue"}"#,
    ])
    func commonBodiesTakeTheFastPathAndMakeTheSameJob(body: String) {
        let (fast, decoder) = Self.paths(body)
        #expect(fast != nil, "the reader leaves this common body to JSONDecoder")
        #expect(fast == decoder)
    }

    @Test(arguments: [
        "", " ", "{}", "[]", "null", #"{"type": 1}"#, #"{"type": null}"#, #"{"type": "t", "type": "u"}"#,
        #"{"type": "t", "extra": 1}"#, #"{"type": "t\u0041"}"#, #"{"type": "t", "payload": {"a": 1.5}}"#,
        #"{"type": "t", "payload": {"a": 1e3}}"#, #"{"type": "t", "payload": {"a": 1E3}}"#, #"{"type": "t", "payload": {"a": -0}}"#,
        #"{"type": "t", "payload": {"a": 01}}"#, #"{"type": "t", "payload": {"a": 1234567890123456}}"#,
        #"{"type": "t", "payload": {"é": 1}}"#, #"{"type": "t", "payload": {"a": 1, "a": 2}}"#, #"{"type": "t", "payload": [1]}"#,
        #"{"type": "t", "payload": "x"}"#, #"{"type": "t", "payload": 5}"#, #"{"type": "t", "priority": 1.0}"#,
        #"{"type": "t", "priority": "1"}"#, #"{"type": "t", "delay_seconds": 0.5}"#, #"{"type": "t", "delay_seconds": -0}"#,
        #"{"type": "t"} x"#, #"{"type": "t",}"#, #"{"type": "t" "queue": "q"}"#, #"{"type": "t", "payload": {"a": tru}}"#,
        #"{"type": "t", "payload": {"a": [1,]}}"#, "{\"type\": \"t\u{1}\"}", #"{"type": "t", "payload": {"a": NaN}}"#,
        "\u{FEFF}{\"type\": \"t\"}", #"{"type": "t", "payload": "# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}",
    ])
    func unusualBodiesGoToJSONDecoder(body: String) {
        let (fast, decoder) = Self.paths(body)
        #expect(fast == nil || fast == decoder, "\(body): \(String(describing: fast)) vs \(decoder)")
    }

    @Test func invalidUTF8GoesToJSONDecoder() {
        for bytes: [UInt8] in [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] {
            var body = ByteBuffer(string: #"{"type": "t", "payload": {"s": ""#)
            body.writeBytes(bytes)
            body.writeString(#""}}"#)
            #expect(SubmitBodyReader.read(body) == nil)
            var inType = ByteBuffer(string: #"{"type": "t"#)
            inType.writeBytes(bytes)
            inType.writeString(#""}"#)
            #expect(SubmitBodyReader.read(inType) == nil)
        }
    }

    /// Seeded random bodies, in and out of the reader's shape: whenever the reader reads
    /// one, the job is the one JSONDecoder's reading makes. The seed is printed;
    /// `OFFLOAD_FUZZ_SEED=<n>` replays a run.
    @Test func randomBodiesMakeTheSameJobOnBothPaths() {
        let seed = SplitMix64.fuzzSeed
        print("SubmitBodyReaderTests seed \(seed) (replay with OFFLOAD_FUZZ_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        var fastCount = 0
        let count = 20_000
        for _ in 0..<count {
            let body = Self.randomBody(&random)
            let (fast, decoder) = Self.paths(body)
            if let fast {
                fastCount += 1
                #expect(fast == decoder, "seed \(seed): \(body)")
            }
        }
        #expect(fastCount > count / 10, "the reader read \(fastCount) of \(count) bodies")
    }

    // MARK: Random JSON

    static let fields = ["type", "payload", "queue", "priority", "delay_seconds", "run_at", "max_attempts", "timeout_seconds",
                         "result_ttl_seconds", "lease_ms", "extra"]
    static let keys = ["a", "b", "B", "a1", "a10", "a9", "_", "-", "", "é", "e\u{301}", "\u{E9}", "k\"q", "k\\n", "sp ace", "z"]
    static let strings = ["", "x", "test.noop", "default", "é😀", "\u{2028}", "a/b", "q\"t", "b\\s", "\\u0041", "\u{7f}", "t\u{1}", "2030-01-01T00:00:00Z"]
    static let numbers = ["0", "1", "-1", "42", "-0", "01", "1.5", "1e3", "1E-2", "999999999999999", "1000000000000000",
                          "-999999999999999", "12345678901234567890", "5000", "100", "3600", "0.0", "-", "1.", "NaN"]

    static func randomBody(_ random: inout SplitMix64) -> String {
        var members: [String] = []
        if random.chance(9, in: 10) { members.append(#""type": "# + randomString(&random, likely: "test.noop")) }
        for _ in 0..<random.below(5) {
            let field = fields[random.below(fields.count)]
            let value: String
            switch field {
            case "payload": value = random.chance(1, in: 10) ? randomValue(&random, depth: 0) : randomObject(&random, depth: 0)
            case "type", "queue", "run_at": value = random.chance(1, in: 6) ? randomValue(&random, depth: 2) : randomString(&random)
            default: value = random.chance(1, in: 6) ? randomValue(&random, depth: 2) : numbers[random.below(numbers.count)]
            }
            members.append(#"""# + field + #"":"# + space(&random) + value)
        }
        members.shuffle(using: &random)
        var body = space(&random) + "{" + members.joined(separator: "," + space(&random)) + "}" + space(&random)
        if random.chance(1, in: 40) { body.removeLast() }
        return body
    }

    static func randomString(_ random: inout SplitMix64, likely: String? = nil) -> String {
        if let likely, random.chance(1, in: 2) { return "\"\(likely)\"" }
        return "\"" + strings[random.below(strings.count)] + "\""
    }

    static func randomValue(_ random: inout SplitMix64, depth: Int) -> String {
        switch random.below(depth > 3 ? 5 : 7) {
        case 0: return randomString(&random)
        case 1: return numbers[random.below(numbers.count)]
        case 2: return ["true", "false", "null"][random.below(3)]
        case 3, 4: return numbers[random.below(5)]
        case 5: return randomObject(&random, depth: depth + 1)
        default:
            let items = (0..<random.below(4)).map { _ in randomValue(&random, depth: depth + 1) }
            return "[" + items.joined(separator: "," + space(&random)) + "]"
        }
    }

    static func randomObject(_ random: inout SplitMix64, depth: Int) -> String {
        let members = (0..<random.below(5)).map { _ in
            "\"" + keys[random.below(keys.count)] + "\"" + space(&random) + ":" + space(&random) + randomValue(&random, depth: depth + 1)
        }
        return "{" + space(&random) + members.joined(separator: ",") + "}"
    }

    static func space(_ random: inout SplitMix64) -> String {
        ["", "", "", " ", "\n", "\t", "\r\n ", "\u{0B}"][random.below(8)]
    }
}

extension SplitMix64 {
    mutating func below(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }
}
