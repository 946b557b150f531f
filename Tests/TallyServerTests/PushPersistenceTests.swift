import Testing

@testable import TallyServer

@Suite struct PushPersistenceTests {
    @Test(arguments: [
        ("/var/lib/tally/push.state", "/var/lib/tally", "push.state"), ("state", ".", "state"), ("/x", "/", "x"),
    ])
    func splitsPaths(path: String, directory: String, base: String) {
        #expect(PushPersistence.directoryName(of: path) == directory)
        #expect(PushPersistence.baseName(of: path) == base)
    }
}
