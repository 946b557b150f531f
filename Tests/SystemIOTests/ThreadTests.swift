import Glibc
import Synchronization
import SystemIO
import Testing

@Suite struct ThreadTests {
    @Test func spawnedThreadRunsWithItsNameTruncatedTo15Bytes() throws {
        let observed = Mutex<(name: String, sameThread: Bool)?>(nil)
        let caller = pthread_self()
        let thread = try spawnThread(name: "tally-scrape-worker-1") {
            var buffer = [UInt8](repeating: 0, count: 64)
            let file = open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC)
            let count = read(file, &buffer, buffer.count)
            close(file)
            let name = String(decoding: buffer[..<max(count, 0)], as: UTF8.self)
            observed.withLock { $0 = (name, pthread_equal(pthread_self(), caller) != 0) }
        }
        thread.join()
        let result = try #require(observed.withLock { $0 })
        #expect(result.name == "tally-scrape-wo\n")
        #expect(!result.sameThread)
    }
}
