// Byte-level language data for NeuroLLM: the tokenizer (ByteTokenizer, StreamingDecoder), the
// genesis corpora (MarkovSource with an exact loss floor, TextCorpus from plain files), and
// decoding (Sampler, Generator). Everything random is drawn from a DeterministicRNG handed in by
// the caller, so a simulated run stays a pure function of its seed.

/// A source of training batches, one per inner step.
///
/// A batch is `batch` windows of `sequence + 1` tokens, stored row-major (batch × sequence):
/// `inputs` are a window's first `sequence` tokens and `targets` its last `sequence`, so the
/// model predicts `targets[r·T + t]` having seen `inputs[r·T ... r·T + t]`.
public protocol TokenStream {
    mutating func nextBatch(batch: Int, sequence: Int) -> (inputs: [Int32], targets: [Int32])
}

/// Losses are computed in nats (natural log); reports and papers quote bits. One token is one
/// byte here, so bits per token and bits per byte are the same figure.
public func bitsPerByte(nats: Double) -> Double {
    nats / 0.693_147_180_559_945_3
}
