import Glibc
import Logging
import PushStore
import SystemIO

/// The files that keep pushed series: the state file, and beside it the journals,
/// `<state file>.journal.<generation>`. The state file is replaced atomically; journals are appended to.
struct PushStateFiles: Sendable {
    let stateFile: String

    func journalPath(_ generation: UInt64) -> String { "\(stateFile).journal.\(generation)" }

    /// Restores the state file into `store` and replays the journals from its generation on, then writes a fresh
    /// state file and removes the journals it holds; returns its generation, that of the journal to open next. A
    /// corrupt state file is set aside with the journals (`.corrupt-<time>`), and `store` stays empty.
    func restore(into store: PushStore, logger: Logger) throws(SystemError) -> UInt64 {
        var restoredGeneration: UInt64? = 0
        if let bytes = try readIfPresent(stateFile) {
            do {
                let report = try store.restoreState(bytes)
                restoredGeneration = report.generation
                logger.info(
                    "restored pushed series",
                    metadata: ["file": "\(stateFile)", "series": "\(report.series)", "families": "\(report.families)"])
                for skipped in report.skipped {
                    logger.warning("a restored metric was skipped", metadata: ["reason": "\(skipped)"])
                }
            } catch {
                let suffix = ".corrupt-\(time(nil))"
                logger.error(
                    "the push state file is corrupt; it is set aside and tally starts without pushed series",
                    metadata: ["file": "\(stateFile)", "reason": "\(error)", "moved_to": "\(stateFile + suffix)"])
                rename(stateFile, stateFile + suffix)
                for journal in journals() { rename(journal.path, journal.path + suffix) }
                restoredGeneration = nil
            }
        }
        for journal in journals() where journal.generation >= restoredGeneration ?? .max {
            guard let bytes = try? readIfPresent(journal.path) else { continue }
            let replay = store.replayJournal(bytes)
            if replay.ignoredBytes > 0 {
                logger.warning(
                    "the push journal ends in an incomplete record, which was never confirmed; it is ignored",
                    metadata: ["file": "\(journal.path)", "ignored_bytes": "\(replay.ignoredBytes)"])
            }
            logger.info("replayed push journal", metadata: ["file": "\(journal.path)", "records": "\(replay.records)"])
        }
        let generation = max(restoredGeneration ?? 0, journals().map(\.generation).max() ?? 0) + 1
        try writeStateFile(store.stateSnapshot().encode(generation: generation))
        removeJournals(before: generation)
        return generation
    }

    /// Opens journal `generation` for appending, creating it.
    func openJournal(_ generation: UInt64) throws(SystemError) -> Int32 {
        let path = journalPath(generation)
        return try syscall("open(\(path))") { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) }
    }

    /// The journals beside the state file, with their generations, oldest first.
    func journals() -> [(generation: UInt64, path: String)] {
        let directory = Self.directoryName(of: stateFile)
        let prefix = Self.baseName(of: stateFile) + ".journal."
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var found: [(generation: UInt64, path: String)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasPrefix(prefix), let number = UInt64(name.dropFirst(prefix.count)) {
                found.append((number, directory + "/" + name))
            }
        }
        return found.sorted { $0.generation < $1.generation }
    }

    func removeJournals(before generation: UInt64) {
        for journal in journals() where journal.generation < generation { unlink(journal.path) }
    }

    func readIfPresent(_ path: String) throws(SystemError) -> [UInt8]? {
        guard access(path, F_OK) == 0 else { return nil }
        return try readWholeFile(path)
    }

    /// Replaces the state file with `bytes`: written to a temporary file, fsync'd, renamed over the state file, and
    /// the directory fsync'd.
    func writeStateFile(_ bytes: [UInt8]) throws(SystemError) {
        let temporary = stateFile + ".tmp"
        let descriptor = try syscall("open(\(temporary))") {
            open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        }
        do throws(SystemError) {
            try writeAll(bytes, to: descriptor)
            _ = try syscall("fsync(\(temporary))") { fsync(descriptor) }
        } catch {
            Glibc.close(descriptor)
            unlink(temporary)
            throw error
        }
        Glibc.close(descriptor)
        _ = try syscall("rename(\(temporary), \(stateFile))") { rename(temporary, stateFile) }
        let directoryPath = Self.directoryName(of: stateFile)
        let directory = try syscall("open(\(directoryPath))") {
            open(directoryPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { Glibc.close(directory) }
        _ = try syscall("fsync(\(directoryPath))") { fsync(directory) }
    }

    /// What failed, for the log and the `!sync` reply: the call, its file and the error.
    func explain(_ failure: PushDurabilityFailure) -> String {
        switch failure {
        case .journalOpen(let generation, let errno):
            "\(SystemError(call: "open(\(journalPath(generation)))", errno: errno))"
        case .journalAppend(let generation, let errno):
            "\(SystemError(call: "write(\(journalPath(generation)))", errno: errno))"
        case .journalSync(let generation, let errno):
            "\(SystemError(call: "fdatasync(\(journalPath(generation)))", errno: errno))"
        case .stateFileWrite(_, let errno):
            "\(SystemError(call: "writing \(stateFile)", errno: errno))"
        case .shutDown:
            "tally is shutting down"
        }
    }

    static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
