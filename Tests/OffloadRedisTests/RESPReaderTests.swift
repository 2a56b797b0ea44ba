import NIOCore
import Testing

@testable import OffloadRedis

/// hiredis's reader through our conversion, one RESP2 type at a time.
@Suite struct RESPReaderTests {
    private func decode(_ text: String) throws -> [RESPValue] {
        try decode(Array(text.utf8))
    }

    private func decode(_ bytes: [UInt8]) throws -> [RESPValue] {
        let reader = RESPReader()
        try reader.feed(bytes)
        var values: [RESPValue] = []
        while let value = try reader.next() { values.append(value) }
        return values
    }

    @Test func simpleString() throws {
        #expect(try decode("+OK\r\n") == [.simpleString("OK")])
    }

    @Test func errorReply() throws {
        #expect(try decode("-ERR unknown command 'FOO'\r\n") == [.error("ERR unknown command 'FOO'")])
    }

    @Test func integers() throws {
        #expect(try decode(":0\r\n:-42\r\n:9223372036854775807\r\n") == [.integer(0), .integer(-42), .integer(.max)])
    }

    @Test func bulkStrings() throws {
        #expect(try decode("$5\r\nhello\r\n$0\r\n\r\n") == [.bulkString(Array("hello".utf8)), .bulkString([])])
    }

    @Test func nilBulkAndNilArray() throws {
        #expect(try decode("$-1\r\n*-1\r\n") == [.null, .null])
    }

    @Test func nestedArrays() throws {
        let values = try decode("*3\r\n:1\r\n*2\r\n$1\r\na\r\n*1\r\n-ERR inner\r\n$-1\r\n")
        #expect(values == [.array([.integer(1), .array([.bulkString([97]), .array([.error("ERR inner")])]), .null])])
        #expect(try decode("*0\r\n") == [.array([])])
    }

    @Test func binaryBytesWithNUL() throws {
        let payload: [UInt8] = [0, 1, 13, 10, 0, 255, 36]
        let bytes = Array("$7\r\n".utf8) + payload + Array("\r\n".utf8)
        #expect(try decode(bytes) == [.bulkString(payload)])
    }

    @Test func tenMegabyteBulkString() throws {
        let size = 10 * 1024 * 1024
        var payload = [UInt8](repeating: 0, count: size)
        for index in stride(from: 0, to: size, by: 4093) { payload[index] = UInt8(index % 251) }
        let bytes = Array("$\(size)\r\n".utf8) + payload + Array("\r\n".utf8)
        // Fed in socket-sized pieces, as a connection would.
        let reader = RESPReader()
        var offset = 0
        var result: RESPValue?
        while offset < bytes.count {
            let end = min(offset + 65536, bytes.count)
            try reader.feed(Array(bytes[offset..<end]))
            if let value = try reader.next() { result = value }
            offset = end
        }
        #expect(result == .bulkString(payload))
    }

    @Test func partialInputWaitsForMore() throws {
        let reader = RESPReader()
        try reader.feed(Array("*2\r\n$3\r\nfo".utf8))
        #expect(try reader.next() == nil)
        try reader.feed(Array("o\r\n:7\r\n".utf8))
        #expect(try reader.next() == .array([.bulkString(Array("foo".utf8)), .integer(7)]))
        #expect(try reader.next() == nil)
    }

    @Test func malformedInputIsATypedError() throws {
        let reader = RESPReader()
        try reader.feed(Array("?what\r\n".utf8))
        #expect(throws: RedisError.self) { try reader.next() }
    }

    @Test func commandEncodingIsBinarySafe() throws {
        let command = RedisCommand("SET", "k", .bytes([0, 13, 10, 255]), "")
        let buffer = command.encoded()
        let expected = Array("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n$0\r\n\r\n".utf8)
        #expect(Array(buffer.readableBytesView) == expected)
    }

    @Test func replyAccessors() {
        #expect(RESPValue.bulkString(Array("12".utf8)).int == 12)
        #expect(RESPValue.array([.bulkString(Array("a".utf8)), .integer(1)]).fieldMap?["a"] == .integer(1))
        #expect(RESPValue.null.string == nil)
    }
}
