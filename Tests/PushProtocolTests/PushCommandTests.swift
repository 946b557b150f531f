import PushProtocol
import Testing

@Suite struct PushCommandTests {
    @Test(arguments: ["foo:1|c", "!foo:1|c", "!delete foo|c", "", "foo", " !sync", "sync"])
    func isNotACommand(_ line: String) {
        #expect(parseCommand(line) == nil)
    }

    @Test(arguments: [
        ("!sync", PushCommand.sync),
        ("!sync  ", .sync),
        ("!delete foo", .delete(name: "foo", labels: nil)),
        ("!delete foo ", .delete(name: "foo", labels: nil)),
        ("!delete crypto.data.processed", .delete(name: "crypto_data_processed", labels: nil)),
        ("!delete  foo   a:1", .delete(name: "foo", labels: [PushLabel(name: "a", value: "1")])),
        (
            "!delete foo b:2,#a:1",
            .delete(name: "foo", labels: [PushLabel(name: "a", value: "1"), PushLabel(name: "b", value: "2")])
        ),
        ("!delete foo env:my prod", .delete(name: "foo", labels: [PushLabel(name: "env", value: "my prod")])),
        ("!delete 9lives k.x:v:w", .delete(name: "_9lives", labels: [PushLabel(name: "k_x", value: "v:w")])),
    ])
    func parsesCommand(_ line: String, _ expected: PushCommand) throws {
        #expect(try #require(parseCommand(line)).get() == expected)
    }

    @Test(arguments: [
        ("!", PushRejectionReason.unknownCommand),
        ("!SYNC", .unknownCommand),
        ("!sync now", .unknownCommand),
        ("!syncx", .unknownCommand),
        ("!flush all", .unknownCommand),
        ("!delete", .unknownCommand),
        ("!delete   ", .unknownCommand),
        ("!deletefoo", .unknownCommand),
        ("!delete foo a", .tagWithoutValue),
        ("!delete foo a:1,,b:2", .tagWithoutValue),
        ("!delete foo __a:1", .invalidTagKey),
    ])
    func refusesCommand(_ line: String, _ reason: PushRejectionReason) throws {
        let result = try #require(parseCommand(line))
        let refusal = try #require(rejection(result))
        #expect(refusal.reason == reason)
        #expect(!refusal.message.isEmpty)
    }

    @Test func refusesInvalidUTF8InDeleteArguments() throws {
        let name = try #require(parseCommand(bytes: Array("!delete ".utf8) + [0xC3, 0x28]))
        #expect(try #require(rejection(name)).reason == .invalidUTF8)
        let value = try #require(parseCommand(bytes: Array("!delete foo k:".utf8) + [0xFF]))
        #expect(try #require(rejection(value)).reason == .invalidUTF8)
    }

    @Test func unknownCommandMessageEchoesAShortPrintableExcerpt() throws {
        let line = "!" + String(repeating: "z", count: 500) + "\u{1B}"
        let result = try #require(parseCommand(line))
        let refusal = try #require(rejection(result))
        #expect(refusal.message.hasPrefix("unknown command '!zzz"))
        #expect(refusal.message.contains("...'"))
        #expect(refusal.message.utf8.count < 200)
    }

    @Test(arguments: [
        PushCommand.sync,
        .delete(name: "foo", labels: nil),
        .delete(
            name: "crypto_data_processed",
            labels: [PushLabel(name: "a", value: "x y:z"), PushLabel(name: "b", value: "ü")]),
    ])
    func roundTripsThroughItsEncoding(_ command: PushCommand) throws {
        var buffer: [UInt8] = []
        command.encode(into: &buffer)
        #expect(buffer.last == UInt8(ascii: "\n"))
        #expect(buffer.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        #expect(try #require(parseCommand(bytes: buffer.dropLast())).get() == command)
    }
}
