import Glibc

/// What `uname(2)` reports about the running kernel and the host.
public struct SystemName: Sendable, Equatable {
    /// `sysname`, e.g. `Linux`.
    public var systemName: String
    /// `nodename`: the host name.
    public var nodeName: String
    /// `release`, e.g. `6.1.0-18-amd64`.
    public var release: String
    /// `version`, e.g. `#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)`.
    public var version: String
    /// `machine`, e.g. `x86_64`.
    public var machine: String
    /// `domainname`: the NIS domain, `(none)` when unset.
    public var domainName: String

    public init(
        systemName: String, nodeName: String, release: String, version: String, machine: String, domainName: String
    ) {
        self.systemName = systemName
        self.nodeName = nodeName
        self.release = release
        self.version = version
        self.machine = machine
        self.domainName = domainName
    }
}

/// Where the uname collector gets the system's names from: `uname(2)` (``SystemUname``), or in tests fixed names.
public protocol SystemNameSource: Sendable {
    func systemName() throws(SystemCallError) -> SystemName
}

/// `uname(2)`.
public struct SystemUname: SystemNameSource {
    public init() {}

    public func systemName() throws(SystemCallError) -> SystemName {
        var names = utsname()
        guard uname(&names) == 0 else { throw SystemCallError(call: "uname", errno: errno) }
        return SystemName(
            systemName: Self.string(names.sysname), nodeName: Self.string(names.nodename),
            release: Self.string(names.release), version: Self.string(names.version),
            machine: Self.string(names.machine), domainName: Self.string(names.__domainname))
    }

    /// A NUL-terminated field of `struct utsname` (a C array, imported as a tuple) as a string.
    private static func string<Field>(_ field: Field) -> String {
        withUnsafeBytes(of: field) { bytes in
            let length = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<length], as: UTF8.self)
        }
    }
}
