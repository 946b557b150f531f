import Testing

@testable import HostCollectors

@Suite struct PatternTests {
    @Test(arguments: [
        (
            #"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$"#,
            #"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme[0-9]+n[0-9]+p)[0-9]+$"#
        ),
        (#"^(?:eth|en)\w+$"#, "^(eth|en)[[:alnum:]_]+$"),
        (#"[\d.]+"#, "[0-9.]+"),
        (#"\s\S\D\W"#, "[[:space:]][^[:space:]][^0-9][^[:alnum:]_]"),
        (#"^/var/lib/docker/.+\.sock$"#, #"^/var/lib/docker/.+\.sock$"#),
        ("[]a]", "[]a]"),
        ("[^]a]", "[^]a]"),
    ])
    func translatesRE2Syntax(pattern: String, posix: String) throws {
        #expect(try Pattern.translate(pattern) == posix)
    }

    @Test(arguments: ["a*?", "(?=x)", "(?i)abc", #"\p{L}"#, "[abc", #"x\"#, #"[\D]"#])
    func refusesWhatPOSIXCannotMatchTheSameWay(pattern: String) {
        #expect(throws: PatternError.self) { try Pattern(pattern) }
    }

    @Test(arguments: [
        ("sda", false), ("sda1", true), ("nvme0n1", false), ("nvme0n1p2", true), ("loop7", true), ("dm-0", false),
        ("mmcblk0p1", false), ("xvda3", true), ("zram0", true), ("sr0", false),
    ])
    func nodeExportersDiskExcludeMatchesAsInGo(device: String, excluded: Bool) throws {
        let pattern = try Pattern(HostCollectorOptions.defaultDiskStatsDeviceExclude)
        #expect(pattern.matches(device) == excluded)
    }

    @Test(arguments: [
        ("/dev", true), ("/dev/shm", true), ("/proc", true), ("/run/credentials/x.service", true),
        ("/var/lib/docker/overlay2/abc", true), ("/", false), ("/home", false), ("/devices", false), ("/run", false),
    ])
    func nodeExportersMountPointExcludeMatchesAsInGo(mountPoint: String, excluded: Bool) throws {
        let pattern = try Pattern(HostCollectorOptions.defaultMountPointsExclude)
        #expect(pattern.matches(mountPoint) == excluded)
    }

    @Test func matchesAnywhereUnlessAnchored() throws {
        #expect(try Pattern("eth").matches("veth1a2b"))
        #expect(try !Pattern("^eth").matches("veth1a2b"))
    }
}
