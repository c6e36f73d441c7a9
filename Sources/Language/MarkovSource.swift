import Deterministic

/// Genesis data whose best achievable loss is known exactly: a seeded order-k Markov chain over
/// a small alphabet of bytes.
///
/// Each context's next-symbol law is a draw from a symmetric Dirichlet(alpha): a small alpha
/// gives peaked rows (low entropy, much to learn), alpha → ∞ gives uniform rows (ln symbols
/// nats, nothing to learn). No model can beat the chain's own conditional probabilities, so
/// `entropyRate` and `expectedLoss(sequenceLength:)` are floors a trained model's loss
/// approaches from above; "loss − floor" is how far training still has to go.
///
/// Training windows are `bos` followed by a stretch of the chain in its stationary regime (see
/// `MarkovStream`). The first targets have less context than `order` symbols, which is why the
/// floor for a window is `expectedLoss`, slightly above `entropyRate`.
public struct MarkovSource: Sendable {
    /// Space, the letters by English frequency, punctuation, digits, capitals: the first
    /// `symbols` of these make the alphabet, so a small source reads like lowercase text.
    public static let defaultAlphabet: [UInt8] = Array(
        " etaoinsrhldcumfpgwybvkxjqz.,;:'!?-0123456789ETAOINSRHLDCUMFPGWYBVKXJQZ".utf8)
    /// The largest transition table (contexts × symbols) allowed: 32 MiB of Doubles.
    public static let maximumTableSize = 1 << 22

    /// The bytes the chain's symbols stand for; symbol i is `alphabet[i]`.
    public let alphabet: [UInt8]
    public let order: Int
    /// The Dirichlet concentration of the transition rows, and of the shard preferences.
    public let alpha: Double
    public let seed: UInt64
    let tables: MarkovTables
    /// The token id of each symbol.
    let tokens: [Int32]
    /// The symbol of each byte, -1 for bytes outside the alphabet.
    private let symbolOfByte: [Int]

    /// A random chain: `symbols` letters of `defaultAlphabet`, each context's row drawn from
    /// Dirichlet(alpha) with a generator split from `seed`.
    public init(symbols: Int = 16, order: Int = 2, alpha: Double = 0.2, seed: UInt64) {
        precondition((2...Self.defaultAlphabet.count).contains(symbols),
                     "a Markov source needs 2...\(Self.defaultAlphabet.count) symbols, not \(symbols)")
        precondition(alpha > 0 && alpha.isFinite, "alpha must be positive and finite")
        let contexts = Self.contextCount(symbols: symbols, order: order)
        var rng = DeterministicRNG(seed: seed).split("transitions")
        var transitions: [Double] = []
        transitions.reserveCapacity(contexts * symbols)
        for _ in 0..<contexts { transitions += rng.nextDirichlet(alpha: alpha, count: symbols) }
        self.init(alphabet: Array(Self.defaultAlphabet.prefix(symbols)), order: order,
                  transitions: transitions, alpha: alpha, seed: seed)
    }

    /// A chain with given transitions: row c (contexts numbered as in `transitions`) is the
    /// law of the next symbol after context c. Rows are renormalised; each must be
    /// non-negative with a positive sum.
    public init(alphabet: [UInt8], order: Int, transitions: [Double], alpha: Double = 1, seed: UInt64) {
        let n = alphabet.count
        precondition(n >= 2 && Set(alphabet).count == n, "the alphabet needs two or more distinct bytes")
        precondition(alpha > 0 && alpha.isFinite, "alpha must be positive and finite")
        let contexts = Self.contextCount(symbols: n, order: order)
        precondition(transitions.count == contexts * n,
                     "\(contexts) contexts × \(n) symbols need \(contexts * n) transitions, not \(transitions.count)")
        var rows = transitions
        for base in stride(from: 0, to: rows.count, by: n) {
            var sum = 0.0
            for j in base..<(base + n) {
                precondition(rows[j] >= 0 && rows[j].isFinite, "transition row \(base / n) has a bad entry")
                sum += rows[j]
            }
            precondition(sum > 0, "transition row \(base / n) is all zeros")
            for j in base..<(base + n) { rows[j] /= sum }
        }
        self.alphabet = alphabet
        self.order = order
        self.alpha = alpha
        self.seed = seed
        tables = MarkovTables(symbols: n, order: order, transitions: rows)
        tokens = alphabet.map(ByteTokenizer.id(byte:))
        var symbolOfByte = [Int](repeating: -1, count: 256)
        for (i, b) in alphabet.enumerated() { symbolOfByte[Int(b)] = i }
        self.symbolOfByte = symbolOfByte
    }

    private static func contextCount(symbols: Int, order: Int) -> Int {
        precondition(order >= 1, "the order must be at least 1")
        var count = 1
        for _ in 0..<order {
            count *= symbols
            precondition(count * symbols <= maximumTableSize,
                         "\(symbols) symbols at order \(order) make a table larger than \(maximumTableSize)")
        }
        return count
    }

