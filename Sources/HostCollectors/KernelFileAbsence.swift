import Glibc
import ProcFS

extension KernelFile {
    /// The content of the file parsed by `parse`, or nil when the kernel does not offer the file: it does not exist
    /// (`ENOENT`, the feature is not built in) or the kernel refuses to read it (`EOPNOTSUPP`, the feature is turned
    /// off, as `psi=0` does to /proc/pressure). node_exporter then exposes nothing and logs at debug level; other
    /// read errors and malformed content fail as usual.
    func parseIfPresent<Value>(_ parse: ([UInt8]) throws(ProcFSError) -> Value) throws(ProcFSError) -> Value? {
        let bytes: [UInt8]
        do {
            bytes = try read()
        } catch {
            if case .readFailed(_, _, let number) = error, number == ENOENT || number == EOPNOTSUPP { return nil }
            throw error
        }
        return try self.parse(bytes, by: parse)
    }
}
