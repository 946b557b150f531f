import Testing

@testable import TallyServer

@Suite struct PushStateFilesTests {
    @Test(arguments: [
        ("/var/lib/tally/push.state", "/var/lib/tally", "push.state"), ("state", ".", "state"), ("/x", "/", "x"),
    ])
    func splitsPaths(path: String, directory: String, base: String) {
        #expect(PushStateFiles.directoryName(of: path) == directory)
        #expect(PushStateFiles.baseName(of: path) == base)
    }
}
