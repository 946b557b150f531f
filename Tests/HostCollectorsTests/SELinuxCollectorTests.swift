import HostCollectors
import MetricsCore
import Testing

@Suite struct SELinuxCollectorTests {
    @Test func theFixtureMachineHasNoSELinux() throws {
        let snapshot = try makeRegistry(collectors: ["selinux"], options: Fixtures.options()).collect()
        #expect(snapshot.value("node_selinux_enabled") == 0)
        #expect(snapshot.family(sample: "node_selinux_current_mode") == nil)
        #expect(snapshot.family(sample: "node_selinux_config_mode") == nil)
        #expect(snapshot.success("selinux") == 1)
    }

    @Test(
        arguments: [
            ("1\n", "SELINUX=enforcing\n", 1.0, 1.0),
            ("0\n", "SELINUX=permissive\n", 0, 0),
            ("0\n", nil, 0, -1),
        ] as [(String, String?, Double, Double)])
    func anEnabledSELinuxReportsItsModes(enforce: String, config: String?, current: Double, configured: Double) throws {
        let tree = try FixtureCopy()
        try tree.write("sys/fs/selinux/enforce", enforce)
        try tree.write("proc/self/attr/current", "system_u:system_r:unconfined_service_t:s0\0")
        let root = try TemporaryRoot()
        if let config { try root.write("etc/selinux/config", config) }
        var options = Fixtures.options(directory: tree.directory)
        options.rootFS = root.path
        let snapshot = try makeRegistry(collectors: ["selinux"], options: options).collect()
        #expect(snapshot.value("node_selinux_enabled") == 1)
        #expect(snapshot.value("node_selinux_current_mode") == current)
        #expect(snapshot.value("node_selinux_config_mode") == configured)
    }

    @Test func withoutAPolicyTheKernelContextMeansDisabled() throws {
        let tree = try FixtureCopy()
        try tree.write("sys/fs/selinux/enforce", "0\n")
        try tree.write("proc/self/attr/current", "kernel\0")
        let snapshot = try makeRegistry(collectors: ["selinux"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.value("node_selinux_enabled") == 0)
        #expect(snapshot.family(sample: "node_selinux_current_mode") == nil)
    }

    @Test func aMalformedEnforceFileFailsTheCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("sys/fs/selinux/enforce", "yes\n")
        try tree.write("proc/self/attr/current", "system_u:system_r:init_t:s0\0")
        let snapshot = try makeRegistry(collectors: ["selinux"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.success("selinux") == 0)
        #expect(snapshot.value("node_selinux_enabled") == nil)
    }
}
