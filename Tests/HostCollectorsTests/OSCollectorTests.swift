import Foundation
import HostCollectors
import MetricsCore
import Testing

@Suite struct OSCollectorTests {
    @Test func exposesTheFixtureRelease() throws {
        let snapshot = try makeRegistry(collectors: ["os"], options: Fixtures.options()).collect()
        #expect(
            snapshot.value(
                "node_os_info",
                [
                    "build_id": "", "id": "debian", "id_like": "", "image_id": "", "image_version": "",
                    "name": "Debian GNU/Linux", "pretty_name": "Debian GNU/Linux 12 (bookworm)", "variant": "",
                    "variant_id": "", "version": "12 (bookworm)", "version_codename": "bookworm", "version_id": "12",
                ]) == 1)
        #expect(snapshot.value("node_os_version", ["id": "debian", "id_like": "", "name": "Debian GNU/Linux"]) == 12)
    }

    @Test func fallsBackToUsrLibAndFollowsChanges() throws {
        let root = try TemporaryRoot()
        try root.write("usr/lib/os-release", "ID=ubuntu\nID_LIKE=debian\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n")
        var options = Fixtures.options()
        options.rootFS = root.path
        let registry = try makeRegistry(collectors: ["os"], options: options)
        #expect(
            registry.collect().value("node_os_version", ["id": "ubuntu", "id_like": "debian", "name": "Ubuntu"])
                == 22.04)

        // /etc/os-release takes precedence once it exists.
        try root.write("etc/os-release", "ID=arch\nNAME=\"Arch Linux\"\nBUILD_ID=rolling\n")
        let arch = registry.collect()
        #expect(arch.labelValues("node_os_info", "build_id") == ["rolling"])
        // No VERSION_ID: no version series.
        #expect(arch.family(sample: "node_os_version") == nil)

        // A changed file (a new modification time) is parsed again.
        try root.write("etc/os-release", "ID=arch\nNAME=\"Arch Linux\"\nBUILD_ID=20240101\n", modified: 1_700_000_000)
        #expect(registry.collect().labelValues("node_os_info", "build_id") == ["20240101"])
    }

    @Test func withoutAnyFileExposesNothingAndDoesNotFail() throws {
        let root = try TemporaryRoot()
        var options = Fixtures.options()
        options.rootFS = root.path
        let snapshot = try makeRegistry(collectors: ["os"], options: options).collect()
        #expect(snapshot.family(sample: "node_os_info") == nil)
        #expect(snapshot.success("os") == 1)
    }

    @Test func aMalformedFileFailsTheCollector() throws {
        let root = try TemporaryRoot()
        try root.write("etc/os-release", "NAME=\"unterminated\n")
        var options = Fixtures.options()
        options.rootFS = root.path
        let snapshot = try makeRegistry(collectors: ["os"], options: options).collect()
        #expect(snapshot.family(sample: "node_os_info") == nil)
        #expect(snapshot.success("os") == 0)
    }
}

/// An empty directory standing for `--path.rootfs`, removed with its files when the value goes away.
final class TemporaryRoot {
    let path = NSTemporaryDirectory() + "tally-rootfs-" + UUID().uuidString

    init() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `relative` with `content`, and sets its modification time to `modified` seconds since the epoch when
    /// given, so that a rewrite within the same clock tick still changes it.
    func write(_ relative: String, _ content: String, modified: TimeInterval? = nil) throws {
        let file = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: file, atomically: true, encoding: .utf8)
        if let modified {
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: modified)], ofItemAtPath: file)
        }
    }
}
