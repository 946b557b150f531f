import MetricsCore

/// A metric family read from Prometheus text: its name as written on its `# TYPE` line (or its samples' name when it
/// has none), its type, its help, and its series in the order they first appear.
public struct ParsedMetricFamily: Sendable, Equatable {
    public var name: String
    /// The declared type; `.untyped` when the family has no `# TYPE` line.
    public var type: MetricType
    /// The `# HELP` text, unescaped; nil without a `# HELP` line.
    public var help: String?
    public var series: [ParsedSeries]

    public init(name: String, type: MetricType, help: String?, series: [ParsedSeries]) {
        self.name = name
        self.type = type
        self.help = help
        self.series = series
    }
}

/// One series of a parsed family. A counter, gauge or untyped series has a ``value``; a histogram series has
/// ``buckets`` and may have a ``sum`` and ``count``; a summary series has ``quantiles`` and may have a ``sum`` and
/// ``count``.
public struct ParsedSeries: Sendable, Equatable {
    /// The labels as written on the series' first line, without `le` (histogram buckets) and `quantile`
    /// (summaries). Labels with an empty value are kept; see ``identity``.
    public var labels: LabelSet
    /// The value of a counter, gauge or untyped series; 0 for histograms and summaries.
    public var value: Double
    /// The `_sum` of a histogram or summary series, when given.
    public var sum: Double?
    /// The `_count` of a histogram or summary series, when given.
    public var count: Double?
    /// The `_bucket` samples of a histogram series in the order written: the `le` bound and the cumulative count.
    public var buckets: [Bound]
    /// The quantile samples of a summary series in the order written: the `quantile` and its value.
    public var quantiles: [Bound]
    /// The timestamp in milliseconds since the epoch given on the series' (last timestamped) sample line.
    public var timestamp: Int64?
    /// The line of the series' first sample.
    public var line: Int

    /// A bucket bound or quantile and the value at it.
    public struct Bound: Sendable, Equatable {
        public var bound: Double
        public var value: Double

        public init(bound: Double, value: Double) {
            self.bound = bound
            self.value = value
        }
    }

    /// The labels without those whose value is empty, which Prometheus treats as absent: two series are the same
    /// when their identities are.
    public var identity: LabelSet {
        let all = labels.labels
        return all.contains { $0.value.isEmpty }
            ? LabelSet(sortedUniqueLabels: all.filter { !$0.value.isEmpty }) : labels
    }

    public init(
        labels: LabelSet, value: Double = 0, sum: Double? = nil, count: Double? = nil, buckets: [Bound] = [],
        quantiles: [Bound] = [], timestamp: Int64? = nil, line: Int
    ) {
        self.labels = labels
        self.value = value
        self.sum = sum
        self.count = count
        self.buckets = buckets
        self.quantiles = quantiles
        self.timestamp = timestamp
        self.line = line
    }
}

