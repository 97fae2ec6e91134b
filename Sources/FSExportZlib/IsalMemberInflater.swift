#if ISAL
import CIsal

/// ISA-L's inflate of gzip members (CRC-32 and length checked by the library), several times
/// faster than zlib's on the same bytes.
///
/// The gzip header is read here with `isal_read_gzip_header` and a header record that lives as
/// long as the member: left to `isal_inflate`, a header that arrives in pieces is read with a
/// fresh record at each call, which forgets its flags (found by fuzz-inflate: a name, comment or
/// header CRC split across two reads was skipped or taken for data).
final class IsalMemberInflater: MemberInflater {
    /// About 80 KiB (ISA-L keeps its window and tables inside), allocated once.
    private let state: UnsafeMutablePointer<inflate_state>
    private let header: UnsafeMutablePointer<isal_gzip_header>

    init() {
        state = .allocate(capacity: 1)
        header = .allocate(capacity: 1)
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
        isal_gzip_header_init(header)
    }

    deinit {
        state.deallocate()
        header.deallocate()
    }

    func reset() {
        isal_inflate_reset(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)  // a reset forgets the wrapper: the next member has one too
        isal_gzip_header_init(header)
    }

    func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> InflateStep {
        state.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) }
        state.pointee.avail_in = UInt32(input.count)
        state.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        state.pointee.avail_out = UInt32(output.count)
        var step = InflateStep(consumed: 0, produced: 0, outcome: .going)
        var code = ISAL_DECOMP_OK
        if state.pointee.wrapper_flag == 0 {
            code = isal_read_gzip_header(state, header)  // positive: the header goes on in the next input
        }
        if state.pointee.wrapper_flag != 0, code == ISAL_DECOMP_OK {
            code = isal_inflate(state)
        }
        // At a member's end ISA-L hands back the bytes it read ahead, so what follows stays unread.
        step.consumed = input.count - Int(state.pointee.avail_in)
        step.produced = output.count - Int(state.pointee.avail_out)
        if code < 0 {
            step.outcome = Self.failure(code)
        } else if state.pointee.block_state == ISAL_BLOCK_FINISH {
            step.outcome = .ended
        }
        return step
    }

    /// ISA-L's codes in the words zlib uses for the same faults, so a refusal reads the same.
    private static func failure(_ code: Int32) -> InflateStep.Outcome {
        switch code {
        case ISAL_INVALID_BLOCK: .failed(.corrupt, "invalid block")
        case ISAL_INVALID_SYMBOL: .failed(.corrupt, "invalid code")
        case ISAL_INVALID_LOOKBACK: .failed(.corrupt, "invalid distance too far back")
        case ISAL_INVALID_WRAPPER: .failed(.corrupt, "incorrect header check")
        case ISAL_UNSUPPORTED_METHOD: .failed(.corrupt, "unknown compression method")
        case ISAL_INCORRECT_CHECKSUM: .failed(.corrupt, "incorrect data check")
        case ISAL_NEED_DICT: .failed(.corrupt, "a preset dictionary is needed")
        default: .failed(.internalError, "ISA-L inflate failed (\(code))")
        }
    }
}
#endif
