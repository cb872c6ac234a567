import CZlib

/// Inflates request bodies sent with `Content-Encoding: gzip` (the Segment libraries' option;
/// nginx passes request bodies as they came). The inflated size is capped, so a small body
/// that inflates to gigabytes (a zip bomb) costs at most `limit` bytes and a few
/// milliseconds before it is refused.
public enum Gzip {
    public enum Failure: Error, Equatable {
        /// The inflated body would be larger than the limit.
        case tooLarge
        /// Not gzip data, or cut short.
        case malformed
    }

    /// The inflated bytes of `data` (one or more gzip members), at most `limit` of them.
    public static func inflate(_ data: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard !data.isEmpty else { throw .malformed }
        var stream = z_stream()
        // 16 + 15: a gzip header and trailer, the largest window.
        guard czlib_inflate_init2(&stream, 16 + MAX_WBITS) == Z_OK else { throw .malformed }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(min(limit, max(4096, data.count * 4)))
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var input = data
        var offset = 0
        while true {
            let (result, produced, consumed) = input.withUnsafeMutableBufferPointer { inBuffer in
                chunk.withUnsafeMutableBufferPointer { outBuffer in
                    // zlib reads next_in/avail_in and writes next_out/avail_out only during this call.
                    stream.next_in = inBuffer.baseAddress! + offset
                    stream.avail_in = UInt32(inBuffer.count - offset)
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    let r = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (r, outBuffer.count - Int(stream.avail_out), inBuffer.count - offset - Int(stream.avail_in))
                }
            }
            let status = result
            offset += consumed
            if output.count + produced > limit { throw .tooLarge }
            output.append(contentsOf: chunk[0..<produced])
            switch status {
            case Z_STREAM_END:
                // Concatenated members (gzip allows them): go on with the next one.
                guard offset < input.count else { return output }
                guard inflateReset(&stream) == Z_OK else { throw .malformed }
            case Z_OK, Z_BUF_ERROR:
                // No progress: the input ended before the stream did.
                if produced == 0 && consumed == 0 { throw .malformed }
            default:
                throw .malformed
            }
        }
    }
}