/// Why a text exposition was refused, and on which line (counted from 1).
public struct ExpositionParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable, CustomStringConvertible {
        /// The input does not end in a line feed: a file still being written, or cut short.
        case missingFinalNewline
        /// A metric name is missing or holds a character outside `[a-zA-Z0-9_:]` (or starts with a digit).
        case invalidMetricName(String)
        /// A label name is missing or holds a character outside `[a-zA-Z0-9_]` (or starts with a digit).
        case invalidLabelName(String)
        /// A label name starts with `__`, which Prometheus reserves.
        case reservedLabelName(String)
        case duplicateLabelName(String)
        /// A label value or HELP text holds a backslash sequence other than `\\`, `\n` (and `\"` in label values).
        case invalidEscape
        /// A label value lacks its closing quote on the line.
        case unterminatedLabelValue
        /// A label value or HELP text is not valid UTF-8.
        case invalidUTF8
        /// Something else than what the syntax allows here: `expected` says what was.
        case unexpected(expected: String)
        /// A sample value is not a number as Go's `strconv.ParseFloat` reads one (or is out of range).
        case invalidValue(String)
        case invalidTimestamp(String)
        case unknownType(String)
        /// A second `# TYPE` line for a family.
        case duplicateType(String)
        /// A second `# HELP` line for a family.
        case duplicateHelp(String)
        /// A `# TYPE` or `# HELP` line after the family's first sample.
        case metadataAfterSamples(String)
        /// A sample of a family whose samples ended earlier (another family's lines came in between).
        case nonContiguousFamily(String)
        /// The same series (name and labels, or histogram bucket, or summary quantile) given twice.
        case duplicateSeries(String)
        /// A family whose name, or one of whose sample names, is also a name of another family: `h_count` written
        /// as a family of its own next to the histogram `h`, or a `# TYPE` line naming a histogram's `_sum`.
        case nameConflict(String)
        /// A histogram `_bucket` sample without `le`, a summary quantile sample without `quantile`, or such a label
        /// where it does not belong (an `le` on a histogram's `_sum`).
        case misplacedLabel(String)
        /// An `le` or `quantile` label whose value is not a number.
        case invalidBound(String)
        /// A sample named exactly like its histogram family, without `_bucket`, `_sum` or `_count`.
        case histogramSampleWithoutSuffix(String)

        public var description: String {
            switch self {
            case .missingFinalNewline: "the last line does not end in a line feed (a file cut short?)"
            case .invalidMetricName(let name): "invalid metric name \"\(name)\""
            case .invalidLabelName(let name): "invalid label name \"\(name)\""
            case .reservedLabelName(let name): "label name \"\(name)\" is reserved (starts with __)"
            case .duplicateLabelName(let name): "label \"\(name)\" given twice"
            case .invalidEscape: "invalid escape sequence"
            case .unterminatedLabelValue: "label value without closing quote"
            case .invalidUTF8: "invalid UTF-8"
            case .unexpected(let expected): "expected \(expected)"
            case .invalidValue(let text): "invalid sample value \"\(text)\""
            case .invalidTimestamp(let text): "invalid timestamp \"\(text)\""
            case .unknownType(let type): "unknown metric type \"\(type)\""
            case .duplicateType(let name): "second TYPE line for \(name)"
            case .duplicateHelp(let name): "second HELP line for \(name)"
            case .metadataAfterSamples(let name): "TYPE or HELP line for \(name) after its samples"
            case .nonContiguousFamily(let name): "samples of \(name) are not together"
            case .duplicateSeries(let series): "duplicate series \(series)"
            case .nameConflict(let name): "\(name) is also a sample name of another family"
            case .misplacedLabel(let detail): detail
            case .invalidBound(let text): "invalid le or quantile value \"\(text)\""
            case .histogramSampleWithoutSuffix(let name): "histogram sample \(name) without _bucket, _sum or _count"
            }
        }
    }

    public let line: Int
    public let reason: Reason

    public init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}

