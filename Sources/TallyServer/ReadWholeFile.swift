import Glibc
import SystemIO

/// Reads a whole file (a configuration or state file) into memory.
func readWholeFile(_ path: String) throws(SystemError) -> [UInt8] {
    let descriptor = try syscall("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
    defer { Glibc.close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { buffer in read(descriptor, buffer.baseAddress, buffer.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw SystemError(call: "read(\(path))", errno: errno)
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
    }
}
