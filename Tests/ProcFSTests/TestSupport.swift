import Glibc
import ProcFS
import Testing

/// The shared fixture trees under `Tests/Fixtures`.
enum Fixtures {
    /// `Tests/Fixtures`, two levels up from this file once symlinks are resolved (the tests may be built from a
    /// package whose `Tests/ProcFSTests` is a symlink to this directory).
    static let directory: String = {
        var path = #filePath
        if let resolved = realpath(path, nil) {
            path = String(cString: resolved)
            free(resolved)
        }
        var components = path.split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(2)
        return components.joined(separator: "/") + "/Fixtures"
    }()

    static let proc = ProcFS(root: directory + "/proc")
    static let sys = SysFS(root: directory + "/sys")
    static let udev = UdevDatabase(root: directory + "/udev/data")
}

/// node_exporter's own fixture tree (`collector/fixtures/proc`), present only in the reference directory
/// (`$TALLY_REFERENCE_DIR`, by default `../shared/reference` beside the repository), not in the repository. The
/// tests that read it carry ``Testing/Trait/needsPeerFixtures``.
enum PeerFixtures {
    static let directory: String = {
        if let directory = getenv("TALLY_REFERENCE_DIR") {
            return String(cString: directory) + "/peer-fixtures/node_exporter/proc"
        }
        return Fixtures.directory + "/../../../shared/reference/peer-fixtures/node_exporter/proc"
    }()
    static let isAvailable = access(directory + "/meminfo", R_OK) == 0
    static let proc = ProcFS(root: directory)
}

/// Whether the tests run on CI (`CI` is set, as CI services set it), where a missing reference directory is a
/// failure rather than a reason to skip.
let isCI = getenv("CI") != nil

extension Trait where Self == ConditionTrait {
    /// Runs a test that reads ``PeerFixtures`` where they exist, and skips it with the reason elsewhere, except on
    /// CI: there it runs, and fails on the missing files.
    static var needsPeerFixtures: Self {
        .enabled(
            if: PeerFixtures.isAvailable || isCI,
            "node_exporter's fixtures are not at \(PeerFixtures.directory) (set TALLY_REFERENCE_DIR)")
    }
}

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// The error `body` throws, or nil if it returns.
func thrownError<Value>(_ body: () throws(ProcFSError) -> Value) -> ProcFSError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The line number of the malformed-content error `body` throws, or nil if it returns or fails otherwise.
func malformedLine<Value>(_ body: () throws(ProcFSError) -> Value) -> Int? {
    guard case .malformed(_, let line, _) = thrownError(body) else { return nil }
    return line
}

/// A fresh directory under /tmp, removed with its files when the value goes away.
final class TemporaryDirectory {
    let path: String
    private var files: [String] = []

    init() throws {
        var template = Array("/tmp/procfs-tests-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw ProcFSError.readFailed(path: "/tmp", call: "mkdtemp", errno: errno)
        }
        path = String(cString: created)
    }

    /// Creates `name` with `content`.
    func write(_ name: String, _ content: [UInt8]) throws {
        let filePath = path + "/" + name
        let descriptor = open(filePath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ProcFSError.readFailed(path: filePath, call: "open", errno: errno) }
        defer { close(descriptor) }
        files.append(filePath)
        var written = 0
        while written < content.count {
            let result = content.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written)
            }
            guard result > 0 else { throw ProcFSError.readFailed(path: filePath, call: "write", errno: errno) }
            written += result
        }
    }

    deinit {
        for file in files { unlink(file) }
        rmdir(path)
    }
}
