import ProcFS
import Testing

@Suite struct MountInfoTests {
    struct Expected: Sendable, CustomStringConvertible {
        var ids: [Int]
        var device: [UInt32]
        var root: String
        var mountPoint: String
        var mountOptions: String
        var optionalFields: [String]
        var filesystemType: String
        var source: String
        var superOptions: String
        var description: String { mountPoint }
    }

    @Test(arguments: [
        (
            "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n",
            Expected(
                ids: [36, 35], device: [98, 0], root: "/mnt1", mountPoint: "/mnt2", mountOptions: "rw,noatime",
                optionalFields: ["master:1"], filesystemType: "ext3", source: "/dev/root",
                superOptions: "rw,errors=continue")
        ),
        (
            "22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw",
            Expected(
                ids: [22, 1], device: [254, 1], root: "/", mountPoint: "/", mountOptions: "rw,relatime",
                optionalFields: [], filesystemType: "ext4", source: "/dev/vda1", superOptions: "rw")
        ),
        (
            #"30 22 259:1 / /mnt/my\040disk rw shared:30 master:2 unbindable - xfs /dev/disk\040one rw\n"#,
            Expected(
                ids: [30, 22], device: [259, 1], root: "/", mountPoint: "/mnt/my disk", mountOptions: "rw",
                optionalFields: ["shared:30", "master:2", "unbindable"], filesystemType: "xfs",
                source: "/dev/disk one", superOptions: #"rw\n"#)
        ),
        (
            #"40 22 0:50 /sub\011dir /tab\011new\012line\134back\\slash\0999 rw - tmpfs tmpfs rw"#,
            Expected(
                ids: [40, 22], device: [0, 50], root: "/sub\tdir", mountPoint: "/tab\tnew\nline\\back\\\\slash\\0999",
                mountOptions: "rw", optionalFields: [], filesystemType: "tmpfs", source: "tmpfs", superOptions: "rw")
        ),
        // An empty mount source leaves two spaces; the fields after it must not shift.
        (
            "41 22 0:51 / /empty rw - tmpfs  rw,size=4k\n",
            Expected(
                ids: [41, 22], device: [0, 51], root: "/", mountPoint: "/empty", mountOptions: "rw",
                optionalFields: [], filesystemType: "tmpfs", source: "", superOptions: "rw,size=4k")
        ),
        (
            "32 22 0:45 / /mnt/nfs rw,relatime shared:32 - nfs4 fileserver:/export/data rw,vers=4.2,addr=192.0.2.10\n",
            Expected(
                ids: [32, 22], device: [0, 45], root: "/", mountPoint: "/mnt/nfs", mountOptions: "rw,relatime",
                optionalFields: ["shared:32"], filesystemType: "nfs4", source: "fileserver:/export/data",
                superOptions: "rw,vers=4.2,addr=192.0.2.10")
        ),
    ])
    func parsesTheFields(input: String, expected: Expected) throws {
        let mounts = try MountInfo.parse(bytes(input))
        let mount = try #require(mounts.first)
        #expect(mounts.count == 1)
        #expect([mount.mountID, mount.parentID] == expected.ids)
        #expect([mount.major, mount.minor] == expected.device)
        #expect(mount.root == expected.root)
        #expect(mount.mountPoint == expected.mountPoint)
        #expect(mount.mountOptions == expected.mountOptions)
        #expect(mount.optionalFields == expected.optionalFields)
        #expect(mount.filesystemType == expected.filesystemType)
        #expect(mount.source == expected.source)
        #expect(mount.superOptions == expected.superOptions)
    }

    @Test(arguments: ["", "\n", "\n\n"])
    func emptyFileIsNoMounts(input: String) throws {
        #expect(try MountInfo.parse(bytes(input)).isEmpty)
    }

    @Test(arguments: [
        ("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw\n", 1),
        ("22 1 254:1 / / rw - ext4 /dev/vda1 rw\n36 35 98:0 /mnt1 /mnt2 rw -\n", 2),
        ("36 35 98:0 /mnt1 /mnt2 rw - ext3\n", 1),
        ("36 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root\n", 1),
        ("36 35 98:0 /mnt1\n", 1),
        ("36 35 98-0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n", 1),
        ("36 35 98: /mnt1 /mnt2 rw - ext3 /dev/root rw\n", 1),
        ("36 35 4294967296:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n", 1),
        ("x 35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n", 1),
        ("36 99999999999999999999 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n", 1),
        ("36  35 98:0 /mnt1 /mnt2 rw - ext3 /dev/root rw\n", 1),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try MountInfo.parse(bytes(input)) } == line)
    }

    @Test(arguments: ["1", "self"])
    func readsTheFixture(pid: String) throws {
        let mounts = try KernelFile(path: Fixtures.proc.path("\(pid)/mountinfo")).parse(MountInfo.parse)
        #expect(
            mounts.map(\.mountPoint) == [
                "/", "/proc", "/sys", "/dev", "/dev/shm", "/run", "/run/credentials/systemd-journald.service", "/boot",
                "/mnt/my disk", "/srv", "/mnt/nfs", "/var/lib/docker/overlay2/3f2a9c/merged",
            ])
        #expect(mounts.map(\.filesystemType).filter { $0 == "tmpfs" }.count == 3)
        #expect(mounts.first { $0.mountPoint == "/mnt/nfs" }?.source == "fileserver:/export/data")
        #expect(mounts.first { $0.filesystemType == "overlay" }?.optionalFields == [])
        #expect(mounts.first { $0.mountPoint == "/mnt/my disk" }.map { [$0.major, $0.minor] } == [259, 1])
    }

    @Test func namesTheFileReadInErrors() throws {
        let file = KernelFile(path: Fixtures.proc.path("missing/mountinfo"))
        let error = thrownError { () throws(ProcFSError) in try file.parse(MountInfo.parse) }
        guard case .readFailed(let path, let call, let errno) = error else {
            Issue.record("expected a read failure, got \(String(describing: error))")
            return
        }
        #expect(path == Fixtures.proc.path("missing/mountinfo"))
        #expect(call == "open")
        #expect(errno == 2)
    }
}