/// A strict parser of the Prometheus text format 0.0.4 (prometheus/docs `exposition_formats.md`), as node_exporter's
/// textfile collector and the Pushgateway read it with client_golang's `expfmt.TextParser`, and stricter where that
/// parser lets a broken file through:
///
/// - `# HELP <name> <text>` (escapes `\\` and `\n`) and `# TYPE <name> <type>` (`counter`, `gauge`, `histogram`,
///   `summary`, `untyped`, in any case), each at most once per family and before its first sample; any other line
///   starting with `#` is a comment. Blank lines, and blanks (spaces, tabs) before and between tokens, are allowed.
/// - Samples `name{label="value",...} value [timestamp]`: names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names
///   `[a-zA-Z_][a-zA-Z0-9_]*` not starting with `__`, each at most once, a trailing comma allowed; label values in
///   double quotes with escapes `\\`, `\"` and `\n`, valid UTF-8; values as Go's `strconv.ParseFloat` reads them
///   without `_` or hexadecimal (`1`, `-1.5e-3`, `.5`, `+Inf`, `-inf`, `Infinity`, `NaN`), out-of-range values
///   refused; timestamps integral milliseconds.
/// - A histogram `h` groups `h_bucket` (with `le`), `h_sum` and `h_count`; a summary `s` groups `s` (with
///   `quantile`), `s_sum` and `s_count`; series by their other labels. A family's samples are contiguous (another
///   family's samples or metadata in between is an error), and no series, bucket or quantile repeats. Labels with an
///   empty value are kept, but count as absent when telling series apart, as in Prometheus.
/// - The input must end in a line feed: a file caught half-written is refused, never read in part.
///
/// The parser works on the bytes in place, one pass with no per-line allocation; it makes strings only for the names,
/// label values and help texts it returns.
public enum ExpositionParser {
    /// Parses a whole exposition into its families, in the order they first appear.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ExpositionParseError) -> [ParsedMetricFamily] {
        var parser = Parser(bytes: bytes)
        try parser.parseAll()
        return parser.families.map { $0.family }
    }

    /// Parses a whole exposition held in an array.
    public static func parse(_ bytes: [UInt8]) throws(ExpositionParseError) -> [ParsedMetricFamily] {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ExpositionParseError) in try parse(buffer) }
        }
        return try result.get()
    }
}

/// What a sample name is to the family that claims it.
private enum SampleRole {
    /// The value of a counter, gauge or untyped family.
    case value
    /// A summary's quantile sample, named like the family.
    case quantile
    /// The bare name of a histogram, which has no sample of its own.
    case histogramName
    case bucket
    case sum
    case count
}

private struct FamilyBuilder {
    var family: ParsedMetricFamily
    var hasType = false
    var hasSamples = false
    var seriesIndex: [LabelSet: Int] = [:]

    var sampleNames: [(String, SampleRole)] {
        let name = family.name
        switch family.type {
        case .counter, .gauge, .untyped: return [(name, .value)]
        case .summary: return [(name, .quantile), (name + "_sum", .sum), (name + "_count", .count)]
        case .histogram:
            return [
                (name, .histogramName), (name + "_bucket", .bucket), (name + "_sum", .sum), (name + "_count", .count),
            ]
        }
    }
}

private let lineFeed = UInt8(ascii: "\n")
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

private struct Parser {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    var line = 0
    var families: [FamilyBuilder] = []
    /// Every sample name a family claims, with the family's position and the role of the name.
    var owners: [String: (family: Int, role: SampleRole)] = [:]
    /// The family of the last sample or metadata line.
    var current: Int?
    /// Scratch space for the labels of one sample, kept between lines.
    var labels: [Label] = []

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func parseAll() throws(ExpositionParseError) {
        if let last = bytes.last, last != lineFeed {
            var lines = 1
            for byte in bytes where byte == lineFeed { lines += 1 }
            throw ExpositionParseError(line: lines, reason: .missingFinalNewline)
        }
        // Every line ends in a line feed from here on, which serves as a sentinel: scanning a line stops at it.
        while index < bytes.count {
            line += 1
            try parseLine()
        }
    }

    func fail(_ reason: ExpositionParseError.Reason) -> ExpositionParseError {
        ExpositionParseError(line: line, reason: reason)
    }

    var byte: UInt8 { bytes[index] }

    mutating func skipBlanks() {
        while bytes[index] == space || bytes[index] == tab { index += 1 }
    }

