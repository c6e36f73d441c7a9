import Testing
@testable import Language

@Suite struct TokenizerTests {
    @Test func roundTripsUTF8IncludingMultiByteCharacters() {
        let text = "Hello, wörld — 日本語 🙂\n\u{0}tab\t"
        let ids = ByteTokenizer.encode(text)
        #expect(ids.count == text.utf8.count)
        #expect(ids.allSatisfy { $0 >= 4 && $0 < Int32(ByteTokenizer.vocabularySize) })
        #expect(ByteTokenizer.encode("A") == [65 + 4])
        #expect(ByteTokenizer.decode(ids) == text)
        let framed = ByteTokenizer.encode(text, bos: true, eos: true)
        #expect(framed.first == ByteTokenizer.bos && framed.last == ByteTokenizer.eos)
        #expect(ByteTokenizer.decode(framed) == text)
    }

    @Test func specialAndOutOfRangeIdsCarryNoText() {
        let ids: [Int32] = [ByteTokenizer.bos, 104 + 4, ByteTokenizer.pad, 105 + 4, ByteTokenizer.unk,
                            ByteTokenizer.eos, 260, -7]
        #expect(ByteTokenizer.decode(ids) == "hi")
    }

    @Test func invalidUTF8IsRepairedWithReplacementCharacters() {
        // A lone continuation byte, a truncated 3-byte sequence before ASCII, an overlong lead.
        let ids = [0x80, 0xE2, 0x82, 0x41, 0xC0].map { Int32($0) + 4 }
        #expect(ByteTokenizer.decode(ids) == "\u{FFFD}\u{FFFD}A\u{FFFD}")
    }

    @Test func streamingDecoderEmitsOnlyCompleteCharacters() {
        let text = "a€b🙂"  // € is 3 bytes, 🙂 is 4
        var decoder = StreamingDecoder()
        let pieces = ByteTokenizer.encode(text).map { decoder.push($0) }
        #expect(pieces == ["a", "", "", "€", "b", "", "", "", "🙂"])
        #expect(decoder.finish() == "")
    }

    @Test func streamingDecoderMatchesWholeDecodingOnArbitraryBytes() {
        // Every split of random bytes (valid and not) must give the same text as decoding at once.
        var state: UInt64 = 12345
        for _ in 0..<2000 {
            var ids: [Int32] = []
            for _ in 0..<12 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let pick = Int(state >> 33) % 10
                // Mostly bytes that build or break multi-byte sequences, some specials.
                let pool: [Int32] = [0x41, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x99, 0xED]
                ids.append(pick == 0 ? ByteTokenizer.eos : pool[Int(state >> 40) % pool.count] + 4)
            }
            var decoder = StreamingDecoder()
            let streamed = ids.map { decoder.push($0) }.joined() + decoder.finish()
            #expect(streamed == ByteTokenizer.decode(ids))
        }
    }

    @Test func unfinishedCharacterAtTheEndBecomesAReplacement() {
        var decoder = StreamingDecoder()
        #expect(decoder.push(0xE2 + 4) == "")
        #expect(decoder.push(0x82 + 4) == "")
        #expect(decoder.finish() == "\u{FFFD}")
        // An invalid second byte (E0 must be followed by A0…BF) is not held back.
        #expect(decoder.push(0xE0 + 4) == "")
        #expect(decoder.push(0x80 + 4) == "\u{FFFD}\u{FFFD}")
    }
}
