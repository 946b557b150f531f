/// A command on the stream push socket.
///
/// A line that starts with `!` and holds no `|` is a command; every StatsD line needs `|<type>`, so the
/// two never mix. Words are separated by spaces.
/// - `!sync`: the server lists the lines it refused since the previous `!sync` and how many it took.
/// - `!delete <name>`: deletes every series of the metric.
/// - `!delete <name> <key>:<value>,...`: deletes the one series with exactly these labels.
///
/// The name and the labels go through the same rules as in a push line (``PushSeriesKey``), so
/// `!delete crypto.data.processed` names the metric pushed as `crypto.data.processed`. Line numbers that
/// `!sync` reports count commands too.
public enum PushCommand: Equatable, Sendable {
    case sync
    /// Delete the metric `name`: all its series when `labels` is nil, else the series with exactly
    /// `labels` (never empty; sorted by name, as ``PushSeriesKey/labels(fromTags:)`` returns them).
    case delete(name: String, labels: [PushLabel]?)

    /// Reads `line` (without its line ending) as a command.
    ///
    /// - Returns: nil when the line is not a command (it does not start with `!`, or it holds a `|`);
    ///   a failure for a command that cannot be carried out (`unknown_command` for an unknown word or
    ///   wrong arguments; `invalid_utf8`, `tag_without_value`, `invalid_tag_key` for a bad `!delete`
    ///   argument), which the server answers with ``PushReply/error(reason:message:)``.
    public static func parse(_ line: UnsafeRawBufferPointer) -> Result<PushCommand, PushRejection>? {
        guard line.first == UInt8(ascii: "!"), line.firstOffset(of: UInt8(ascii: "|"), in: 0..<line.count) == nil
        else { return nil }
        var end = line.count
        while end > 1 && (line[end - 1] == UInt8(ascii: " ") || line[end - 1] == UInt8(ascii: "\t")) { end -= 1 }
        let wordEnd = line.firstOffset(of: UInt8(ascii: " "), in: 1..<end) ?? end
        let word = UnsafeRawBufferPointer(rebasing: line[1..<wordEnd])
        var restStart = wordEnd
        while restStart < end && line[restStart] == UInt8(ascii: " ") { restStart += 1 }
        let rest = UnsafeRawBufferPointer(rebasing: line[restStart..<end])
        if word.elementsEqual("sync".utf8) {
            guard rest.isEmpty else { return .failure(PushRejection(.unknownCommand, "!sync takes no arguments")) }
            return .success(.sync)
        }
        if word.elementsEqual("delete".utf8) {
            return Result { () throws(PushRejection) in try parseDelete(rest) }
        }
        return .failure(
            PushRejection(
                .unknownCommand,
                "unknown command '\(PushRejection.excerpt(UnsafeRawBufferPointer(rebasing: line[0..<end])))'"
                    + " (want !sync or !delete <name> [<key>:<value>,...])"))
    }

    /// The arguments of `!delete` (no leading or trailing spaces): a name, then optionally spaces and the
    /// labels.
    private static func parseDelete(_ arguments: UnsafeRawBufferPointer) throws(PushRejection) -> PushCommand {
        guard !arguments.isEmpty else {
            throw PushRejection(.unknownCommand, "!delete needs a metric name: !delete <name> [<key>:<value>,...]")
        }
        let nameEnd = arguments.firstOffset(of: UInt8(ascii: " "), in: 0..<arguments.count) ?? arguments.count
        let name = try PushSeriesKey.sanitizedName(UnsafeRawBufferPointer(rebasing: arguments[0..<nameEnd]))
        guard nameEnd < arguments.count else { return .delete(name: name, labels: nil) }
        var tagsStart = nameEnd + 1
        while tagsStart < arguments.count && arguments[tagsStart] == UInt8(ascii: " ") { tagsStart += 1 }
        // The line's trailing blanks are gone, so something other than a space follows.
        let tags = UnsafeRawBufferPointer(rebasing: arguments[tagsStart...])
        return .delete(name: name, labels: try PushSeriesKey.labels(fromTags: tags))
    }

    /// Appends the command as a line, `\n` included. A command parsed from its encoding is equal to it.
    public func encode(into buffer: inout [UInt8]) {
        switch self {
        case .sync:
            buffer.append(contentsOf: "!sync\n".utf8)
        case .delete(let name, let labels):
            buffer.append(contentsOf: "!delete ".utf8)
            buffer.append(contentsOf: name.utf8)
            if let labels, !labels.isEmpty {
                buffer.append(UInt8(ascii: " "))
                for (index, label) in labels.enumerated() {
                    if index > 0 { buffer.append(UInt8(ascii: ",")) }
                    buffer.append(contentsOf: label.name.utf8)
                    buffer.append(UInt8(ascii: ":"))
                    buffer.append(contentsOf: label.value.utf8)
                }
            }
            buffer.append(UInt8(ascii: "\n"))
        }
    }
}
