import PGRaftTestSupport
import Testing

@testable import PGRaftKit

@Suite struct FrameDecoderTests {
    @Test func aFrameRoundTripsWhateverTheReadBoundaries() throws {
        let frames = [Frame(type: 7, payload: Array("hello".utf8)), Frame(type: 65535, payload: []), Frame(type: 1, payload: Array(repeating: 0xAB, count: 70_000))]
        let bytes = frames.flatMap { $0.encoded() }
        for chunk in [1, 3, 7, 1000, bytes.count] {
            var decoder = FrameDecoder()
            var out: [Frame] = []
            var offset = 0
            while offset < bytes.count {
                decoder.feed(bytes[offset..<min(offset + chunk, bytes.count)])
                offset += chunk
                while let frame = try decoder.next() { out.append(frame) }
            }
            #expect(out == frames, "chunk size \(chunk)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func anAbsurdLengthIsRefusedFromTheHeaderAlone() {
        var decoder = FrameDecoder(maxPayload: 1024)
        decoder.feed([0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: FrameError.lengthTooLarge(0x7FFF_FFFF, limit: 1024)) { try decoder.next() }
    }

    @Test func aLengthTooSmallForTheHeaderIsRefused() {
        var decoder = FrameDecoder()
        decoder.feed([0, 0, 0, 2, 1, 0])
        #expect(throws: FrameError.lengthTooSmall(2)) { try decoder.next() }
    }

    @Test func aForeignVersionIsRefused() {
        var decoder = FrameDecoder()
        decoder.feed([0, 0, 0, 3, 9, 0, 1])
        #expect(throws: FrameError.unsupportedVersion(9)) { try decoder.next() }
    }

    @Test func aHalfFrameWaitsForTheRest() throws {
        var decoder = FrameDecoder()
        let bytes = Frame(type: 2, payload: [1, 2, 3]).encoded()
        decoder.feed(bytes.dropLast())
        #expect(try decoder.next() == nil)
        decoder.feed(bytes.suffix(1))
        #expect(try decoder.next() == Frame(type: 2, payload: [1, 2, 3]))
    }

    /// Random bytes never crash the decoder: each input ends in frames, a wait for more, or an error.
    @Test func randomBytesGiveFramesOrErrorsNeverACrash() {
        var generator = SeededRandom(seed: 0x5EED)
        for _ in 0..<20_000 {
            var decoder = FrameDecoder(maxPayload: 4096)
            let count = Int(generator.next() % 64)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if generator.next() % 2 == 0 && bytes.count > 4 { bytes[4] = Frame.currentVersion }
            decoder.feed(bytes)
            var consumed = 0
            while let frame = try? decoder.next() {
                consumed += Frame.headerSize + frame.payload.count
            }
            #expect(consumed <= bytes.count)
        }
    }
}
