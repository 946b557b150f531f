import Glibc
import ProcFS
import Testing

@Suite struct SysFSAttributeTests {
    @Test(
        arguments: [
            ("1500\n", 1500), ("0x1003\n", 4099), ("0X1f", 31), ("-1\n", -1), ("+7", 7), ("010", 8), ("0o17", 15),
            ("0b101", 5), ("0", 0), ("  772 \n", 772), ("9223372036854775807", Int64.max),
            ("-9223372036854775808", Int64.min),
        ] as [(String, Int64)])
    func parsesIntegersWithTheirBase(input: String, expected: Int64) throws {
        #expect(try SysFSAttribute.parseInteger(bytes(input)) == expected)
    }

    @Test(arguments: [
        "", "\n", "up", "0x", "08", "12abc", "1 2", "--1", "9223372036854775808", "0xg", "1.5", "0b2",
    ])
    func rejectsMalformedIntegers(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try SysFSAttribute.parseInteger(bytes(input)) } == 1)
    }

    @Test(arguments: [("45000\n", 45000), ("-1\n", -1), ("010", 10)] as [(String, Int64)])
    func parsesDecimalIntegers(input: String, expected: Int64) throws {
        #expect(try SysFSAttribute.parseDecimalInteger(bytes(input)) == expected)
    }

    @Test(arguments: ["", "0x10", "4.5", "abc", "-"])
    func rejectsMalformedDecimalIntegers(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try SysFSAttribute.parseDecimalInteger(bytes(input)) } == 1)
    }

    @Test(arguments: [("2400000\n", 2_400_000), (" 800000 ", 800_000)] as [(String, UInt64)])
    func parsesUnsignedIntegers(input: String, expected: UInt64) throws {
        #expect(try SysFSAttribute.parseUnsigned(bytes(input)) == expected)
    }

    @Test(arguments: ["", "-1\n", "<unknown>\n", "18446744073709551616"])
    func rejectsMalformedUnsignedIntegers(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try SysFSAttribute.parseUnsigned(bytes(input)) } == 1)
    }

    @Test(
        arguments: [
            ("45000\n", 45000), ("-5000\n", -5000), ("1.5", 1.5), ("1e3", 1000), ("\n12\n\n", 12), ("+2", 2),
        ] as [(String, Double)])
    func parsesFloatsAsGoDoes(input: String, expected: Double) throws {
        #expect(try SysFSAttribute.parseFloat(bytes(input)) == expected)
    }

    @Test(arguments: ["", "\n", " 12", "12 ", "12\t\n", "abc", "1.2.3", "0x"])
    func rejectsWhatGoRejectsAsAFloat(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try SysFSAttribute.parseFloat(bytes(input)) } == 1)
    }

    @Test func trimsText() {
        #expect(SysFSAttribute.parseText(bytes("  up\n")) == "up")
        #expect(SysFSAttribute.parseText(bytes("")) == "")
        #expect(SysFSAttribute.parseText(bytes("WAN uplink\n")) == "WAN uplink")
        #expect(SysFSAttribute.parseLine(bytes("\nCore 0 \n")) == "Core 0 ")
    }

    @Test func splitsNames() {
        #expect(SysFSAttribute.parseNames(bytes("bond0 bond1\n")) == ["bond0", "bond1"])
        #expect(SysFSAttribute.parseNames(bytes("  eth1\teth2  \n")) == ["eth1", "eth2"])
        #expect(SysFSAttribute.parseNames(bytes("\n")) == [])
        #expect(SysFSAttribute.parseNames(bytes("")) == [])
    }

    @Test func readsTheFixture() throws {
        let flags = try KernelFile(path: Fixtures.sys.path("class/net/eth0/flags")).parse(SysFSAttribute.parseInteger)
        #expect(flags == 0x1003)
        let masters = try KernelFile(path: Fixtures.sys.path("class/net/bonding_masters")).read()
        #expect(SysFSAttribute.parseNames(masters) == ["bond0"])
    }
}

