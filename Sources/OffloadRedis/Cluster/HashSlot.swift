/// A Redis Cluster hash slot: CRC16 (XMODEM) of the key, or of its hash tag, mod 16384.
package struct HashSlot: Sendable, Hashable, Comparable, CustomStringConvertible {
    package static let count = 16384
    package let value: UInt16

    package init(_ value: UInt16) { self.value = value }

    /// The slot of a key. A key holding `{tag}` with a non-empty tag hashes only the tag,
    /// which is how every key of one Offload queue (`prefix:{queue}:…`) shares a slot.
    /// Reads the key in place (no copy): this runs for every command sent to a cluster.
    package init<Key: Collection<UInt8>>(key: Key) {
        var hashed = key[...]
        if let open = key.firstIndex(of: UInt8(ascii: "{")) {
            let afterOpen = key.index(after: open)
            if let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen {
                hashed = key[afterOpen..<close]
            }
        }
        value = Self.crc16(hashed) & UInt16(Self.count - 1)
    }

    package init(key: String) { self.init(key: key.utf8) }

    package static func < (lhs: HashSlot, rhs: HashSlot) -> Bool { lhs.value < rhs.value }
    package var description: String { String(value) }

    private static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    /// CRC16-CCITT (XMODEM), polynomial 0x1021: the one the cluster specification uses.
    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