    /// The text from `index` to the next blank or line feed, as a string for an error message.
    func tokenText(from start: Int) -> String {
        var end = start
        while bytes[end] != space && bytes[end] != tab && bytes[end] != lineFeed { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    mutating func parseLine() throws(ExpositionParseError) {
        skipBlanks()
        switch byte {
        case lineFeed:
            index += 1
        case UInt8(ascii: "#"):
            index += 1
            try parseComment()
        default:
            try parseSample()
        }
    }

    mutating func parseComment() throws(ExpositionParseError) {
        skipBlanks()
        let start = index
        while byte != space && byte != tab && byte != lineFeed { index += 1 }
        let keyword = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        let isHelp = keyword.elementsEqual("HELP".utf8)
        guard isHelp || keyword.elementsEqual("TYPE".utf8) else {
            skipToNextLine()
            return
        }
        skipBlanks()
        let nameStart = index
        guard let name = readMetricName(), byte == space || byte == tab || byte == lineFeed else {
            throw fail(.invalidMetricName(tokenText(from: nameStart)))
        }
        skipBlanks()
        if isHelp {
            let help = try readHelp()
            let position = try familyForMetadata(name)
            guard families[position].family.help == nil else { throw fail(.duplicateHelp(name)) }
            families[position].family.help = help
        } else {
            let typeStart = index
            while byte != space && byte != tab && byte != lineFeed { index += 1 }
            let word = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[typeStart..<index]), as: UTF8.self)
            skipBlanks()
            guard byte == lineFeed, let type = MetricType(rawValue: word.lowercased()) else {
                throw fail(.unknownType(tokenText(from: typeStart)))
            }
            index += 1
            let position = try familyForMetadata(name)
            guard !families[position].hasType else { throw fail(.duplicateType(name)) }
            try setType(type, ofFamily: position)
        }
    }

    mutating func skipToNextLine() {
        while byte != lineFeed { index += 1 }
        index += 1
    }

    /// The family a `# HELP` or `# TYPE` line names, created when new; it becomes the current family.
    mutating func familyForMetadata(_ name: String) throws(ExpositionParseError) -> Int {
        if let owner = owners[name] {
            let builder = families[owner.family]
            guard builder.family.name == name else { throw fail(.nameConflict(name)) }
            guard !builder.hasSamples else { throw fail(.metadataAfterSamples(name)) }
            current = owner.family
            return owner.family
        }
        let position = try addFamily(name)
        current = position
        return position
    }

    mutating func addFamily(_ name: String) throws(ExpositionParseError) -> Int {
        let position = families.count
        families.append(FamilyBuilder(family: ParsedMetricFamily(name: name, type: .untyped, help: nil, series: [])))
        owners[name] = (position, .value)
        return position
    }

    mutating func setType(_ type: MetricType, ofFamily position: Int) throws(ExpositionParseError) {
        for (name, _) in families[position].sampleNames { owners[name] = nil }
        families[position].family.type = type
        families[position].hasType = true
        for (name, role) in families[position].sampleNames {
            if owners[name] != nil { throw fail(.nameConflict(name)) }
            owners[name] = (position, role)
        }
    }

    /// Reads the rest of a `# HELP` line, unescaping `\\` and `\n`, and steps over its line feed.
    mutating func readHelp() throws(ExpositionParseError) -> String {
        let start = index
        var hasEscape = false
        while byte != lineFeed {
            if byte == backslash {
                hasEscape = true
                index += 1
                guard byte == backslash || byte == UInt8(ascii: "n") else { throw fail(.invalidEscape) }
            }
            index += 1
        }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        index += 1
        return try makeString(raw, unescaping: hasEscape)
    }

    /// A string from raw text, unescaping `\\`, `\"` and `\n` when `unescaping` (the escapes were checked), refusing
    /// invalid UTF-8.
    func makeString(_ raw: UnsafeRawBufferPointer, unescaping: Bool) throws(ExpositionParseError) -> String {
        let text: String?
        if unescaping {
            var unescaped: [UInt8] = []
            unescaped.reserveCapacity(raw.count)
            var position = 0
            while position < raw.count {
                var byte = raw[position]
                if byte == backslash {
                    position += 1
                    byte = raw[position] == UInt8(ascii: "n") ? lineFeed : raw[position]
                }
                unescaped.append(byte)
                position += 1
            }
            text = String(validating: unescaped, as: UTF8.self)
        } else {
            text = String(validating: raw, as: UTF8.self)
        }
        guard let text else { throw fail(.invalidUTF8) }
        return text
    }

