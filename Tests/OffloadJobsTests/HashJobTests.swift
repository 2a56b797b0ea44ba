import Crypto
import Foundation
import Testing

@testable import OffloadWorker
@testable import offload_worker

@Suite struct SHA256ChainTests {
    // Expected values from: python3 -c 'import hashlib; h=hashlib.sha256(b"offload").digest(); ...'
    // (1 iteration = sha256(seed); each further iteration hashes the previous raw 32-byte digest).
    @Test func knownAnswers() throws {
        let one = try SHA256Chain().run(.init(seed: "offload", iterations: 1), context: .standalone())
        #expect(one == .init(digest: "d2433416cb63663d54611834a6b25f2cdcf59ba920ce4778e66a596a10f1df6b", iterations: 1))
        let three = try SHA256Chain().run(.init(seed: "offload", iterations: 3), context: .standalone())
        #expect(three.digest == "7640b32a4f5f24d9e6a91e8c7ba62cc2acd361b4d7d2f249778b2b8774fa1675")
        let empty = try SHA256Chain().run(.init(seed: "", iterations: 1), context: .standalone())
        #expect(empty.digest == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func matchesCryptoLoop() throws {
        var digest = Array(SHA256.hash(data: Array("chain".utf8)))
        for _ in 1..<1000 { digest = Array(SHA256.hash(data: digest)) }
        let output = try SHA256Chain().run(.init(seed: "chain", iterations: 1000), context: .standalone())
        #expect(output.digest == hex(digest))
    }

    @Test func reportsProgressInTenths() throws {
        let log = ProgressLog()
        _ = try SHA256Chain().run(.init(seed: "p", iterations: 1000), context: log.context())
        #expect(log.percents == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    }

    @Test func rejectsBadInput() {
        #expect(throws: PermanentJobError.self) { try SHA256Chain().run(.init(seed: "x", iterations: 0), context: .standalone()) }
        #expect(throws: PermanentJobError.self) {
            try SHA256Chain().run(.init(seed: "x", iterations: 50_000_001), context: .standalone())
        }
    }

    @Test func stopsWhenCancelled() {
        #expect(throws: JobCancelledError.self) {
            try SHA256Chain().run(.init(seed: "x", iterations: 1_000_000), context: .standalone(cancelledWith: "cancelled"))
        }
    }
}

@Suite struct PBKDF2Tests {
    func derive(_ password: String, _ salt: String, _ iterations: Int, _ length: Int) throws -> String {
        let input = PBKDF2.Input(password: password, salt: salt, iterations: iterations, keyLength: length)
        return try PBKDF2().run(input, context: .standalone()).derivedKey
    }

    // PBKDF2-HMAC-SHA256 vectors in the style of RFC 6070 (which covers SHA-1), as published
    // widely and re-checked with python3 hashlib.pbkdf2_hmac("sha256", ...).
    @Test func rfc6070StyleVectors() throws {
        #expect(try derive("password", "salt", 1, 32) == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
        #expect(try derive("password", "salt", 2, 32) == "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43")
        #expect(try derive("password", "salt", 4096, 32) == "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
        // 40 bytes: two blocks, the second truncated.
        #expect(
            try derive("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 40)
                == "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9")
    }

    // RFC 7914 section 11: PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1, dkLen=64).
    @Test func rfc7914Vector() throws {
        #expect(
            try derive("passwd", "salt", 1, 64)
                == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    @Test func shortKeysArePrefixes() throws {
        #expect(try derive("password", "salt", 2, 5) == "ae4d0c95af")
    }

    @Test func jsonFieldNames() throws {
        let input = try decode(PBKDF2.Input.self, #"{"password":"password","salt":"salt","iterations":1,"key_length":32}"#)
        let output = try PBKDF2().run(input, context: .standalone())
        #expect(try json(output)["derived_key"] as? String == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
    }

    @Test func reportsProgressAndHonoursCancellation() throws {
        let log = ProgressLog()
        _ = try PBKDF2().run(.init(password: "p", salt: "s", iterations: 1000, keyLength: 64), context: log.context())
        #expect(log.percents == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        #expect(throws: JobCancelledError.self) {
            try PBKDF2().run(
                .init(password: "p", salt: "s", iterations: 100_000, keyLength: 32), context: .standalone(cancelledWith: "cancelled"))
        }
    }

    @Test func rejectsBadInput() {
        for (iterations, length) in [(0, 32), (10_000_001, 32), (1, 0), (1, 129)] {
            #expect(throws: PermanentJobError.self) {
                try PBKDF2().run(.init(password: "p", salt: "s", iterations: iterations, keyLength: length), context: .standalone())
            }
        }
    }
}

@Suite struct RegistryTests {
    @Test func exampleJobsAreAlwaysRegistered() throws {
        let names = (try JobRegistry(jobs: Jobs.all, includeDiagnostics: false)).names
        for name in ["count-primes", "sha256-chain", "pbkdf2", "mandelbrot", "matmul", "http-fetch"] {
            #expect(names.contains(name))
        }
        #expect(!names.contains("test.noop"))
    }

    /// JSON in, JSON out, as a worker runs it.
    @Test func runsThroughTheRegistry() throws {
        let handler = try #require((try JobRegistry(jobs: Jobs.all, includeDiagnostics: false)).handler(for: "sha256-chain"))
        guard case .cpu(let body) = handler.execution else { Issue.record("sha256-chain should be a CPU job"); return }
        let result = try body(#"{"seed":"offload","iterations":1}"#, .standalone())
        #expect(result == #"{"digest":"d2433416cb63663d54611834a6b25f2cdcf59ba920ce4778e66a596a10f1df6b","iterations":1}"#)
        #expect(throws: PermanentJobError.self) { try body(#"{"seed":"offload"}"#, .standalone()) }
        let fetch = try #require((try JobRegistry(jobs: Jobs.all, includeDiagnostics: false)).handler(for: "http-fetch"))
        guard case .io = fetch.execution else { Issue.record("http-fetch should be an I/O job"); return }
    }
}
