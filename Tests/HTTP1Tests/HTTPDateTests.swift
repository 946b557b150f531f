import HTTP1
import Testing

@Suite struct HTTPDateTests {
    @Test(
        arguments: [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (946_684_799, "Fri, 31 Dec 1999 23:59:59 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
            (1_709_208_000, "Thu, 29 Feb 2024 12:00:00 GMT"),
            (4_107_542_399, "Sun, 28 Feb 2100 23:59:59 GMT"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (253_402_300_800, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (Int64.max, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (-1, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (Int64.min, "Thu, 01 Jan 1970 00:00:00 GMT"),
        ] as [(Int64, String)])
    func formatsIMFFixdate(seconds: Int64, expected: String) {
        #expect(HTTPDate.imfFixdate(secondsSinceEpoch: seconds) == expected)
    }

    @Test func everyDayOfAYearHasTheFixedLength() {
        for day in Int64(0)..<366 {
            let date = HTTPDate.imfFixdate(secondsSinceEpoch: 1_704_067_200 + day * 86_400 + 86_399)
            #expect(date.utf8.count == 29, "\(date)")
            #expect(date.hasSuffix(" 23:59:59 GMT"), "\(date)")
        }
        #expect(HTTPDate.imfFixdate(secondsSinceEpoch: 1_704_067_200 + 365 * 86_400) == "Tue, 31 Dec 2024 00:00:00 GMT")
    }
}
