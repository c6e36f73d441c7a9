import Deterministic

/// Why generation ended.
public enum FinishReason: String, Sendable, Equatable {
    /// The text reached one of the stop strings.
    case stop
    /// `maxTokens` tokens were generated.
    case length
    /// The model chose eos.
    case eos
}

public struct GenerationOptions: Sendable, Equatable {
    public var maxTokens: Int
    public var temperature: Double
    public var topK: Int?
    public var topP: Double?
    /// Generation stops as soon as the text contains one of these; the text ends just before
    /// it. Empty strings are ignored.
    public var stop: [String]
    /// The model sees at most this many of the latest tokens (its context window); nil: all.
    public var contextLength: Int?

    /// The defaults are the HTTP API's (SPEC §4).
    public init(maxTokens: Int = 100, temperature: Double = 1, topK: Int? = 50, topP: Double? = 1,
                stop: [String] = [], contextLength: Int? = nil) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.stop = stop
        self.contextLength = contextLength
    }
}

/// The outcome of a generation.
public struct Generation: Sendable, Equatable {
    /// The generated text, without the prompt and without the stop string.
    public var text: String
    /// One piece of text per generated token (often empty: a character still incomplete, or
    /// text held back because it might begin a stop string); joined they are `text`.
    public var pieces: [String]
    /// The prompt's tokens, bos included.
    public var promptTokens: Int
    /// Tokens generated, eos included when it ended the generation.
    public var tokens: Int
    public var finishReason: FinishReason
}

/// Generation as a state machine that never calls the model itself (sans-IO, like NodeCore):
/// the caller shows `context` to the model, however and wherever it runs, and hands the logits
/// to `advance`, which returns the next piece of text, until `isFinished`. `generate(…)` is
/// the plain loop; a node that runs remote layers drives it from its own event loop.
public struct Generator: Sendable {
    public let options: GenerationOptions
    public let promptTokens: Int
    /// bos, the prompt, then the tokens generated so far (eos never enters it).
    public private(set) var tokens: [Int32]
    public private(set) var finishReason: FinishReason?
    private var generated = 0
    private var text = ""
    private var pieces: [String] = []
    private var decoder = StreamingDecoder()
    private let stops: [[UInt8]]
    /// Decoded bytes not yet emitted because they may be the start of a stop string.
    private var held: [UInt8] = []

    public init(prompt: String, options: GenerationOptions) {
        precondition(options.maxTokens >= 0, "maxTokens must not be negative")
        precondition(options.contextLength.map { $0 > 0 } ?? true, "contextLength must be positive")
        self.options = options
        tokens = ByteTokenizer.encode(prompt, bos: true)
        promptTokens = tokens.count
        stops = options.stop.filter { !$0.isEmpty }.map { Array($0.utf8) }
        if options.maxTokens == 0 { finishReason = .length }
    }

    public var isFinished: Bool { finishReason != nil }

    /// What the model must read to score the next token: the latest `contextLength` tokens.
    public var context: ArraySlice<Int32> {
        tokens.suffix(options.contextLength ?? tokens.count)
    }

    /// Chooses the next token from the model's logits for `context`; returns its text piece.
    public mutating func advance(logits: [Float], rng: inout DeterministicRNG) -> String {
        precondition(!isFinished, "generation has finished")
        let id = Sampler.choose(logits: logits, temperature: options.temperature,
                                topK: options.topK, topP: options.topP, rng: &rng)
        generated += 1
        var out: [UInt8]
        if id == ByteTokenizer.eos {
            out = release(Array(decoder.finish().utf8), final: true)
            if finishReason == nil { finishReason = .eos }
        } else {
            tokens.append(id)
            out = release(Array(decoder.push(id).utf8), final: false)
            if finishReason == nil && generated == options.maxTokens {
                out += release(Array(decoder.finish().utf8), final: true)
                if finishReason == nil { finishReason = .length }
            }
        }
        let piece = String(decoding: out, as: UTF8.self)
        text += piece
        pieces.append(piece)
        return piece
    }

    /// The result; complete once `isFinished`.
    public var result: Generation {
        Generation(text: text, pieces: pieces, promptTokens: promptTokens, tokens: generated,
                   finishReason: finishReason ?? .length)
    }

    /// Takes newly decoded text and returns what may be shown now. A stop string found ends
    /// generation and is cut off with everything after it; the longest tail that could still
    /// become a stop string is held back, unless this is the last text (`final`).
    ///
    /// Works on UTF-8 bytes: a valid stop string starts with a lead byte, so a match or a held
    /// tail always starts on a character boundary and the text shown is always whole characters.
    private mutating func release(_ bytes: [UInt8], final: Bool) -> [UInt8] {
        held += bytes
        if let cut = firstStop() {
            finishReason = .stop
            defer { held.removeAll() }
            return Array(held[..<cut])
        }
        let keep = final ? 0 : possibleStopStart()
        let out = Array(held.dropLast(keep))
        held.removeFirst(out.count)
        return out
    }

    /// Where the earliest stop string in `held` begins. Only `held` needs searching: text
    /// already shown has no tail that begins a stop string, or it would have been held.
    private func firstStop() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= held.count {
            for start in 0...(held.count - stop.count) where best.map({ start < $0 }) ?? true {
                if held[start..<(start + stop.count)].elementsEqual(stop) { best = start; break }
            }
        }
        return best
    }

    /// The length of the longest tail of `held` that is a proper prefix of a stop string.
    private func possibleStopStart() -> Int {
        let longest = min(held.count, (stops.map(\.count).max() ?? 1) - 1)
        for length in stride(from: longest, to: 0, by: -1) {
            let tail = held.suffix(length)
            if stops.contains(where: { $0.count > length && $0.prefix(length).elementsEqual(tail) }) {
                return length
            }
        }
        return 0
    }
}

/// Generates text after `prompt`, asking `nextLogits` for the scores of the next token given
/// the context (the latest `contextLength` tokens, starting with bos while they fit).
/// `onToken` receives each token's piece as it is produced, for streaming (a caller that must
/// be able to abandon a generation midway drives a `Generator` itself).
public func generate(prompt: String, options: GenerationOptions, rng: inout DeterministicRNG,
                     onToken: (String) -> Void = { _ in },
                     nextLogits: ([Int32]) throws -> [Float]) rethrows -> Generation {
    var generator = Generator(prompt: prompt, options: options)
    while !generator.isFinished {
        let logits = try nextLogits(Array(generator.context))
        onToken(generator.advance(logits: logits, rng: &rng))
    }
    return generator.result
}
