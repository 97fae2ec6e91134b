import CJSONScan

/// Splits a JSON document of the form `[ {…}, {…}, … ]` into its elements as bytes arrive, and
/// checks its structure on the way: string escapes and control characters, object and array
/// grammar, nesting, literals and numbers, the closing bracket, and nothing after it.
///
/// The scanner keeps its state between calls, so the document may arrive in any chunking; the
/// caller keeps the bytes of an unfinished element contiguous (see ``BundleDecoder``).
/// It does not check that strings are valid UTF-8: they pass through byte for byte.
///
/// Given a `field`, it also notes where each element's value for that top-level key lies, on the
/// same pass: a split by that field then reads the value without walking the event again.
package struct JSONArrayScanner {
    private enum TopLevel: UInt8 { case beforeArray, firstElementOrEnd, element, commaOrEnd, finished }
    private enum Expect: UInt8 { case keyOrEnd, key, colon, value, valueOrEnd, commaOrEnd }

    private var top = TopLevel.beforeArray
    /// NDJSON: objects one after another, separated by white space, with no brackets or commas.
    private let lines: Bool
    private var expect = Expect.value
    /// Open containers of the current element: true for an object.
    private var stack: [Bool] = []
    /// `stack.count` and its last value, kept beside it: the loop reads them at every byte, and
    /// the array's own count lives on the heap.
    private var depth = 0
    private var topIsObject = false
    private var inString = false
    private var stringIsKey = false
    /// 0: none; 1: after a backslash; 2–5: that many hex digits of \uXXXX still to come, plus one.
    private var escape = 0
    private var scalarStart: Int?
    /// Where the current element began, relative to the buffer being scanned.
    package private(set) var elementStart: Int?
    /// The special bytes of the 64 last looked at, in the buffer being scanned.
    private var specials = SpecialBytes()

    /// The top-level key whose value is noted, as UTF-8.
    private let field: [UInt8]?
    /// Where the text of the top-level key being read starts.
    private var keyStart = 0
    private var keyHasEscape = false
    /// The key just read is `field`: the value that follows is noted.
    private var noteNextValue = false
    /// Where the value being noted starts, until it ends.
    private var notedStart: Int?
    /// What is known so far of the current element's value for `field`.
    private var noted = FieldValue.unknown

    package init(ndjson: Bool = false, field: String? = nil) {
        lines = ndjson
        top = ndjson ? .firstElementOrEnd : .beforeArray
        self.field = field.map { Array($0.utf8) }
    }

    /// Where an element's value for the scanner's `field` lies.
    package enum FieldValue: Sendable, Equatable {
        /// No field was asked for, or a top-level key was spelled with escapes (which may spell
        /// the field): look the field up in the element.
        case unknown
        /// The element has no such top-level key.
        case absent
        /// The raw JSON of the value (a string with its quotes), the last one when the key repeats.
        case at(Range<Int>)

        func shifted(by count: Int) -> FieldValue {
            guard case .at(let range) = self else { return self }
            return .at((range.lowerBound - count)..<(range.upperBound - count))
        }
    }

    package struct Failure: Error {
        package var position: Int
        package var message: String
    }

    /// Scans `bytes[from...]`, calling `element` with the range of each element that completes,
    /// and where its value for `field` lies. Positions are indexes into `bytes`.
    package mutating func scan(
        _ bytes: UnsafeRawBufferPointer, from start: Int, element: (Range<Int>, FieldValue) -> Void
    ) throws(Failure) {
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let end = bytes.count
        specials = SpecialBytes()  // a mask of another call's buffer says nothing of this one
        var i = start
        while i < end {
            if inString {
                i = try scanString(base, i, end)
                continue
            }
            let byte = base[i]
            if depth == 0 {
                try topLevel(byte, at: i)
                i += 1
                continue
            }
            if scalarStart != nil {
                if Self.isScalarByte(byte) { i += 1; continue }
                try endScalar(base, at: i)
            }
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09:
                break
            case UInt8(ascii: "\""):
                try beginString(at: i)
                i = try scanString(base, i + 1, end)
                continue
            case UInt8(ascii: ":"):
                guard expect == .colon else { throw Failure(position: i, message: "unexpected ':'") }
                expect = .value
            case UInt8(ascii: ","):
                guard expect == .commaOrEnd else { throw Failure(position: i, message: "unexpected ','") }
                expect = topIsObject ? .key : .value
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard expect == .value || expect == .valueOrEnd else {
                    throw Failure(position: i, message: "unexpected '\(Character(Unicode.Scalar(byte)))'")
                }
                if depth == 1 { noteValueStart(at: i) }
                push(object: byte == UInt8(ascii: "{"))
                expect = byte == UInt8(ascii: "{") ? .keyOrEnd : .valueOrEnd
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                let closesObject = byte == UInt8(ascii: "}")
                guard topIsObject == closesObject,
                    expect == .commaOrEnd || expect == (closesObject ? .keyOrEnd : .valueOrEnd)
                else { throw Failure(position: i, message: "unexpected '\(Character(Unicode.Scalar(byte)))'") }
                pop()
                expect = .commaOrEnd
                if depth == 1 { noteValueEnd(at: i + 1) }
                if depth == 0 {
                    element(elementStart!..<i + 1, noted)
                    elementStart = nil
                    top = .commaOrEnd
                }
            default:
                guard expect == .value || expect == .valueOrEnd, Self.isScalarByte(byte) else {
                    throw Failure(position: i, message: "unexpected character \(Self.show(byte))")
                }
                scalarStart = i
                if depth == 1 { noteValueStart(at: i) }
                expect = .commaOrEnd
                // The rest of a number or literal in a tight loop, a run of digits in a step; the
                // byte after it ends it above.
                i = Self.digitsEnd(base, from: i + 1, end)
                while i < end, Self.isScalarByte(base[i]) { i += 1 }
                continue
            }
            i += 1
        }
    }

    /// Whether the document ended properly.
    package func finish(at position: Int) throws(Failure) {
        if lines, depth != 0 || inString {
            throw Failure(position: position, message: "the last line ends inside an event")
        }
        if lines { return }
        switch top {
        case .finished: return
        case .beforeArray: throw Failure(position: position, message: "the document is empty; expected a JSON array")
        default: throw Failure(position: position, message: "the document ends before its closing ']'")
        }
    }

    /// Moves positions after the caller dropped `count` bytes from the front of its buffer.
    mutating func rebase(droppingFirst count: Int) {
        if let start = elementStart { elementStart = start - count }
        if let start = scalarStart { scalarStart = start - count }
        if let start = notedStart { notedStart = start - count }
        keyStart -= count
        noted = noted.shifted(by: count)
    }

    // MARK: - Noting the field's value

    /// A top-level value starts: noted if its key was `field`.
    @inline(__always)
    private mutating func noteValueStart(at i: Int) {
        guard noteNextValue else { return }
        noteNextValue = false
        notedStart = i
    }

    /// A top-level value ends just before `end`.
    @inline(__always)
    private mutating func noteValueEnd(at end: Int) {
        guard let start = notedStart else { return }
        notedStart = nil
        if noted != .unknown { noted = .at(start..<end) }
    }

    /// A top-level key ends at `end` (its closing quote).
    private mutating func noteKey(_ base: UnsafePointer<UInt8>, endingAt end: Int) {
        guard let field else { return }
        if keyHasEscape {
            noted = .unknown  // the key may spell `field` with escapes: only a lookup can tell
        } else if end - keyStart == field.count {
            var k = 0
            while k < field.count, field[k] == base[keyStart + k] { k += 1 }
            if k == field.count { noteNextValue = true }
        }
    }

    /// A new element: nothing is known of its field yet.
    private mutating func startElement(at i: Int) {
        elementStart = i
        push(object: true)
        expect = .keyOrEnd
        noted = field == nil ? .unknown : .absent
        noteNextValue = false
        notedStart = nil
    }

    // MARK: - Pieces

    /// A string begins at the quote at `i`: a key or a value, as `expect` says, if either.
    @inline(__always)
    private mutating func beginString(at i: Int) throws(Failure) {
        switch expect {
        case .key, .keyOrEnd: stringIsKey = true
        case .value, .valueOrEnd: stringIsKey = false
        default: throw Failure(position: i, message: "unexpected string")
        }
        inString = true
        if field != nil, depth == 1 {
            if stringIsKey {
                keyStart = i + 1
                keyHasEscape = false
            } else {
                noteValueStart(at: i)
            }
        }
    }

    @inline(__always)
    private mutating func push(object: Bool) {
        stack.append(object)
        depth += 1
        topIsObject = object
    }

    @inline(__always)
    private mutating func pop() {
        stack.removeLast()
        depth -= 1
        topIsObject = depth > 0 && stack[depth - 1]
    }

    private mutating func topLevel(_ byte: UInt8, at i: Int) throws(Failure) {
        if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { return }
        switch top {
        case .beforeArray:
            guard byte == UInt8(ascii: "[") else { throw Failure(position: i, message: "expected '[' to open the array of events, found \(Self.show(byte))") }
            top = .firstElementOrEnd
        case .firstElementOrEnd, .element:
            if byte == UInt8(ascii: "]"), top == .firstElementOrEnd {
                top = .finished
            } else if byte == UInt8(ascii: "{") {
                startElement(at: i)
            } else {
                throw Failure(position: i, message: "expected an event object, found \(Self.show(byte))")
            }
        case .commaOrEnd where lines:
            guard byte == UInt8(ascii: "{") else {
                throw Failure(position: i, message: "expected an event object on the next line, found \(Self.show(byte))")
            }
            startElement(at: i)
        case .commaOrEnd:
            if byte == UInt8(ascii: ",") {
                top = .element
            } else if byte == UInt8(ascii: "]") {
                top = .finished
            } else {
                throw Failure(position: i, message: "expected ',' or ']' after an event, found \(Self.show(byte))")
            }
        case .finished:
            throw Failure(position: i, message: "unexpected data after the closing ']'")
        }
    }

    /// Runs through string content up to the next quote, backslash or control character.
    private mutating func scanString(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws(Failure) -> Int {
        var i = start
        while i < end {
            let byte = base[i]
            if escape != 0 {
                if escape == 1 {
                    switch byte {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                        UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        escape = 0
                    case UInt8(ascii: "u"):
                        escape = 5
                    default:
                        throw Failure(position: i, message: "invalid escape '\\\(Character(Unicode.Scalar(byte)))' in a string")
                    }
                } else {
                    guard Self.isHex(byte) else { throw Failure(position: i, message: "invalid \\u escape: \(Self.show(byte)) is not a hex digit") }
                    escape = escape == 2 ? 0 : escape - 1
                }
                i += 1
                continue
            }
            // The hot loop: most string bytes are plain. A mask of the special bytes among the 64
            // from here says where the next one is, and keeps saying it for the strings after
            // this one in those bytes.
            i = specials.next(base, from: i, end: end)
            guard i < end else { return end }
            let special = base[i]
            if special == UInt8(ascii: "\"") {
                inString = false
                if field != nil, depth == 1 {
                    if stringIsKey { noteKey(base, endingAt: i) } else { noteValueEnd(at: i + 1) }
                }
                // What follows a string is nearly always the colon after a key or the comma after
                // a value, with no space: taken here, as the loop would take it, without its dispatch.
                // And what follows that is often another string (`"key":"value","key":…`): it is
                // begun here too, as the loop would begin it, and this loop goes on through it.
                let next = i + 1
                if stringIsKey {
                    guard next < end, base[next] == UInt8(ascii: ":") else {
                        expect = .colon
                        return next
                    }
                    expect = .value
                } else {
                    guard next < end, base[next] == UInt8(ascii: ",") else {
                        expect = .commaOrEnd
                        return next
                    }
                    expect = topIsObject ? .key : .value
                }
                // Where the value after the key (or the key after the comma) begins, and where
                // the next string would begin.
                let valueStart = next + 1
                var quote = valueStart
                // A number after a key (half of an event's values: ids, counts, durations) is read
                // here too, with the comma after it, when a byte that ends a token follows it
                // inside the buffer: the token is then that number, the one the byte loop would
                // accept. Anything else (an invalid number, one that may go on in the next chunk)
                // is left to the byte loop, which reads and judges it.
                if stringIsKey, valueStart < end, base[valueStart] != UInt8(ascii: "\""), let numberEnd = Self.numberEnd(base, valueStart, end),
                    numberEnd < end, !Self.isScalarByte(base[numberEnd])
                {
                    if depth == 1 {
                        noteValueStart(at: valueStart)
                        noteValueEnd(at: numberEnd)
                    }
                    expect = .commaOrEnd
                    guard base[numberEnd] == UInt8(ascii: ",") else { return numberEnd }
                    expect = topIsObject ? .key : .value
                    quote = numberEnd + 1
                }
                guard quote < end, base[quote] == UInt8(ascii: "\"") else { return quote }
                try beginString(at: quote)
                i = quote + 1
                continue
            }
            if special == UInt8(ascii: "\\") {
                keyHasEscape = true
                escape = 1
                i += 1
                continue
            }
            throw Failure(position: i, message: "unescaped control character \(Self.show(special)) in a string")
        }
        return end
    }

    /// Where the run of ASCII digits from `start` ends (at `end` at the latest), 32 bytes a step
    /// while 32 are left before `end`.
    @inline(__always)
    private static func digitsEnd(_ base: UnsafePointer<UInt8>, from start: Int, _ end: Int) -> Int {
        var i = start
        while i + 32 <= end {
            let run = Int(fsx_json_digit_run(base + i))
            i += run
            if run < 32 { return i }
        }
        while i < end, base[i] &- UInt8(ascii: "0") < 10 { i += 1 }
        return i
    }

    /// Where the RFC 8259 number at `start` ends, `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    /// read as far as it goes before `end`; nil when none starts there, or its fraction or
    /// exponent has no digits.
    @inline(__always)
    private static func numberEnd(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var i = start
        @inline(__always) func digits() -> Int {
            let from = i
            i = digitsEnd(base, from: i, end)
            return i - from
        }
        if i < end, base[i] == UInt8(ascii: "-") { i += 1 }
        guard i < end else { return nil }
        if base[i] == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { return nil }
        if i < end, base[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return nil }
        }
        if i < end, base[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < end, base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return nil }
        }
        return i
    }

    private mutating func endScalar(_ base: UnsafePointer<UInt8>, at end: Int) throws(Failure) {
        let start = scalarStart!
        scalarStart = nil
        if depth == 1 { noteValueEnd(at: end) }
        let token = UnsafeBufferPointer(start: base + start, count: end - start)
        guard Self.isLiteral(token) || Self.isNumber(token) else {
            throw Failure(position: start, message: "invalid value '\(String(decoding: token, as: UTF8.self))'")
        }
    }

    /// Byte by byte, without building strings: this runs for every true, false and null in a bundle.
    private static func isLiteral(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        switch (token.count, token.first) {
        case (4, UInt8(ascii: "t")): token[1] == UInt8(ascii: "r") && token[2] == UInt8(ascii: "u") && token[3] == UInt8(ascii: "e")
        case (4, UInt8(ascii: "n")): token[1] == UInt8(ascii: "u") && token[2] == UInt8(ascii: "l") && token[3] == UInt8(ascii: "l")
        case (5, UInt8(ascii: "f")):
            token[1] == UInt8(ascii: "a") && token[2] == UInt8(ascii: "l") && token[3] == UInt8(ascii: "s") && token[4] == UInt8(ascii: "e")
        default: false
        }
    }

    /// Whether the whole token is one number.
    private static func isNumber(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = token.baseAddress else { return false }
        return numberEnd(base, 0, token.count) == token.count
    }

    @inline(__always)
    private static func isScalarByte(_ byte: UInt8) -> Bool {
        (byte &- UInt8(ascii: "0") < 10) || (byte | 0x20 &- UInt8(ascii: "a") < 26) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10 || byte | 0x20 &- UInt8(ascii: "a") < 6
    }

    static func show(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
}
