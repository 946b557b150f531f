import Glibc
import SystemIO

/// The value of the environment variable `name`, or nil when it is unset or empty.
func environment(_ name: String) -> String? {
    guard let value = getenv(name), value.pointee != 0 else { return nil }
    return String(cString: value)
}

/// Writes `text` and a line feed to standard error, whole.
public func printToStandardError(_ text: String) {
    try? writeAll(Array((text + "\n").utf8), to: STDERR_FILENO)
}

/// Ends the process with `status` at once, without ArgumentParser's exit path, which looks the command up first (a
/// few milliseconds that `tally push` would pay at every run).
public func exitProcess(_ status: Int32) -> Never {
    Glibc.exit(status)
}
