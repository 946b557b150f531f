import ProcFS
import Testing

@Suite struct ProcessStatTests {
    /// Fields 3-52 of a real line after `<pid> (<comm>) `, with utime 150, stime 75, 6 threads, starttime 12345678,
    /// vsize 268435456 and rss 4567.
    static let tail =
        "S 1 4242 4242 0 -1 4194560 2345 0 3 0 150 75 0 0 20 0 6 0 12345678 268435456 4567 18446744073709551615 "
        + "94226890534912 94226890554793 140733590023360 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94226890570800 "
        + "94226890572416 94227668373504 140733590026928 140733590026948 140733590026948 140733590028267 0\n"

    @Test(arguments: [
        ("4242 (tally) ", "tally"),
        ("4242 (my prog) ", "my prog"),
        ("4242 (a) (b) ", "a) (b"),
        ("4242 ((x)) ", "(x)"),
        ("4242 () ", ""),
        ("4242 (tab\there) ", "tab\there"),
        ("4242 (🙂) ", "🙂"),
        ("  4242   (tally) ", "tally"),
    ])
    func takesTheCommandBetweenFirstAndLastParenthesis(prefix: String, command: String) throws {
        let stat = try ProcessStat.parse(bytes(prefix + Self.tail))
        #expect(stat.command == command)
        #expect(stat.pid == 4242)
        #expect(stat.state == "S")
        #expect(stat.parentPID == 1)
        #expect(stat.userTicks == 150)
        #expect(stat.systemTicks == 75)
        #expect(stat.threadCount == 6)
        #expect(stat.startTicks == 12_345_678)
        #expect(stat.virtualMemoryBytes == 268_435_456)
        #expect(stat.residentPages == 4567)
    }

    @Test func parsesALineCutAfterField24() throws {
        let stat = try ProcessStat.parse(bytes("1 (init) Z 0 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3 4 5"))
        #expect(stat.state == "Z")
        #expect(stat.parentPID == 0)
        #expect(
            [stat.userTicks, stat.systemTicks, stat.startTicks, stat.virtualMemoryBytes, stat.residentPages] == [
                1, 2, 3, 4, 5,
            ])
    }

    @Test(arguments: [
        "",
        "\n",
        "4242 tally S 1",
        "4242 (tally S 1 4242",
        "4242 tally) S 1 4242",
        "x (tally) " + tail,
        "4242 (tally)",
        "4242 (tally) S",
        "4242 (tally) SS 1 4242 4242 0 -1 4194560 2345 0 3 0 150 75 0 0 20 0 6 0 12345678 268435456 4567",
        "4242 (tally) S x 4242 4242 0 -1 4194560 2345 0 3 0 150 75 0 0 20 0 6 0 12345678 268435456 4567",
        "4242 (tally) S 1 4242 4242 0 -1 4194560 2345 0 3 0 150 75 0 0 20 0 6 0 12345678 268435456",
        "4242 (tally) S 1 4242 4242 0 -1 4194560 2345 0 3 0 -150 75 0 0 20 0 6 0 12345678 268435456 4567",
        "4242 (tally) S 1 4242 4242 0 -1 4194560 2345 0 3 0 18446744073709551616 75 0 0 20 0 6 0 1 2 3",
        "2147483648 (tally) " + tail,
    ])
    func rejectsMalformedInput(input: String) {
        #expect(malformedLine { () throws(ProcFSError) in try ProcessStat.parse(bytes(input)) } == 1)
    }

    @Test func readsTheFixture() throws {
        let stat = try KernelFile(path: Fixtures.proc.path("self/stat")).parse(ProcessStat.parse)
        #expect(stat.pid == 4242)
        #expect(stat.command == "tally")
        #expect(stat.userTicks + stat.systemTicks == 225)
        #expect(stat.startTicks == 12_345_678)
        #expect(stat.virtualMemoryBytes == 268_435_456)
        #expect(stat.residentPages == 4567)
    }
}