    public var symbolCount: Int { alphabet.count }
    /// symbols^order: a context is the last `order` symbols as a base-`symbolCount` number,
    /// the most recent as the least significant digit.
    public var contextCount: Int { tables.contextCount }
    /// P(x | c) at c·symbolCount + x.
    public var transitions: [Double] { tables.transitions }
    /// π over contexts (π = πP).
    public var stationaryDistribution: [Double] { tables.stationary }

    /// The entropy rate Σ_c π(c)·H(P(·|c)) in nats per symbol: the best possible loss per
    /// token deep inside a window.
    public var entropyRate: Double { tables.positionEntropies[order] }

    /// H(X_t | X_1 … X_{t−1}) in nats for t = 1 … order + 1: the best possible loss at the t-th
    /// target of a window, which has seen only t − 1 symbols (and bos). From t = order + 1 on
    /// it is the entropy rate.
    public var positionEntropies: [Double] { tables.positionEntropies }

    /// The best achievable mean cross-entropy (nats per target) over windows of
    /// `sequenceLength` targets as `MarkovStream` draws them: the mean of the position
    /// entropies over t = 1 … sequenceLength. Divide by ln 2 (`bitsPerByte`) for bits.
    public func expectedLoss(sequenceLength: Int) -> Double {
        precondition(sequenceLength > 0, "a window needs at least one target")
        let h = tables.positionEntropies
        let early = min(sequenceLength, order)
        let total = h[..<early].reduce(0, +) + Double(sequenceLength - early) * h[order]
        return total / Double(sequenceLength)
    }

    /// The loss (mean nats per target) of the best possible predictor, the chain itself, on
    /// these targets (batch × sequence, each row a window from its start as `MarkovStream`
    /// draws them). On a validation set it is that set's exact floor, `expectedLoss` up to
    /// sampling noise. Infinite if a target is impossible under the chain.
    public func bayesLoss(targets: [Int32], sequence: Int) -> Double {
        precondition(sequence > 0 && !targets.isEmpty && targets.count % sequence == 0,
                     "targets must be whole rows of `sequence` tokens")
        let n = symbolCount, contexts = contextCount
        var total = 0.0
        for row in stride(from: 0, to: targets.count, by: sequence) {
            var state = 0
            for i in 0..<sequence {
                guard let b = ByteTokenizer.byte(id: targets[row + i]), symbolOfByte[Int(b)] >= 0 else {
                    return .infinity
                }
                let x = symbolOfByte[Int(b)]
                let p = i < order ? tables.prefixConditionals[i][state * n + x] : tables.transitions[state * n + x]
                total -= _log(p)
                state = (state * n + x) % contexts
            }
        }
        return total / Double(targets.count)
    }

    /// The training stream of shard `index` of `count`, with its own generator split from the
    /// seed, so shards differ from each other and each is the same in every run.
    ///
    /// `nonIID` = s ∈ [0, 1] tilts the shard's chain toward a preference of its own:
    /// P_i = (1 − s)·P + s·Q_i, Q_i's rows drawn from Dirichlet(alpha) for this shard. At s = 0
    /// every shard samples P itself (i.i.d. shards). Evaluation stays on P
    /// (`validationSet`), so the floor is still P's `expectedLoss`; with s > 0 no model
    /// trained on the shards' union sees P's data exactly, and the loss it reaches above that
    /// floor includes the cost of the heterogeneity. Each shard's own floor, on its own data,
    /// is its stream's `source.expectedLoss`.
    public func shard(_ index: Int, of count: Int, nonIID: Double = 0) -> MarkovStream {
        precondition(count > 0 && (0..<count).contains(index), "shard \(index) of \(count) does not exist")
        precondition(nonIID >= 0 && nonIID <= 1, "nonIID must be in [0, 1]")
        let rng = DeterministicRNG(seed: seed).split("shard").split(UInt64(index))
        return MarkovStream(source: nonIID == 0 ? self : tilted(toward: index, strength: nonIID), rng: rng)
    }

    private func tilted(toward index: Int, strength s: Double) -> MarkovSource {
        let n = symbolCount
        var rng = DeterministicRNG(seed: seed).split("preference").split(UInt64(index))
        var mixed = tables.transitions
        for base in stride(from: 0, to: mixed.count, by: n) {
            let preference = rng.nextDirichlet(alpha: alpha, count: n)
            for x in 0..<n { mixed[base + x] = (1 - s) * mixed[base + x] + s * preference[x] }
        }
        return MarkovSource(alphabet: alphabet, order: order, transitions: mixed, alpha: alpha, seed: rng.seed)
    }

    /// A fixed evaluation set from P itself: `batches` batches drawn with a generator of their
    /// own, the same for every shard and every run with this seed.
    public func validationSet(batches: Int, batch: Int, sequence: Int) -> [(inputs: [Int32], targets: [Int32])] {
        var stream = MarkovStream(source: self, rng: DeterministicRNG(seed: seed).split("validation"))
        return (0..<batches).map { _ in stream.nextBatch(batch: batch, sequence: sequence) }
    }
}
