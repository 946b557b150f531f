import ProcFS
import Testing

@Suite struct FileNRTests {
    @Test(
        arguments: [
            ("2048\t0\t2500000\n", 2048, 0, 2_500_000),
            // systemd raises fs.file-max to LONG_MAX.
            ("382\t0\t9223372036854775807\n", 382, 0, 9_223_372_036_854_775_807),
            ("1 2 3", 1, 2, 3),
            ("  10\t0\t20\textra\n", 10, 0, 20),
        ] as [(String, UInt64, UInt64, UInt64)])
    func parsesTheLine(input: String, allocated: UInt64, free: UInt64, maximum: UInt64) throws {
        let counts = try FileNR.parse(bytes(input))
        #expect(counts.allocated == allocated)
        #expect(counts.free == free)
        #expect(counts.maximum == maximum)
    }

    @Test(arguments: [
        "", "\n", "2048\t0\n", "2048\n", "2048\t-1\t2500000\n", "2048\t0\t2.5e6\n", "a\t0\t1\n",
        "2048\t0\t18446744073709551616\n",
    ])
    func rejectsMalformedInput(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try FileNR.parse(bytes(input)) } == 1)
    }

    @Test func readsTheFixture() throws {
        let counts = try KernelFile(path: Fixtures.proc.path("sys/fs/file-nr")).parse(FileNR.parse)
        #expect(counts.allocated == 2048)
        #expect(counts.free == 0)
        #expect(counts.maximum == 2_500_000)
    }
}

@Suite struct KernelRandomTests {
    @Test(arguments: [("256\n", 256), ("4096", 4096), (" 0 \n", 0), ("3\nignored\n", 3)] as [(String, UInt64)])
    func parsesTheNumber(input: String, expected: UInt64) throws {
        #expect(try KernelRandom.parseBits(bytes(input)) == expected)
    }

    @Test(arguments: ["", "\n", "-1\n", "25.6\n", "256 512\n", "abc\n", "18446744073709551616\n"])
    func rejectsMalformedInput(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try KernelRandom.parseBits(bytes(input)) } == 1)
    }

    @Test func readsTheFixture() throws {
        let random = Fixtures.proc.path("sys/kernel/random/")
        #expect(try KernelFile(path: random + "entropy_avail").parse(KernelRandom.parseBits) == 256)
        #expect(try KernelFile(path: random + "poolsize").parse(KernelRandom.parseBits) == 256)
    }
}
