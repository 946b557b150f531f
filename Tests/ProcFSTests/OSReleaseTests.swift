import ProcFS
import Testing

@Suite struct OSReleaseTests {
    @Test(arguments: [
        ("NAME=\"Debian GNU/Linux\"\n", "NAME", "Debian GNU/Linux"),
        ("ID=debian\n", "ID", "debian"),
        ("NAME='Single quoted'\n", "NAME", "Single quoted"),
        ("NAME=mixed\" quoted \"'and single'\n", "NAME", "mixed quoted and single"),
        ("export ID=alpine\n", "ID", "alpine"),
        ("  ID = spaced  \n", "ID", "spaced"),
        ("ID=fedora # a comment\n", "ID", "fedora"),
        ("NAME=\"with # inside\"\n", "NAME", "with # inside"),
        ("NAME=\"esc \\\"q\\\" \\\\ \\/ \\t\"\n", "NAME", "esc \"q\" \\ / \t"),
        ("NAME=\"caf\\u00e9 \\ud83d\\ude00\"\n", "NAME", "café 😀"),
        ("NAME=\"Ubuntu\"\r\n", "NAME", "Ubuntu"),
        ("ID=first\nID=second", "ID", "second"),
        ("# comment only\n\nID=x\n", "ID", "x"),
        ("VARIANT_ID=\n", "VARIANT_ID", ""),
        ("ID=a\nID=\n", "ID", "a"),
        ("DOTTED.KEY/x=1\n", "DOTTED.KEY/x", "1"),
    ])
    func parsesValuesAsGoEnvparse(input: String, key: String, expected: String) throws {
        #expect(try OSRelease.parse(bytes(input))[key] == expected)
    }

    @Test func anEmptyValueIsAbsent() throws {
        let release = try OSRelease.parse(bytes("ID=x\nVARIANT=\nNAME=''\n"))
        #expect(release.fields == ["ID": "x"])
    }

    @Test(arguments: [
        ("ID\n", 1),
        ("ID=x\n=value\n", 2),
        ("1ID=x\n", 1),
        ("ID-X=x\n", 1),
        ("ID=x\nNAME=\"unterminated\n", 2),
        ("NAME='unterminated\n", 1),
        ("NAME=\"bad \\q escape\"\n", 1),
        ("NAME=\"short \\u12\"\n", 1),
        ("NAME=\"half \\ud83d pair\"\n", 1),
        ("NAME=\"ends in \\", 1),
        ("NAME=a\u{7}b\n", 1),
    ])
    func rejectsMalformedLines(input: String, line: Int) {
        #expect(malformedLine { () throws(ProcFSError) in try OSRelease.parse(bytes(input)) } == line)
    }

    @Test(arguments: [
        ("12", 12.0), ("22.04", 22.04), ("3.18.4", 3.18), ("7.", 7.0), ("rolling", 0), ("", 0), (".5", 0),
        ("2024.1-beta", 2024.1),
    ])
    func takesTheMajorMinorVersion(versionID: String, expected: Double) throws {
        #expect(try OSRelease.parse(bytes("VERSION_ID=\(versionID)\n")).majorMinorVersion == expected)
    }

    @Test func readsTheFixture() throws {
        let release = try KernelFile(path: Fixtures.directory + "/root/etc/os-release").parse(OSRelease.parse)
        #expect(release["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)")
        #expect(release["VERSION_CODENAME"] == "bookworm")
        #expect(release["ID_LIKE"] == "")
        #expect(release.majorMinorVersion == 12)
        #expect(release.fields.count == 9)
    }
}
