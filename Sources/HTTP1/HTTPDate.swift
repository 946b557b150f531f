/// The HTTP date format (RFC 9110 §5.6.7).
public enum HTTPDate {
    private static let dayNames: [StaticString] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let monthNames: [StaticString] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    /// 9999-12-31T23:59:59Z, the last second with a four-digit year.
    private static let latestSecond: Int64 = 253_402_300_799

    /// The IMF-fixdate for a time in seconds since 1970-01-01T00:00:00Z, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    /// Times before 1970 or after year 9999 are clamped to those bounds.
    public static func imfFixdate(secondsSinceEpoch: Int64) -> String {
        let seconds = min(max(secondsSinceEpoch, 0), latestSecond)
        let days = Int(seconds / 86_400)
        let secondOfDay = Int(seconds % 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(29)
        bytes.append(dayNames[days % 7])
        bytes.append(", " as StaticString)
        appendTwoDigits(day, to: &bytes)
        bytes.append(ASCII.space)
        bytes.append(monthNames[month - 1])
        bytes.append(ASCII.space)
        appendTwoDigits(year / 100, to: &bytes)
        appendTwoDigits(year % 100, to: &bytes)
        bytes.append(ASCII.space)
        appendTwoDigits(secondOfDay / 3600, to: &bytes)
        bytes.append(ASCII.colon)
        appendTwoDigits(secondOfDay / 60 % 60, to: &bytes)
        bytes.append(ASCII.colon)
        appendTwoDigits(secondOfDay % 60, to: &bytes)
        bytes.append(" GMT" as StaticString)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Year, month (1-12) and day (1-31) of the proleptic Gregorian calendar for a non-negative day count since
    /// 1970-01-01, counting in 400-year eras that start on 0000-03-01 (so the leap day ends a year).
    private static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let daysSinceMarch0000 = daysSinceEpoch + 719_468
        let era = daysSinceMarch0000 / 146_097
        let dayOfEra = daysSinceMarch0000 - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func appendTwoDigits(_ value: Int, to bytes: inout [UInt8]) {
        bytes.append(ASCII.zero + UInt8(value / 10))
        bytes.append(ASCII.zero + UInt8(value % 10))
    }
}
