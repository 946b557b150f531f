import Foundation
import Testing

@testable import HostCollectors

@Suite struct PatternTests {
    /// Patterns, texts, and whether Go's `regexp.MatchString` (RE2 syntax, no flags) finds a match. The rows Python
    /// also reads the same way were checked with `re.search(pattern, text, re.ASCII)`; the others (`$` before a final
    /// newline, `\A`, `\z`, POSIX classes, `(?<name>…)`, literal `{` Python reads as a count, `-` after a range, RE2's
    /// `\s` without vertical tab, `^*`) follow RE2's syntax documentation.
    static let matchTable: [(pattern: String, text: String, matches: Bool)] = [
        ("abc", "xabcx", true),
        ("abc", "ab", false),
        ("abc", "", false),
        ("", "", true),
        ("", "x", true),
        ("a.c", "abc", true),
        ("a.c", "a\nc", false),
        ("^.$", "é", true),
        ("^..$", "é", false),
        ("^[^a]$", "é", true),
        ("^[^a]$", "\n", true),
        ("é", "café", true),
        ("^abc$", "abc", true),
        ("^abc$", "abcd", false),
        ("^abc$", "abc\n", false),
        ("abc$", "xabc", true),
        ("^abc", "xabc", false),
        ("a^b", "a^b", false),
        ("a$b", "ab", false),
        (#"\Aab\z"#, "ab", true),
        (#"\Aab\z"#, "abc", false),
        (#"\Aab\z"#, "xab", false),
        ("^$", "", true),
        ("^$", "a", false),
        ("$", "abc", true),
        ("^*a", "a", true),
        ("cat|dog", "hotdog", true),
        ("cat|dog", "cow", false),
        ("^(cat|dog)$", "dog", true),
        ("^(cat|dog)$", "dogs", false),
        ("a|", "b", true),
        ("|", "", true),
        ("^(|a)$", "a", true),
        ("^(|a)$", "", true),
        ("^(a|ab)(c|bcd)$", "abcd", true),
        ("^(a|b|c)$", "c", true),
        ("^(a|b|c)$", "d", false),
        ("^(?:ab)+$", "abab", true),
        ("^(?:ab)+$", "aba", false),
        ("^(?P<x>ab)c$", "abc", true),
        ("^(?<x>a)b$", "ab", true),
        ("()", "", true),
        ("^()$", "", true),
        ("^(())a$", "a", true),
        (#"^(?:eth|en)\w+$"#, "eth0", true),
        (#"^(?:eth|en)\w+$"#, "enp3s0", true),
        (#"^(?:eth|en)\w+$"#, "wlan0", false),
        (#"^(?:eth|en)\w+$"#, "eth", false),
        ("^a*$", "", true),
        ("^a*$", "aaa", true),
        ("^a*$", "aab", false),
        ("^a+$", "", false),
        ("^a+$", "aa", true),
        ("^ab?c$", "ac", true),
        ("^ab?c$", "abc", true),
        ("^ab?c$", "abbc", false),
        ("^a{3}$", "aaa", true),
        ("^a{3}$", "aa", false),
        ("^a{3}$", "aaaa", false),
        ("^a{2,}$", "a", false),
        ("^a{2,}$", "aaaaa", true),
        ("^a{2,3}$", "aaa", true),
        ("^a{2,3}$", "aaaa", false),
        ("^a{2,3}$", "a", false),
        ("^a{0}b$", "b", true),
        ("^a{0,0}b$", "ab", false),
        ("^a{0,1}$", "", true),
        ("^(ab){2}$", "abab", true),
        ("^(a|b){2,3}$", "aba", true),
        ("^(a|b){2,3}$", "a", false),
        ("^(a*)*$", "aaa", true),
        ("^(a*)+b$", "b", true),
        ("^(a?){3}a{3}$", "aaa", true),
        ("^x*y*z*$", "xxzz", true),
        ("^x*y*z*$", "xzy", false),
        ("a{", "a{", true),
        ("a{x}", "a{x}", true),
        ("a{,2}", "a{,2}", true),
        ("x{01}", "x{01}", true),
        ("{", "{", true),
        ("a}", "a}", true),
        ("^a{1,x}$", "a{1,x}", true),
        ("^[abc]+$", "cab", true),
        ("^[abc]+$", "cabd", false),
        ("^[a-c]$", "b", true),
        ("^[a-c]$", "d", false),
        ("^[^a-c]$", "d", true),
        ("^[^a-c]$", "b", false),
        ("^[a-]$", "-", true),
        ("^[-a]$", "-", true),
        ("^[a-c-e]$", "-", true),
        ("^[a-c-e]$", "d", false),
        ("^[0-9a-fA-F]+$", "09afAF", true),
        ("^[]a]$", "]", true),
        ("^[]a]$", "a", true),
        ("^[^]a]$", "b", true),
        ("^[^]a]$", "]", false),
        ("]", "]", true),
        ("^[[]$", "[", true),
        ("^[a.]$", "x", false),
        ("^[.]$", ".", true),
        (#"^[\]]$"#, "]", true),
        (#"^[\-a]$"#, "-", true),
        (#"^[\\]$"#, "\\", true),
        (#"^[\.]$"#, ".", true),
        (#"^[\.]$"#, "a", false),
        (#"^[\d.]+$"#, "1.5", true),
        (#"[\d.]+"#, "v1", true),
        (#"[\d.]+"#, "abc", false),
        (#"^[\w-]+$"#, "eth-0_1", true),
        (#"^[\s]$"#, " ", true),
        (#"^[\t]$"#, "\t", true),
        (#"^[a\-z]$"#, "b", false),
        ("^[[:alpha:]]+$", "abcXYZ", true),
        ("^[[:alpha:]]+$", "ab1", false),
        ("^[[:digit:][:upper:]]+$", "A1", true),
        ("^[[:^alpha:]]$", "1", true),
        ("^[[:^alpha:]]$", "a", false),
        ("^[[:xdigit:]]+$", "0aF", true),
        ("^[[:xdigit:]]+$", "g", false),
        ("^[[:punct:]]$", "!", true),
        ("^[[:word:]]+$", "a_1", true),
        ("[[:space:]]", "a b", true),
        ("^[^[:digit:]]$", "a", true),
        ("^[^[:digit:]]$", "5", false),
        ("^[[:alpha]$", "p", true),
        (#"^\d+$"#, "123", true),
        (#"^\d+$"#, "12a", false),
        (#"^\w+$"#, "eth0_1", true),
        (#"^\w+$"#, "eth-0", false),
        (#"\s"#, "a b", true),
        (#"\s"#, "ab", false),
        (#"^\D+$"#, "abc", true),
        (#"^\D+$"#, "a1", false),
        (#"^\W$"#, "-", true),
        (#"^\W$"#, "_", false),
        (#"^\S+$"#, "ab", true),
        (#"^\S+$"#, "a b", false),
        (#"\d"#, "٣", false),
        (#"\w"#, "é", false),
        (#"\s"#, "\u{B}", false),
        (#"^\W$"#, "é", true),
        (#"\s\S\D\W"#, " xa-", true),
        (#"\s\S\D\W"#, " x1-", false),
        (#"^a\.b$"#, "a.b", true),
        (#"^a\.b$"#, "axb", false),
        (#"^\\$"#, "\\", true),
        (#"^\*\+\?\(\)\[\]\{\}\|\^\$$"#, "*+?()[]{}|^$", true),
        (#"^\-$"#, "-", true),
        (#"^a\tb$"#, "a\tb", true),
        (#"^\n$"#, "\n", true),
        (#"^\r\f\v\a$"#, "\r\u{C}\u{B}\u{7}", true),
        (#"^/var/lib/docker/.+\.sock$"#, "/var/lib/docker/x.sock", true),
        (#"^/var/lib/docker/.+\.sock$"#, "/var/lib/docker/.sock", false),
        (#"^/var/lib/docker/.+\.sock$"#, "/var/lib/docker/x.socks", false),
    ]

    @Test(arguments: matchTable)
    func matchesAsGo(pattern: String, text: String, matches: Bool) throws {
        #expect(try Pattern(pattern).matches(text) == matches)
    }

    @Test(arguments: ["a*?", "(?=x)", "(?i)abc", #"\p{L}"#, "[abc", #"x\"#, #"[\D]"#])
    func refusesWhatPOSIXCannotMatchTheSameWay(pattern: String) {
        #expect(throws: PatternError.self) { try Pattern(pattern) }
    }

    @Test(arguments: [
        ("a*?", "lazy quantifiers (*?) are not supported"),
        ("a+?", "lazy quantifiers (+?) are not supported"),
        ("a??", "lazy quantifiers (??) are not supported"),
        ("a{2,3}?", "lazy quantifiers ({2,3}?) are not supported"),
        ("(?=x)", "look-around ((?=…), (?!…), (?<=…), (?<!…)) is not supported"),
        ("(?!x)", "look-around ((?=…), (?!…), (?<=…), (?<!…)) is not supported"),
        ("(?<=x)", "look-around ((?=…), (?!…), (?<=…), (?<!…)) is not supported"),
        ("(?<!x)", "look-around ((?=…), (?!…), (?<=…), (?<!…)) is not supported"),
        ("(?i)abc", "inline flags and other (?…) groups are not supported"),
        ("(?P<>a)", "invalid named group: (?P<name>…)"),
        (#"(a)\1"#, #"backreferences (\1) are not supported"#),
        (#"\p{L}"#, #"Unicode classes (\p) are not supported"#),
        (#"\b"#, #"the escape \b is not supported"#),
        (#"\x41"#, #"the escape \x is not supported"#),
        (#"x\"#, "trailing backslash"),
        (#"[\D]"#, #"\D inside [] is not supported"#),
        ("[abc", "missing ]: a [ is not closed"),
        ("[]", "missing ]: a [ is not closed"),
        ("(ab", "missing ): a ( is not closed"),
        ("ab)", "unexpected ): no ( to close"),
        ("*a", "missing argument to repetition operator *"),
        ("a|+", "missing argument to repetition operator +"),
        ("(?", "inline flags and other (?…) groups are not supported"),
        ("(?:?)", "missing argument to repetition operator ?"),
        ("{2}", "missing argument to repetition operator {"),
        ("a**", "invalid nested repetition operator **: put the first in parentheses"),
        ("a{2}{3}", "invalid nested repetition operator {2}{3}: put the first in parentheses"),
        ("[z-a]", "invalid character class range z-a: the end comes before the start"),
        (#"[a-\d]"#, "invalid character class range: a class cannot end a range"),
        ("[[:foo:]]", "invalid character class [:foo:]"),
        ("a{1001}", "invalid repeat count {1001}: at most 1000"),
        ("a{3,2}", "invalid repeat count {3,2}: the maximum is below the minimum"),
        ("(?:a{1000}){11}", "the pattern is too large: more than 10000 instructions once its repetitions are expanded"),
        (
            String(repeating: "(", count: 201) + String(repeating: ")", count: 201),
            "the pattern nests more than 200 parentheses deep"
        ),
    ])
    func refusesWithAReason(pattern: String, reason: String) {
        #expect(throws: PatternError(reason: reason)) { try Pattern(pattern) }
    }

    @Test func expandsBoundedRepetitionUpToTheLimit() throws {
        let thousand = String(repeating: "a", count: 1000)
        #expect(try Pattern("^a{1000}$").matches(thousand))
        #expect(try !Pattern("^a{1000}$").matches(thousand + "a"))
        #expect(try Pattern("^(?:a{1000}){9}$").matches(String(repeating: thousand, count: 9)))
        // Repeating what matches only the empty string compiles to nothing, however many times.
        #expect(try Pattern("^((){1000}){1000}$").matches(""))
    }

    @Test func runsInLinearTime() throws {
        let text = String(repeating: "a", count: 2_000)
        #expect(try !Pattern("(a*)*b").matches(text))
        #expect(try !Pattern("(a|aa)*c").matches(text))
        #expect(try !Pattern("^(a?){50}a{50}$").matches(String(repeating: "a", count: 49)))
        #expect(try Pattern("^(a?){50}a{50}$").matches(String(repeating: "a", count: 50)))
    }

    @Test(arguments: [
        ("sda", false), ("sda1", true), ("nvme0n1", false), ("nvme0n1p2", true), ("loop7", true), ("dm-0", false),
        ("mmcblk0p1", false), ("xvda3", true), ("zram0", true), ("sr0", false), ("hda1", true), ("vdb", false),
        ("vdb2", true), ("ram0", true), ("fd0", true), ("nvme10n1p12", true), ("sda10", true), ("sdaa1", false),
        ("loop", false), ("md0", false),
    ])
    func nodeExportersDiskExcludeMatchesAsInGo(device: String, excluded: Bool) throws {
        let pattern = try Pattern(HostCollectorOptions.defaultDiskStatsDeviceExclude)
        #expect(pattern.matches(device) == excluded)
    }

    @Test(arguments: [
        ("/dev", true), ("/dev/shm", true), ("/proc", true), ("/run/credentials/x.service", true),
        ("/var/lib/docker/overlay2/abc", true), ("/", false), ("/home", false), ("/devices", false), ("/run", false),
        ("/sys", true), ("/sys/fs/cgroup", true), ("/system", false), ("/var/lib/containers/storage/overlay", true),
        ("/var/lib/docker", false), ("/run/credentials", false), ("/proc/sys/fs/binfmt_misc", true),
        ("/boot/efi", false),
    ])
    func nodeExportersMountPointExcludeMatchesAsInGo(mountPoint: String, excluded: Bool) throws {
        let pattern = try Pattern(HostCollectorOptions.defaultMountPointsExclude)
        #expect(pattern.matches(mountPoint) == excluded)
    }

    @Test(arguments: [
        ("ext4", false), ("xfs", false), ("tmpfs", false), ("nfs4", false), ("cgroup", true), ("cgroup2", true),
        ("cgroup3", false), ("overlay", true), ("squashfs", true), ("proc", true), ("procfs", true),
        ("fuse.sshfs", false), ("sysfs", true), ("devpts", true), ("autofsx", false), ("erofs", true),
    ])
    func nodeExportersFSTypeExcludeMatchesAsInGo(type: String, excluded: Bool) throws {
        let pattern = try Pattern(HostCollectorOptions.defaultFSTypesExclude)
        #expect(pattern.matches(type) == excluded)
    }

    @Test(arguments: [
        ("Ip_Forwarding", true), ("Ip_InReceives", false), ("IpExt_InOctets", true), ("Ip6_OutOctets", true),
        ("Ip6_InOctets", true), ("Icmp_InMsgs", true), ("Icmp6_OutMsgs", true), ("Icmp_InErrors", true),
        ("Udp_InErrors", true), ("Tcp_InErrs", true), ("TcpExt_ListenDrops", true), ("TcpExt_ListenOverflows", true),
        ("TcpExt_SyncookiesSent", true), ("TcpExt_TCPSynRetrans", true), ("TcpExt_TCPTimeouts", true),
        ("TcpExt_TCPTimeoutsX", false), ("TcpExt_TW", false), ("Tcp_CurrEstab", true), ("Tcp_MaxConn", false),
        ("Udp_RcvbufErrors", true), ("Udp6_NoPorts", true), ("UdpLite_InDatagrams", false),
        ("UdpLite_InErrors", true), ("Tcp_InCsumErrors", false), ("IpExt_InNoRoutes", false),
    ])
    func nodeExportersNetStatFieldsMatchAsInGo(key: String, reported: Bool) throws {
        let pattern = try Pattern(HostCollectorOptions.defaultNetStatFields)
        #expect(pattern.matches(key) == reported)
    }

    @Test(arguments: [
        ("oom_kill", true), ("pgpgin", true), ("pgpgout", true), ("pswpin", true), ("pgfault", true),
        ("pgmajfault", true), ("nr_free_pages", false), ("pgfree", false), ("pgscan_kswapd", false),
        ("thp_fault_alloc", false), ("numa_hint_faults", false),
    ])
    func nodeExportersVMStatFieldsMatchAsInGo(field: String, reported: Bool) throws {
        let pattern = try Pattern(HostCollectorOptions.defaultVMStatFields)
        #expect(pattern.matches(field) == reported)
    }

    @Test func matchesAnywhereUnlessAnchored() throws {
        #expect(try Pattern("eth").matches("veth1a2b"))
        #expect(try !Pattern("^eth").matches("veth1a2b"))
    }

    @Test func keepsItsSource() throws {
        #expect(try Pattern(#"^(?:eth|en)\w+$"#).source == #"^(?:eth|en)\w+$"#)
    }
}

/// Random small patterns and texts from `Tests/Fixtures/pattern/generate.py`, with Python's `re.search` results (the
/// generator keeps to syntax Go and Python read the same way).
@Suite struct PatternVectorTests {
    @Test func matchesAsPythonOnRandomVectors() throws {
        let vectors = try String(contentsOfFile: Fixtures.directory + "/pattern/vectors.tsv", encoding: .utf8)
        var count = 0
        for line in vectors.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            try #require(fields.count == 3)
            let (pattern, text, expected) = (String(fields[0]), String(fields[1]), fields[2] == "1")
            #expect(try Pattern(pattern).matches(text) == expected, "\(pattern) on \"\(text)\"")
            count += 1
        }
        #expect(count == 1800)
    }
}
