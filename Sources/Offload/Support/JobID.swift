/// Job ids are `<queue>.<ULID>`: sortable by creation time, and they name their queue so
/// a job is found from its id alone without a global index (which would break the
/// one-slot-per-queue rule of Redis Cluster).
package enum JobID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    package static func make(queue: String, milliseconds: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(queue: queue, milliseconds: milliseconds, using: &generator)
    }

    static func make<G: RandomNumberGenerator>(queue: String, milliseconds: Int64, using generator: inout G) -> String {
        var bytes = [UInt8](repeating: 0, count: 26)
        var time = UInt64(max(0, milliseconds))
        for index in stride(from: 9, through: 0, by: -1) {
            bytes[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        var random = generator.next() as UInt64
        var more = generator.next() as UInt64
        for index in 10..<26 {
            bytes[index] = alphabet[Int(random & 31)]
            random = (random >> 5) | ((more & 31) << 59)
            more >>= 5
        }
        return queue + "." + String(decoding: bytes, as: UTF8.self)
    }

    /// When the job was created: the ULID's first 10 characters are milliseconds since
    /// the epoch, so the job hash need not store it.
    package static func milliseconds(of id: String) -> Int64? {
        guard queue(of: id) != nil else { return nil }
        var value: Int64 = 0
        for byte in id.utf8.suffix(26).prefix(10) {
            guard let digit = alphabet.firstIndex(of: byte) else { return nil }
            value = value << 5 | Int64(digit)
        }
        return value
    }

    /// The queue a job id belongs to, or `nil` when the id is not an Offload id.
    package static func queue(of id: String) -> String? {
        guard id.utf8.count <= 200, let dot = id.firstIndex(of: ".") else { return nil }
        let queue = String(id[..<dot])
        let rest = id[id.index(after: dot)...]
        guard Validation.isQueueName(queue), rest.utf8.count == 26,
            rest.utf8.allSatisfy({ alphabet.contains($0) })
        else { return nil }
        return queue
    }
}
