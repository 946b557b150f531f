import HostCollectors
import MetricsCore
import Testing

@Suite struct MDAdmCollectorTests {
    @Test func exposesEveryArrayOfTheFixture() throws {
        let snapshot = try makeRegistry(collectors: ["mdadm"], options: Fixtures.options()).collect()
        #expect(snapshot.labelValues("node_md_blocks", "device") == ["md0", "md1", "md2", "md3", "md4", "md5"])
        #expect(snapshot.value("node_md_blocks", ["device": "md1"]) == 20_953_088)
        #expect(snapshot.value("node_md_blocks_synced", ["device": "md1"]) == 1_309_568)
        #expect(snapshot.value("node_md_blocks_synced", ["device": "md4"]) == 0)
        #expect(snapshot.value("node_md_disks_required", ["device": "md1"]) == 3)
        #expect(snapshot.value("node_md_disks", ["device": "md1", "state": "active"]) == 2)
        #expect(snapshot.value("node_md_disks", ["device": "md1", "state": "failed"]) == 1)
        #expect(snapshot.value("node_md_disks", ["device": "md1", "state": "spare"]) == 1)
        #expect(snapshot.value("node_md_disks", ["device": "md2", "state": "spare"]) == 1)
        let states: [(String, String)] = [
            ("md0", "active"), ("md1", "recovering"), ("md2", "inactive"), ("md3", "active"), ("md4", "resync"),
            ("md5", "check"),
        ]
        for (device, expected) in states {
            for state in ["active", "inactive", "recovering", "resync", "check"] {
                #expect(
                    snapshot.value("node_md_state", ["device": device, "state": state]) == (state == expected ? 1 : 0),
                    "\(device) \(state)")
            }
        }
        #expect(snapshot.family(sample: "node_md_state")?.labelSets.count == 30)
        #expect(snapshot.family(sample: "node_md_disks")?.labelSets.count == 18)
    }

    @Test func withoutMDExposesNothingAndDoesNotFail() throws {
        let tree = try FixtureCopy()
        try tree.remove("proc/mdstat")
        let snapshot = try makeRegistry(collectors: ["mdadm"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.families.filter { $0.descriptor.name.hasPrefix("node_md_") }.isEmpty)
        #expect(snapshot.success("mdadm") == 1)
    }

    @Test func aMalformedMDStatFailsTheCollector() throws {
        let tree = try FixtureCopy()
        try tree.write("proc/mdstat", "md0 : active raid1 sda[0]\n      oops\n\n\n")
        let snapshot = try makeRegistry(collectors: ["mdadm"], options: Fixtures.options(directory: tree.directory))
            .collect()
        #expect(snapshot.success("mdadm") == 0)
        #expect(snapshot.value("node_md_blocks", ["device": "md0"]) == nil)
    }
}
