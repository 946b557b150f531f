import ProcFS
import Testing

@Suite struct UdevDataTests {
    @Test(
        arguments: [
            ("", [:]),
            ("S:disk/by-id/ata-QEMU_HARDDISK_QM00001\nI:1700000012\nG:systemd\n", [:]),
            ("E:ID_MODEL=QEMU_HARDDISK\n", ["ID_MODEL": "QEMU_HARDDISK"]),
            ("E:ID_PATH=pci-0000:00:1f.2-ata-1.0", ["ID_PATH": "pci-0000:00:1f.2-ata-1.0"]),
            ("E:EMPTY=\nE:EQ=a=b\n", ["EMPTY": "", "EQ": "a=b"]),
            ("E:ID_MODEL=old\nE:ID_MODEL=new\n", ["ID_MODEL": "new"]),
            ("E:ID_MODEL_ENC=QEMU\\x20HARDDISK\n\nW:4\n", ["ID_MODEL_ENC": "QEMU\\x20HARDDISK"]),
        ] as [(String, [String: String])])
    func collectsEnvironmentProperties(input: String, expected: [String: String]) throws {
        #expect(try UdevData.parse(bytes(input)).properties == expected)
    }

    @Test(arguments: [
        ("E:ID_MODEL\n", 1),
        ("S:disk/by-id/x\nE:=value\n", 2),
    ])
    func rejectsPropertiesWithoutName(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try UdevData.parse(bytes(input)) } == line)
    }

    @Test func readsTheFixture() throws {
        #expect(Fixtures.udev.path(major: 8, minor: 0) == Fixtures.directory + "/udev/data/b8:0")
        let data = try Fixtures.udev.blockDevice(major: 8, minor: 0)
        #expect(data.properties["ID_MODEL"] == "QEMU_HARDDISK")
        #expect(data.properties["ID_SERIAL_SHORT"] == "QM00001")
        #expect(data.properties["ID_PATH"] == "pci-0000:00:1f.2-ata-1.0")
        #expect(data.properties["ID_WWN"] == "0x5000c500a1b2c3d4")
        #expect(data.properties["ID_REVISION"] == "2.5+")
        #expect(data.properties.count == 14)
    }

    @Test func missingDeviceIsAReadFailure() {
        let error = thrownError { () throws(ProcFSError) in try Fixtures.udev.blockDevice(major: 254, minor: 0) }
        #expect(error == .readFailed(path: Fixtures.directory + "/udev/data/b254:0", call: "open", errno: 2))
    }
}
