import ProcFS
import Testing

@Suite struct SELinuxTests {
    @Test(arguments: [("1", 1), ("0\n", 0), (" 1 \n", 1)] as [(String, Int64)])
    func parsesTheEnforceFile(input: String, expected: Int64) throws {
        #expect(try SELinux.parseEnforce(bytes(input)) == expected)
    }

    @Test(arguments: ["", "\n", "enforcing\n", "1.0\n", "1 0\n"])
    func rejectsAMalformedEnforceFile(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try SELinux.parseEnforce(bytes(input)) } == 1)
    }

    @Test(arguments: [
        ("system_u:system_r:init_t:s0\0", "system_u:system_r:init_t:s0"),
        ("kernel\0", "kernel"),
        ("unconfined\n", "unconfined"),
        ("", ""),
    ])
    func parsesTheContext(input: String, expected: String) {
        #expect(SELinux.parseContext(bytes(input)) == expected)
    }

    @Test(
        arguments: [
            ("# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n", 1),
            ("SELINUX=permissive\n", 0),
            ("SELINUX=disabled\n", -1),
            ("  SELINUX=\"enforcing\"  \n", 1),
            ("; SELINUX=enforcing\nSELINUX=permissive\nSELINUX=enforcing\n", 0),
            ("SELINUXTYPE=targeted\nnot a setting\n", -1),
            ("SELINUX = enforcing\n", -1),
            ("", -1),
        ] as [(String, Int64)])
    func readsTheConfiguredMode(input: String, expected: Int64) {
        #expect(SELinux.parseConfiguredMode(bytes(input)) == expected)
    }
}
