import CHiredis
import NIOCore

/// Incremental RESP parser backed by hiredis's `redisReader`.
///
/// Bytes are fed as they arrive from the socket; complete replies are taken out one by
/// one. Not thread-safe: one reader belongs to one connection and is only touched on
/// that connection's event loop.
package final class RESPReader {
    private let reader: UnsafeMutablePointer<redisReader>

    package init() {
        guard let reader = redisReaderCreate() else {
            fatalError("hiredis could not allocate a reader (out of memory)")
        }
        // Release the internal buffer once 64 KiB of it is consumed, so one 10 MB reply
        // does not pin 10 MB per idle connection.
        offload_reader_set_maxbuf(reader, 64 * 1024)
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    package func feed(_ buffer: ByteBuffer) throws(RedisError) {
        let status = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return REDIS_OK }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if status != REDIS_OK { throw protocolError() }
    }

    package func feed(_ bytes: [UInt8]) throws(RedisError) {
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        try feed(buffer)
    }

    /// The next complete reply, or `nil` when more bytes are needed.
    package func next() throws(RedisError) -> RESPValue? {
        var raw: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &raw) == REDIS_OK else { throw protocolError() }
        guard let raw else { return nil }
        defer { freeReplyObject(raw) }
        return try RESPReader.convert(raw.assumingMemoryBound(to: redisReply.self))
    }

    private func protocolError() -> RedisError {
        .protocolError(String(cString: offload_reader_errstr(reader)))
    }

    /// hiredis reply tree → `RESPValue`. hiredis 0.14 is RESP2-only and caps nesting at
    /// 7 levels, so the recursion is bounded.
    static func convert(_ reply: UnsafePointer<redisReply>) throws(RedisError) -> RESPValue {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            return .bulkString(bytes(node.str, node.len))
        case REDIS_REPLY_STATUS:
            return .simpleString(String(decoding: bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(node.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            var elements: [RESPValue] = []
            elements.reserveCapacity(Int(node.elements))
            for index in 0..<Int(node.elements) {
                guard let child = node.element[index] else { throw .protocolError("array element \(index) is missing") }
                elements.append(try convert(child))
            }
            return .array(elements)
        default:
            throw .protocolError("unknown reply type \(node.type)")
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }
}
