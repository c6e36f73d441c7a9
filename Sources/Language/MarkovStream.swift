import Deterministic

/// Training batches from a MarkovSource. Every window is independent: `bos`, then symbols of
/// the chain started in its stationary regime (its first `order` symbols drawn from the
/// stationary law of the source, the rest from the transitions). The first target is therefore
/// the first symbol, predicted from bos alone, and the source's `expectedLoss` is exactly the
/// floor for these windows.
public struct MarkovStream: TokenStream, Sendable {
    /// The chain this stream samples (for a non-i.i.d. shard, its tilted chain).
    public let source: MarkovSource
    private var rng: DeterministicRNG

    public init(source: MarkovSource, rng: DeterministicRNG) {
        self.source = source
        self.rng = rng
    }

    public mutating func nextBatch(batch: Int, sequence: Int) -> (inputs: [Int32], targets: [Int32]) {
        precondition(batch > 0 && sequence > 0, "a batch needs rows and columns")
        let tables = source.tables, tokens = source.tokens
        var targets = [Int32](repeating: 0, count: batch * sequence)
        targets.withUnsafeMutableBufferPointer { all in
            for row in stride(from: 0, to: all.count, by: sequence) {
                tables.sampleWindow(into: UnsafeMutableBufferPointer(rebasing: all[row..<(row + sequence)]),
                                    tokens: tokens, rng: &rng)
            }
        }
        // Inputs are the window shifted right by one behind bos.
        var inputs = [Int32](repeating: ByteTokenizer.bos, count: batch * sequence)
        for row in stride(from: 0, to: inputs.count, by: sequence) {
            for i in 1..<sequence { inputs[row + i] = targets[row + i - 1] }
        }
        return (inputs, targets)
    }
}