    /// Reads a metric name at `index`; nil when none starts there.
    mutating func readMetricName() -> String? {
        let start = index
        guard isNameStart(byte) || byte == UInt8(ascii: ":") else { return nil }
        index += 1
        while isNameStart(byte) || isDigit(byte) || byte == UInt8(ascii: ":") { index += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    mutating func parseSample() throws(ExpositionParseError) {
        let nameStart = index
        guard let name = readMetricName() else { throw fail(.invalidMetricName(tokenText(from: nameStart))) }
        let afterName = index
        skipBlanks()
        labels.removeAll(keepingCapacity: true)
        if byte == UInt8(ascii: "{") {
            index += 1
            try readLabels()
            let afterLabels = index
            skipBlanks()
            guard index > afterLabels || byte == lineFeed else {
                throw fail(.unexpected(expected: "a blank after the labels of \(name)"))
            }
        } else if index == afterName && byte != lineFeed {
            throw fail(.invalidMetricName(tokenText(from: nameStart)))
        }
        guard byte != lineFeed else { throw fail(.unexpected(expected: "a value after \(name)")) }
        let value = try readValue()
        var timestamp: Int64?
        skipBlanks()
        if byte != lineFeed {
            timestamp = try readTimestamp()
            skipBlanks()
            guard byte == lineFeed else { throw fail(.unexpected(expected: "the end of the line after the timestamp")) }
        }
        index += 1
        try addSample(name: name, value: value, timestamp: timestamp)
    }

    /// Reads `name="value",...}` after the opening brace into ``labels``.
    mutating func readLabels() throws(ExpositionParseError) {
        while true {
            skipBlanks()
            if byte == UInt8(ascii: "}") {
                index += 1
                return
            }
            let nameStart = index
            guard isNameStart(byte) else { throw fail(.invalidLabelName(tokenText(from: nameStart))) }
            index += 1
            while isNameStart(byte) || isDigit(byte) { index += 1 }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<index])
            let name = String(decoding: nameBytes, as: UTF8.self)
            if nameBytes.count >= 2, nameBytes[0] == UInt8(ascii: "_"), nameBytes[1] == UInt8(ascii: "_") {
                throw fail(.reservedLabelName(name))
            }
            let afterLabelName = index
            skipBlanks()
            guard byte == UInt8(ascii: "=") else {
                let isStructural = [space, tab, lineFeed, quote, UInt8(ascii: ","), UInt8(ascii: "}")].contains(byte)
                if index > afterLabelName || isStructural {
                    throw fail(.unexpected(expected: "= after label name \(name)"))
                }
                throw fail(.invalidLabelName(tokenText(from: nameStart)))
            }
            index += 1
            skipBlanks()
            guard byte == quote else { throw fail(.unexpected(expected: "a quoted value for label \(name)")) }
            index += 1
            let valueStart = index
            var hasEscape = false
            while byte != quote {
                switch byte {
                case lineFeed:
                    throw fail(.unterminatedLabelValue)
                case backslash:
                    hasEscape = true
                    index += 1
                    guard byte == backslash || byte == quote || byte == UInt8(ascii: "n") else {
                        throw fail(.invalidEscape)
                    }
                default:
                    break
                }
                index += 1
            }
            let value = try makeString(
                UnsafeRawBufferPointer(rebasing: bytes[valueStart..<index]), unescaping: hasEscape)
            index += 1
            if labels.contains(where: { $0.name == name }) { throw fail(.duplicateLabelName(name)) }
            labels.append(Label(name, value))
            skipBlanks()
            switch byte {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default: throw fail(.unexpected(expected: ", or } after the value of label \(name)"))
            }
        }
    }

