import PushProtocol

/// Parses `text` as a push line.
func parseLine(_ text: String) -> Result<PushLine, PushRejection> {
    parseLine(bytes: Array(text.utf8))
}

/// Parses `bytes` as a push line.
func parseLine(bytes: [UInt8]) -> Result<PushLine, PushRejection> {
    bytes.withUnsafeBytes { buffer in Result { () throws(PushRejection) in try PushLine.parse(buffer) } }
}

/// The rejection `result` holds, or nil when it holds a line.
func rejection<Success>(_ result: Result<Success, PushRejection>) -> PushRejection? {
    if case .failure(let rejection) = result { return rejection }
    return nil
}

/// Parses and canonicalizes `bytes` the way the store does on a cache miss.
func series(bytes: [UInt8]) -> Result<(line: PushLine, key: PushSeriesKey), PushRejection> {
    bytes.withUnsafeBytes { buffer in
        Result { () throws(PushRejection) in
            let line = try PushLine.parse(buffer)
            let key = try PushSeriesKey(name: line.nameBytes(in: buffer), tags: line.tagBytes(in: buffer))
            return (line, key)
        }
    }
}

/// The labels for the tag text `text`.
func labels(fromTags text: String) -> Result<[PushLabel], PushRejection> {
    labels(fromTagBytes: Array(text.utf8))
}

func labels(fromTagBytes bytes: [UInt8]) -> Result<[PushLabel], PushRejection> {
    bytes.withUnsafeBytes { buffer in
        Result { () throws(PushRejection) in try PushSeriesKey.labels(fromTags: buffer) }
    }
}

/// The sanitized metric name for `bytes`.
func sanitizedName(bytes: [UInt8]) -> Result<String, PushRejection> {
    bytes.withUnsafeBytes { buffer in
        Result { () throws(PushRejection) in try PushSeriesKey.sanitizedName(buffer) }
    }
}

/// Reads `text` as a stream command.
func parseCommand(_ text: String) -> Result<PushCommand, PushRejection>? {
    parseCommand(bytes: Array(text.utf8))
}

func parseCommand(bytes: [UInt8]) -> Result<PushCommand, PushRejection>? {
    bytes.withUnsafeBytes { PushCommand.parse($0) }
}

/// Reads `text` as a reply line.
func parseReply(_ text: String) -> PushReply? {
    Array(text.utf8).withUnsafeBytes { PushReply.parse($0) }
}

/// The encoding of `reply` as text.
func encoded(_ reply: PushReply) -> String {
    var buffer: [UInt8] = []
    reply.encode(into: &buffer)
    return String(decoding: buffer, as: UTF8.self)
}

/// What a splitter hands out, copied so it outlives the call.
enum SplitLine: Equatable, CustomStringConvertible {
    case line([UInt8])
    case tooLong

    init(_ output: PushLineSplitter.Output) {
        switch output {
        case .line(let bytes): self = .line(Array(bytes))
        case .lineTooLong: self = .tooLong
        }
    }

    var description: String {
        switch self {
        case .line(let bytes): "line(\(String(decoding: bytes.prefix(60), as: UTF8.self)), \(bytes.count) bytes)"
        case .tooLong: "tooLong"
        }
    }
}

/// Feeds `stream` to a new splitter in reads of the given sizes (cycled), then finishes it.
func split(_ stream: [UInt8], readSizes: [Int]) -> [SplitLine] {
    var splitter = PushLineSplitter()
    var result: [SplitLine] = []
    var offset = 0
    var turn = 0
    stream.withUnsafeBytes { bytes in
        while offset < bytes.count {
            let end = min(bytes.count, offset + max(1, readSizes[turn % readSizes.count]))
            splitter.consume(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])) { result.append(SplitLine($0)) }
            offset = end
            turn += 1
        }
    }
    splitter.finish { result.append(SplitLine($0)) }
    return result
}

/// A plain model of the line rules, to check the splitter against: split at `\n`, drop one `\r` at the
/// end, skip empty lines, mark lines over the limit.
func referenceSplit(_ stream: [UInt8]) -> [SplitLine] {
    stream.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).compactMap { piece in
        var line = Array(piece)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.isEmpty { return nil }
        return line.count > PushLineSplitter.maximumLineLength ? .tooLong : .line(line)
    }
}

/// A small seeded generator (SplitMix64), so that random tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
