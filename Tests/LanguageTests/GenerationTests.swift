import Deterministic
import Testing
@testable import Language

/// A stand-in model that spells out `script` whatever it is shown: the logits put 10 on the
/// next byte of the script after the prompt (or on eos once the script is done).
private struct ScriptedModel {
    let script: [Int32]
    let promptTokens: Int
    var contexts: [[Int32]] = []
    var calls = 0

    init(_ script: String, prompt: String, eos: Bool = false) {
        self.script = ByteTokenizer.encode(script) + (eos ? [ByteTokenizer.eos] : [])
        promptTokens = ByteTokenizer.encode(prompt, bos: true).count
    }

    mutating func logits(_ context: [Int32]) -> [Float] {
        contexts.append(context)
        var logits = [Float](repeating: 0, count: ByteTokenizer.vocabularySize)
        logits[Int(calls < script.count ? script[calls] : ByteTokenizer.eos)] = 10
        calls += 1
        return logits
    }
}

@Suite struct GenerationTests {
    private func run(_ script: String, prompt: String = "Q:", eos: Bool = false,
                     _ options: GenerationOptions) -> (Generation, ScriptedModel) {
        var model = ScriptedModel(script, prompt: prompt, eos: eos)
        var rng = DeterministicRNG(seed: 1)
        var streamed: [String] = []
        let result = generate(prompt: prompt, options: options, rng: &rng, onToken: { streamed.append($0) }) {
            model.logits($0)
        }
        #expect(streamed == result.pieces)
        #expect(result.pieces.joined() == result.text)
        #expect(result.pieces.count == result.tokens)
        return (result, model)
    }

    @Test func stopsAtAStopStringAndLeavesItOut() {
        let (result, model) = run("hello world. more", GenerationOptions(temperature: 0, stop: ["xyz", ". m"]))
        #expect(result.text == "hello world")
        #expect(result.finishReason == .stop)
        #expect(result.tokens == 14)  // the stop string's last byte completes it
        #expect(model.calls == 14)
        #expect(result.promptTokens == 3)
    }

    @Test func textThatOnlyMightBeAStopIsHeldBackThenReleased() {
        let (result, _) = run("a lot, lots", GenerationOptions(maxTokens: 11, temperature: 0, stop: ["lots!"]))
        #expect(result.text == "a lot, lots")
        #expect(result.finishReason == .length)
        // "lot" waits for the byte that rules "lots!" out; "lots" is released only at the end.
        #expect(result.pieces == ["a", " ", "", "", "", "lot,", " ", "", "", "", "lots"])
    }

    @Test func earliestStopWinsAndAStopAtTheFirstTokenGivesNoText() {
        #expect(run("abc", GenerationOptions(temperature: 0, stop: ["c", "b"])).0.text == "a")
        let (first, _) = run("abc", GenerationOptions(temperature: 0, stop: ["", "a"]))
        #expect(first.text == "" && first.finishReason == .stop && first.tokens == 1)
    }

    @Test func maxTokensIsRespected() {
        let (result, model) = run("hello world", GenerationOptions(maxTokens: 3, temperature: 0))
        #expect(result.text == "hel" && result.tokens == 3 && result.finishReason == .length)
        #expect(model.calls == 3)
        let (none, silent) = run("hello", GenerationOptions(maxTokens: 0))
        #expect(none.text == "" && none.tokens == 0 && none.finishReason == .length && silent.calls == 0)
    }

    @Test func eosEndsGeneration() {
        let (result, _) = run("ok", eos: true, GenerationOptions(maxTokens: 10, temperature: 0))
        #expect(result.text == "ok" && result.tokens == 3 && result.finishReason == .eos)
    }

    @Test func multiByteCharactersStreamWhole() {
        let (result, _) = run("é🙂!", GenerationOptions(maxTokens: 7, temperature: 0))
        #expect(result.pieces == ["", "é", "", "", "", "🙂", "!"])
        // Cut inside a character: the incomplete bytes end as one replacement character.
        let (cut, _) = run("🙂", GenerationOptions(maxTokens: 2, temperature: 0))
        #expect(cut.text == "\u{FFFD}")
    }

    @Test func contextIsCappedToTheLatestTokens() {
        let (_, model) = run("abcdefgh", prompt: "xy", GenerationOptions(maxTokens: 8, temperature: 0, contextLength: 4))
        #expect(model.contexts[0] == ByteTokenizer.encode("xy", bos: true))
        #expect(model.contexts.allSatisfy { $0.count <= 4 })
        #expect(model.contexts.last == ByteTokenizer.encode("defg"))
    }

    @Test func samplingIsDeterministicForASeed() {
        var noise = DeterministicRNG(seed: 9)
        let table = (0..<64).map { _ in (0..<260).map { _ in Float(noise.nextGaussian() * 2) } }
        func sample(_ seed: UInt64) -> Generation {
            var rng = DeterministicRNG(seed: seed)
            return generate(prompt: "hi", options: GenerationOptions(maxTokens: 40, temperature: 1, topK: 50, topP: 0.95),
                            rng: &rng) { table[$0.count % 64] }
        }
        #expect(sample(3) == sample(3))
        #expect(sample(3).text != sample(4).text)
    }
}