@Suite struct HwmonAttributeTests {
    @Test(arguments: [
        ("temp1_input", HwmonAttribute(type: "temp", number: 1, property: "input")),
        ("temp01_input", HwmonAttribute(type: "temp", number: 1, property: "input")),
        ("in0_label", HwmonAttribute(type: "in", number: 0, property: "label")),
        ("pwm1", HwmonAttribute(type: "pwm", number: 1, property: "")),
        ("pwm1_auto_point1_pwm", HwmonAttribute(type: "pwm", number: 1, property: "auto_point1_pwm")),
        ("power1_average_interval", HwmonAttribute(type: "power", number: 1, property: "average_interval")),
        ("beep_enable", HwmonAttribute(type: "beep_enable", number: 0, property: "")),
        ("update_interval", HwmonAttribute(type: "update_interval", number: 0, property: "")),
        ("temp_input", HwmonAttribute(type: "temp_input", number: 0, property: "")),
        ("fan_1x", HwmonAttribute(type: "fan", number: 0, property: "1x")),
        ("name", HwmonAttribute(type: "name", number: 0, property: "")),
    ])
    func splitsFileNamesAsTheRegularExpression(name: String, expected: HwmonAttribute) {
        #expect(HwmonAttribute.parse(fileName: name) == expected)
    }

    @Test(arguments: ["", "1abc", "fan1x", "temp1_", "99999999999999999999_input"])
    func refusesNamesTheRegularExpressionDoesNotMatch(name: String) {
        #expect(HwmonAttribute.parse(fileName: name) == nil)
    }

    @Test func namesTheSensor() {
        #expect(HwmonAttribute.parse(fileName: "temp01_input")?.sensor == "temp1")
        #expect(HwmonAttribute.parse(fileName: "vrm")?.sensor == "vrm0")
    }

    @Test(arguments: [
        ("coretemp\n", "coretemp"), ("coretemp.0", "coretemp_0"), ("Core 0", "core_0"), ("__x__", "x"),
        ("pci0000:00", "pci0000:00"), ("nct6775-isa", "nct6775_isa"), ("é1", "1"), ("aé", "a"),
    ])
    func cleansNamesAsNodeExporter(name: String, expected: String) {
        #expect(HwmonAttribute.cleanName(name) == expected)
    }
}

@Suite struct DirectoryListingTests {
    @Test func listsEntriesSortedWithTheirKinds() throws {
        let listing = DirectoryListing(path: Fixtures.sys.path("class/net"))
        let entries = try listing.entries()
        #expect(
            entries.map(\.name) == ["bond0", "bonding_masters", "docker0", "eth0", "eth1", "eth2", "lo", "veth1a2b3c4"])
        #expect(entries.first { $0.name == "bonding_masters" }?.kind == .regularFile)
        #expect(entries.first { $0.name == "eth0" }?.kind == .symbolicLink)
        #expect(try listing.entries() == entries)
    }

    @Test func seesEntriesAddedAndRemoved() throws {
        let directory = try TemporaryDirectory()
        let listing = DirectoryListing(path: directory.path)
        #expect(try listing.entries() == [])
        try directory.write("b", bytes("1"))
        try directory.write("a", bytes("2"))
        #expect(try listing.entries().map(\.name) == ["a", "b"])
        unlink(directory.path + "/a")
        #expect(try listing.entries() == [DirectoryListing.Entry(name: "b", kind: .regularFile)])
    }

    @Test func aMissingDirectoryFailsWithENOENT() {
        let error = thrownError { () throws(ProcFSError) in
            try DirectoryListing(path: Fixtures.sys.path("class/nonexistent")).entries()
        }
        #expect(error == .readFailed(path: Fixtures.sys.path("class/nonexistent"), call: "opendir", errno: ENOENT))
    }
}
