import PushProtocol

/// The push journal's record format, to write records and read them back at start.
///
/// A record is `<kind> <payload length> <fnv-1a-64 of the payload, 16 hex digits>\n<payload>`. Kind `J`: the
/// payload is pushed lines and `!delete` commands, each ending in a line feed. Kind `O`: the payload is an OTLP
/// `ExportMetricsServiceRequest` in protobuf, as received (JSON bodies transcoded), replayed through the same
/// decoder and translation. A record cut short (tally killed mid-write) or damaged fails its length or checksum,
/// and replay stops there.
public enum PushJournal {
    /// What a record holds.
    public enum RecordKind: String, Sendable {
        /// Pushed lines and `!delete` commands.
        case lines = "J"
        /// An OTLP export request in protobuf.
        case otlp = "O"
    }

    /// Appends a record holding `payload` to `buffer`.
    public static func appendRecord(_ payload: [UInt8], kind: RecordKind = .lines, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: "\(kind.rawValue) \(payload.count) \(hex(fnv1a(payload)))\n".utf8)
        buffer.append(contentsOf: payload)
    }

    /// The payload of the record at `offset` and the offset after it, or nil when the record is incomplete or
    /// damaged.
    public static func record(in bytes: [UInt8], at offset: Int) -> (payload: Range<Int>, next: Int)? {
        entry(in: bytes, at: offset).map { ($0.payload, $0.next) }
    }

    /// The kind and payload of the record at `offset` and the offset after it, or nil when the record is
    /// incomplete or damaged.
    public static func entry(
        in bytes: [UInt8], at offset: Int
    ) -> (kind: RecordKind, payload: Range<Int>, next: Int)? {
        guard let newline = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let header = String(decoding: bytes[offset..<newline], as: UTF8.self).split(separator: " ")
        guard header.count == 3, let kind = RecordKind(rawValue: String(header[0])), let length = Int(header[1]),
            length >= 0, length <= bytes.count - newline - 1
        else { return nil }
        let payload = (newline + 1)..<(newline + 1 + length)
        guard hex(fnv1a(bytes[payload])) == header[2] else { return nil }
        return (kind, payload, payload.upperBound)
    }
}

/// What a journal replay applied.
public struct PushJournalReplay: Sendable, Equatable {
    /// Records applied.
    public var records = 0
    /// The bytes from the first incomplete or damaged record on, which were not applied.
    public var ignoredBytes = 0
}

extension PushStore {
    /// Applies a journal's records (lines and `!delete` commands, OTLP requests) as they were applied the first time, up to the
    /// first incomplete or damaged record.
    public func replayJournal(_ bytes: [UInt8]) -> PushJournalReplay {
        var replay = PushJournalReplay()
        var offset = 0
        while offset < bytes.count {
            guard let (kind, payload, next) = PushJournal.entry(in: bytes, at: offset) else {
                replay.ignoredBytes = bytes.count - offset
                break
            }
            if kind == .otlp {
                // A request that was applied once decodes again; its refused points are refused again.
                _ = bytes[payload].withUnsafeBytes { try? ingestOTLP(protobuf: $0) }
                replay.records += 1
                offset = next
                continue
            }
            bytes[payload].withUnsafeBytes { lines in
                ingest(from: nil) { apply, delete in
                    PushLineSplitter.forEachLine(inDatagram: lines) { output in
                        guard case .line(let line) = output else { return }
                        if case .success(.delete(let name, let labels))? = PushCommand.parse(line) {
                            _ = delete(name, labels)
                        } else {
                            _ = apply(line)
                        }
                    }
                }
            }
            replay.records += 1
            offset = next
        }
        return replay
    }
}