    /// The bytes up to the next blank or line feed, which are consumed.
    mutating func readToken() -> UnsafeRawBufferPointer {
        let start = index
        while byte != space && byte != tab && byte != lineFeed { index += 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<index])
    }

    /// Reads a sample value up to the next blank or line feed.
    mutating func readValue() throws(ExpositionParseError) -> Double {
        let token = readToken()
        guard let value = parseGoFloat(token) else {
            throw fail(.invalidValue(String(decoding: token, as: UTF8.self)))
        }
        return value
    }

    /// Reads a timestamp: a decimal integer of milliseconds with an optional sign, as Go's `strconv.ParseInt` reads.
    mutating func readTimestamp() throws(ExpositionParseError) -> Int64 {
        let token = readToken()
        guard let value = parseInt64(token) else {
            throw fail(.invalidTimestamp(String(decoding: token, as: UTF8.self)))
        }
        return value
    }

    mutating func addSample(name: String, value: Double, timestamp: Int64?) throws(ExpositionParseError) {
        let position: Int
        let role: SampleRole
        if let owner = owners[name] {
            (position, role) = owner
            if current != position && families[position].hasSamples {
                throw fail(.nonContiguousFamily(families[position].family.name))
            }
        } else {
            position = try addFamily(name)
            role = .value
        }
        current = position
        families[position].hasSamples = true
        let type = families[position].family.type

        // The labels that say where in a histogram or summary series the sample goes.
        var bound: Double?
        let special: String? =
            switch type {
            case .histogram: "le"
            case .summary: "quantile"
            default: nil
            }
        if let special, let labelIndex = labels.firstIndex(where: { $0.name == special }) {
            let wanted = (type == .histogram && role == .bucket) || (type == .summary && role == .quantile)
            guard wanted else { throw fail(.misplacedLabel("label \(special) on sample \(name)")) }
            var text = labels[labelIndex].value
            guard let parsed = text.withUTF8({ parseGoFloat(UnsafeRawBufferPointer($0)) }) else {
                throw fail(.invalidBound(text))
            }
            bound = parsed
            labels.remove(at: labelIndex)
        }
        switch role {
        case .histogramName: throw fail(.histogramSampleWithoutSuffix(name))
        case .bucket, .quantile:
            guard bound != nil else { throw fail(.misplacedLabel("sample \(name) without label \(special ?? "")")) }
        default: break
        }
        let labelSet = LabelSet(labels)
        // Prometheus treats a label with an empty value as absent: `a{b=""}` and `a` are one series.
        let identity = labels.contains { $0.value.isEmpty } ? LabelSet(labels.filter { !$0.value.isEmpty }) : labelSet
        let seriesPosition: Int
        if let existing = families[position].seriesIndex[identity] {
            seriesPosition = existing
            if role == .value { throw fail(.duplicateSeries(name + identity.description)) }
        } else {
            seriesPosition = families[position].family.series.count
            families[position].family.series.append(ParsedSeries(labels: labelSet, line: line))
            families[position].seriesIndex[identity] = seriesPosition
        }
        let description = name + identity.description
        switch role {
        case .value:
            families[position].family.series[seriesPosition].value = value
        case .sum:
            guard families[position].family.series[seriesPosition].sum == nil else {
                throw fail(.duplicateSeries(description + " (_sum)"))
            }
            families[position].family.series[seriesPosition].sum = value
        case .count:
            guard families[position].family.series[seriesPosition].count == nil else {
                throw fail(.duplicateSeries(description + " (_count)"))
            }
            families[position].family.series[seriesPosition].count = value
        case .bucket:
            let bound = bound ?? 0
            guard !families[position].family.series[seriesPosition].buckets.contains(where: { $0.bound == bound })
            else { throw fail(.duplicateSeries("\(description) with le=\(bound)")) }
            families[position].family.series[seriesPosition].buckets.append(
                ParsedSeries.Bound(bound: bound, value: value))
        case .quantile:
            let bound = bound ?? 0
            guard !families[position].family.series[seriesPosition].quantiles.contains(where: { $0.bound == bound })
            else { throw fail(.duplicateSeries("\(description) with quantile=\(bound)")) }
            families[position].family.series[seriesPosition].quantiles.append(
                ParsedSeries.Bound(bound: bound, value: value))
        case .histogramName:
            break
        }
        if let timestamp { families[position].family.series[seriesPosition].timestamp = timestamp }
    }
}

