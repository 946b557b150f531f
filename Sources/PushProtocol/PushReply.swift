/// A reply line on the stream push socket, sent by the server and read by `tally push`.
///
/// Wire forms (ASCII, one line each, `\n` terminated):
/// - `reject <lineNumber> <reason> <message>`
/// - `reject-more <count>`
/// - `done <accepted> <rejected>`
/// - `not-durable <accepted> <rejected> <message>`
/// - `deleted <count>`
/// - `error <reason> <message>`
///
/// `<reason>` is a ``PushRejectionReason`` raw value. A message is sent as printable ASCII: every byte
/// that is a control character or not ASCII goes out as `\xHH`, so a reply is always one line. Replies
/// whose messages are printable ASCII read back equal; others read back with those escapes.
public enum PushReply: Equatable, Sendable {
    /// Line `lineNumber` (1-based, counting every line of the connection) was refused.
    case reject(lineNumber: Int, reason: PushRejectionReason, message: String)
    /// `count` more lines were refused than the `reject` replies before it list.
    case rejectMore(count: Int)
    /// Ends a `!sync` reply: lines accepted and refused since the previous `!sync`.
    case done(accepted: Int, rejected: Int)
    /// Ends a `!sync` reply instead of `done` when the accepted lines are applied but could not be made durable;
    /// the message says why (the call that failed and its error).
    case notDurable(accepted: Int, rejected: Int, message: String)
    /// Answers `!delete`: how many series were removed.
    case deleted(count: Int)
    /// Answers a command that could not be carried out.
    case error(reason: PushRejectionReason, message: String)

    /// Appends the reply as a line, `\n` included.
    public func encode(into buffer: inout [UInt8]) {
        switch self {
        case .reject(let lineNumber, let reason, let message):
            buffer.append(contentsOf: "reject ".utf8)
            appendDecimal(lineNumber, to: &buffer)
            buffer.append(UInt8(ascii: " "))
            buffer.append(contentsOf: reason.rawValue.utf8)
            appendMessage(message, to: &buffer)
        case .rejectMore(let count):
            buffer.append(contentsOf: "reject-more ".utf8)
            appendDecimal(count, to: &buffer)
        case .done(let accepted, let rejected):
            buffer.append(contentsOf: "done ".utf8)
            appendDecimal(accepted, to: &buffer)
            buffer.append(UInt8(ascii: " "))
            appendDecimal(rejected, to: &buffer)
        case .notDurable(let accepted, let rejected, let message):
            buffer.append(contentsOf: "not-durable ".utf8)
            appendDecimal(accepted, to: &buffer)
            buffer.append(UInt8(ascii: " "))
            appendDecimal(rejected, to: &buffer)
            appendMessage(message, to: &buffer)
        case .deleted(let count):
            buffer.append(contentsOf: "deleted ".utf8)
            appendDecimal(count, to: &buffer)
        case .error(let reason, let message):
            buffer.append(contentsOf: "error ".utf8)
            buffer.append(contentsOf: reason.rawValue.utf8)
            appendMessage(message, to: &buffer)
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    /// Reads one reply line (without its `\n`); nil when it is not a reply of the forms above.
    public static func parse(_ line: UnsafeRawBufferPointer) -> PushReply? {
        var words = ReplyWords(line)
        guard let keyword = words.next() else { return nil }
        let reply: PushReply
        if keyword.elementsEqual("reject".utf8) {
            guard let lineNumber = words.nextNumber(), let reason = words.nextReason() else { return nil }
            return .reject(lineNumber: lineNumber, reason: reason, message: words.message())
        } else if keyword.elementsEqual("error".utf8) {
            guard let reason = words.nextReason() else { return nil }
            return .error(reason: reason, message: words.message())
        } else if keyword.elementsEqual("not-durable".utf8) {
            guard let accepted = words.nextNumber(), let rejected = words.nextNumber() else { return nil }
            return .notDurable(accepted: accepted, rejected: rejected, message: words.message())
        } else if keyword.elementsEqual("reject-more".utf8) {
            guard let count = words.nextNumber() else { return nil }
            reply = .rejectMore(count: count)
        } else if keyword.elementsEqual("done".utf8) {
            guard let accepted = words.nextNumber(), let rejected = words.nextNumber() else { return nil }
            reply = .done(accepted: accepted, rejected: rejected)
        } else if keyword.elementsEqual("deleted".utf8) {
            guard let count = words.nextNumber() else { return nil }
            reply = .deleted(count: count)
        } else {
            return nil
        }
        return words.isAtEnd ? reply : nil
    }

    /// Appends ` <message>` (nothing for an empty message) with control and non-ASCII bytes as `\xHH`.
    private func appendMessage(_ message: String, to buffer: inout [UInt8]) {
        guard !message.isEmpty else { return }
        buffer.append(UInt8(ascii: " "))
        for byte in message.utf8 { appendPrintable(byte, to: &buffer) }
    }

    /// Appends `value` in decimal (a negative value, which no reply has, as 0).
    private func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: String(max(value, 0)).utf8)
    }
}

/// The space-separated words of a reply line.
private struct ReplyWords {
    let line: UnsafeRawBufferPointer
    var position = 0

    init(_ line: UnsafeRawBufferPointer) { self.line = line }

    var isAtEnd: Bool { position >= line.count }

    /// The next word; a word ends at one space or at the end of the line.
    mutating func next() -> UnsafeRawBufferPointer? {
        guard position < line.count else { return nil }
        let end = line.firstOffset(of: UInt8(ascii: " "), in: position..<line.count) ?? line.count
        let word = UnsafeRawBufferPointer(rebasing: line[position..<end])
        position = end + 1
        return word.isEmpty ? nil : word
    }

    /// The next word as a non-negative decimal number without sign or overflow.
    mutating func nextNumber() -> Int? {
        guard let word = next(), word.count <= 18 else { return nil }
        var value = 0
        for byte in word {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    mutating func nextReason() -> PushRejectionReason? {
        next().flatMap { PushRejectionReason(rawValue: String(decoding: $0, as: UTF8.self)) }
    }

    /// The rest of the line, spaces included.
    mutating func message() -> String {
        guard position < line.count else { return "" }
        defer { position = line.count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: line[position...]), as: UTF8.self)
    }
}
