import OTLP
import Testing

/// Mutated vectors, from a seeded generator: the decoders must return a value or an error on every input, never
/// trap (a trap ends the test process).
@Suite struct MutationTests {
    static func mutate(_ original: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { break }
            let index = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 2: bytes.remove(at: index)
            case 3: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
            case 4: bytes.removeSubrange(index...)
            default:
                let end = Swift.min(bytes.count, index + Int.random(in: 1...16, using: &random))
                bytes.insert(contentsOf: bytes[index..<end], at: index)
            }
        }
        return bytes
    }

    @Test(arguments: Vectors.entries(format: "protobuf").map { $0.file })
    func protobufDecoderNeverTrapsOnMutatedVectors(_ file: String) {
        let original = Vectors.bytes(file)
        var random = SeededGenerator(seed: 0x07_1F00 &+ UInt64(original.count))
        var accepted = 0
        for _ in 0..<2_000 {
            let bytes = Self.mutate(original, using: &random)
            if (try? protobufDump(bytes)) != nil { accepted += 1 }
        }
        // Some mutations land in values and still decode; the count only shows both paths ran.
        #expect(accepted <= 2_000)
    }

    @Test func protobufDecoderNeverTrapsOnRandomBytes() {
        var random = SeededGenerator(seed: 0x0BAD_5EED)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            _ = try? protobufDump(bytes)
        }
    }

    @Test(arguments: Vectors.entries(format: "json").map { $0.file })
    func jsonDecoderNeverTrapsOnMutatedVectors(_ file: String) {
        let original = Vectors.bytes(file)
        var random = SeededGenerator(seed: 0x0A5_0000 &+ UInt64(original.count))
        for _ in 0..<1_000 {
            _ = try? jsonDump(Self.mutate(original, using: &random))
        }
    }
}