@inline(__always) private func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
}

@inline(__always) private func isNameStart(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        || byte == UInt8(ascii: "_")
}

/// Whether `text` equals `word` (lower-case ASCII) ignoring ASCII case.
private func equalsIgnoringCase(_ text: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
    guard text.count == word.utf8CodeUnitCount else { return false }
    let letters = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
    return zip(text, letters).allSatisfy { $0 | 0x20 == $1 }
}

/// Reads a number as Go's `strconv.ParseFloat(text, 64)` does, the way client_golang's text parser calls it (which
/// refuses `_` and the `p` of hexadecimal exponents, so no hexadecimal either): an optional sign, decimal digits with
/// an optional point and exponent, or `Inf`/`Infinity` (any case, optional sign) or `NaN` (any case, no sign). A
/// value beyond the range of `Double` is refused, as Go reports `ErrRange`; one too small becomes 0.
func parseGoFloat(_ text: UnsafeRawBufferPointer) -> Double? {
    guard !text.isEmpty else { return nil }
    var position = 0
    var isNegative = false
    if text[0] == UInt8(ascii: "+") || text[0] == UInt8(ascii: "-") {
        isNegative = text[0] == UInt8(ascii: "-")
        position = 1
    }
    let rest = UnsafeRawBufferPointer(rebasing: text[position...])
    if equalsIgnoringCase(rest, "inf") || equalsIgnoringCase(rest, "infinity") {
        return isNegative ? -.infinity : .infinity
    }
    if position == 0, equalsIgnoringCase(rest, "nan") { return .nan }
    // Mantissa: digits, an optional point, digits; at least one digit.
    var digits = 0
    var integer: UInt64 = 0
    var isPlainInteger = true
    while position < text.count, isDigit(text[position]) {
        if digits < 18 { integer = integer * 10 + UInt64(text[position] - UInt8(ascii: "0")) }
        digits += 1
        position += 1
    }
    if position < text.count, text[position] == UInt8(ascii: ".") {
        isPlainInteger = false
        position += 1
        while position < text.count, isDigit(text[position]) {
            digits += 1
            position += 1
        }
    }
    guard digits > 0 else { return nil }
    if position < text.count, text[position] == UInt8(ascii: "e") || text[position] == UInt8(ascii: "E") {
        isPlainInteger = false
        position += 1
        if position < text.count, text[position] == UInt8(ascii: "+") || text[position] == UInt8(ascii: "-") {
            position += 1
        }
        let exponentStart = position
        while position < text.count, isDigit(text[position]) { position += 1 }
        guard position > exponentStart else { return nil }
    }
    guard position == text.count else { return nil }
    if isPlainInteger, digits <= 15 {
        let value = Double(integer)
        return isNegative ? -value : value
    }
    // The syntax is checked; Swift's conversion (locale-independent, correctly rounded) does the rest.
    guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
    return value
}

/// Reads a decimal integer with an optional sign as Go's `strconv.ParseInt(text, 10, 64)` does.
func parseInt64(_ text: UnsafeRawBufferPointer) -> Int64? {
    guard !text.isEmpty else { return nil }
    var position = 0
    var isNegative = false
    if text[0] == UInt8(ascii: "+") || text[0] == UInt8(ascii: "-") {
        isNegative = text[0] == UInt8(ascii: "-")
        position = 1
    }
    guard position < text.count else { return nil }
    var magnitude: UInt64 = 0
    while position < text.count {
        guard isDigit(text[position]) else { return nil }
        let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(text[position] - UInt8(ascii: "0")))
        guard !overflow1, !overflow2 else { return nil }
        magnitude = sum
        position += 1
    }
    if isNegative {
        guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
        return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
    }
    guard magnitude <= UInt64(Int64.max) else { return nil }
    return Int64(magnitude)
}
