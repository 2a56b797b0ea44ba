import Foundation
import Testing

@testable import Offload

/// Job ids name their queue and sort by creation time.
@Suite struct JobIDTests {
    @Test func idNamesItsQueue() {
        for queue in ["default", "q", "cpu-heavy_2", String(repeating: "x", count: 64)] {
            let id = JobID.make(queue: queue, milliseconds: 1_764_000_000_000)
            #expect(JobID.queue(of: id) == queue)
            #expect(id.hasPrefix(queue + "."))
            #expect(id.utf8.count == queue.utf8.count + 1 + 26)
        }
    }

    @Test func idsAreUniqueAndSortByTime() {
        let ids = (0..<1_000).map { _ in JobID.make(queue: "q", milliseconds: 1_764_000_000_000) }
        #expect(Set(ids).count == 1_000)
        let earlier = JobID.make(queue: "q", milliseconds: 1_764_000_000_000)
        let later = JobID.make(queue: "q", milliseconds: 1_764_000_000_001)
        #expect(earlier < later)
        #expect(JobID.make(queue: "q", milliseconds: 1_000) < JobID.make(queue: "q", milliseconds: 2_000_000_000_000))
    }

    @Test func timePartIsCrockfordBase32() {
        var generator = ZeroGenerator()
        #expect(JobID.make(queue: "q", milliseconds: 0, using: &generator) == "q." + String(repeating: "0", count: 26))
        // 1469918176385 ms is the ULID spec's example time, 01ARYZ6S41.
        #expect(JobID.make(queue: "q", milliseconds: 1_469_918_176_385, using: &generator).hasPrefix("q.01ARYZ6S41"))
        #expect(JobID.make(queue: "q", milliseconds: -5, using: &generator) == "q." + String(repeating: "0", count: 26))
    }

    @Test func creationTimeIsReadBackFromTheID() {
        for milliseconds: Int64 in [0, 1, 1_469_918_176_385, 1_764_000_000_123, 281_474_976_710_655] {
            #expect(JobID.milliseconds(of: JobID.make(queue: "mail", milliseconds: milliseconds)) == milliseconds)
        }
        #expect(JobID.milliseconds(of: "mail.not-an-id") == nil)
    }

    @Test func rejectsGarbage() {
        let valid = JobID.make(queue: "q", milliseconds: 1_764_000_000_000)
        let ulid = String(valid.dropFirst(2))
        let garbage = [
            "", ".", "q", "q.", "nodot", ulid, "." + ulid,
            "q." + ulid.dropLast(),  // 25 characters
            "q." + ulid + "0",  // 27 characters
            "q." + ulid.lowercased(),
            "q." + ulid.dropLast() + "U",  // not in the alphabet
            "q." + ulid.dropLast() + "I",
            "bad queue." + ulid,
            "{q}." + ulid,
            "a.b." + ulid,
            String(repeating: "x", count: 65) + "." + ulid,
            "q." + ulid + "/../x",
        ]
        for id in garbage {
            #expect(JobID.queue(of: id) == nil, "\(id)")
        }
        #expect(JobID.queue(of: valid) == "q")
    }
}

private struct ZeroGenerator: RandomNumberGenerator {
    mutating func next() -> UInt64 { 0 }
}
