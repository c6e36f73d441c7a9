import Training

/// What leaves a pipeline stage.
public enum StageOutput: Sendable, Equatable {
    /// batch × sequence × hidden, for the next stage.
    case activations([Float])
    /// The mean cross-entropy over non-pad targets (a stage ending at the head, given targets).
    case loss(Double)
    /// batch × sequence × vocabulary (a stage ending at the head, without targets).
    case logits([Float])
}

/// A contiguous window of pipeline layers with the workspace to run them: what a node holding
/// those layers computes. `forward` then `backward` is one training step; the workspace
/// (activations kept for the backward pass, gradient scratch, outputs) is allocated once, here,
/// and reused by every step.
///
/// Errors: inputs that can come from other nodes or API clients (token ids, activations,
/// output gradients, targets, parameter arrays) are checked on every call and rejected with a
/// `ModelError` that says what was wrong. The checks cost O(tokens), nothing next to the math.
/// `backward` must follow a `forward` with the same parameters (that is not checked: it would
/// mean comparing every weight).
///
/// The returned arrays share storage with the workspace until the next call writes to it (then
/// copy-on-write gives the caller's copy its own storage): a caller that lets go of the previous
/// step's results before the next step causes no allocation at all.
///
/// Not thread-safe: one stage per thread (a node trains with its own stage).
public final class Stage {
    public let config: ModelConfig
    public let layers: Range<Int>
    public let batch: Int
    public let sequence: Int
    /// A stage built with `training: false` keeps one set of block activations, shared by all
    /// its blocks (nothing is kept for a backward pass), and refuses `backward`.
    public let training: Bool

    private let rows: Int
    private let embedding: Embedding
    private let block: Block
    private let head: Head
    /// streams[i] is the input of layers[i] (the output of the layer before); in an inference
    /// stage two buffers take turns.
    private let streams: [FloatBuffer]
    private let blockCaches: [BlockCache]
    private let headCache: HeadCache?
    private let scratch: BlockScratch?
    private let gradientIn, gradientOut: FloatBuffer?
    private var tokens: [Int32] = []
    private var output: [Float] = []
    private var inputGradient: [Float] = []
    private var gradients: [[Float]]
    /// nil before the first forward pass; whether the last forward pass computed a loss.
    private var forwardHadLoss: Bool?

    public init(config: ModelConfig, layers: Range<Int>, batch: Int, sequence: Int, training: Bool = true) throws(ModelError) {
        try config.validate()
        try require(!layers.isEmpty && layers.lowerBound >= 0 && layers.upperBound <= config.pipelineLayerCount,
                    "layers \(layers) are not a non-empty part of 0..<\(config.pipelineLayerCount)")
        try require(batch > 0, "batch must be positive")
        try require(sequence > 0 && sequence <= config.contextLength,
                    "sequence \(sequence) is outside 1...\(config.contextLength) (the context length)")
        self.config = config
        self.layers = layers
        self.batch = batch
        self.sequence = sequence
        self.training = training
        rows = batch * sequence
        let rotary = RotaryTable(positions: sequence, headDimension: config.headDimension, base: config.ropeBase)
        embedding = Embedding(hidden: config.hidden, rows: rows)
        block = Block(config: config, batch: batch, sequence: sequence, rotary: rotary)
        head = Head(config: config, layout: HeadLayout(config), rows: rows)

        let blockCount = layers.filter { $0 > 0 && $0 < config.headLayer }.count
        let activation = rows * config.hidden
        streams = (0..<(training ? layers.count + 1 : 2)).map { _ in FloatBuffer(activation) }
        blockCaches = (0..<(training ? blockCount : min(blockCount, 1))).map { [block] _ in
            BlockCache(config: config, rows: block.rows, attention: block.attention)
        }
        headCache = layers.contains(config.headLayer) ? HeadCache(config: config, rows: rows) : nil
        scratch = training && blockCount > 0 ? BlockScratch(config: config, rows: rows, attention: block.attention) : nil
        gradientIn = training ? FloatBuffer(activation) : nil
        gradientOut = training ? FloatBuffer(activation) : nil
        gradients = training ? layers.map { [Float](repeating: 0, count: config.parameterCount(layer: $0)) } : []
    }

    private var endsWithHead: Bool { layers.upperBound == config.pipelineLayerCount }
    private var activationCount: Int { rows * config.hidden }
    private func stream(_ i: Int) -> FloatBuffer { streams[training ? i : i % 2] }
    private func blockCache(_ layer: Int) -> BlockCache {
        blockCaches[training ? layer - max(layers.lowerBound, 1) : 0]
    }

    /// Runs the stage's layers. Targets (batch × sequence ids; pad = 0 is ignored) are given to
    /// a stage ending at the head to get the loss (and make `backward` possible); without them
    /// that stage returns the logits.
    public func forward(_ params: LayerParameters, input: PipelineInput, targets: [Int32]? = nil) throws(ModelError) -> StageOutput {
        try check(params)
        forwardHadLoss = nil
        switch input {
        case .tokens(let ids):
            try require(layers.lowerBound == 0, "token ids go to the stage holding the embedding; this one starts at layer \(layers.lowerBound)")
            try checkIds(ids, "token")
            tokens = ids
        case .activations(let x):
            try require(layers.lowerBound > 0, "the stage holding the embedding takes token ids, not activations")
            try require(x.count == activationCount,
                        "activations hold \(x.count) floats, expected batch × sequence × hidden = \(activationCount)")
            x.withUnsafeBufferPointer { stream(0).pointer.update(from: $0.baseAddress!, count: activationCount) }
        }
        if let targets {
            try require(endsWithHead, "targets go to the stage holding the head (layer \(config.headLayer))")
            try checkIds(targets, "target")
        }

        for (i, layer) in layers.enumerated() {
            params[layer].withUnsafeBufferPointer { p in
                let p = p.baseAddress!
                switch layer {
                case 0:
                    tokens.withUnsafeBufferPointer { embedding.forward(p, tokens: $0.baseAddress!, into: stream(1).pointer) }
                case config.headLayer:
                    head.logits(p, input: stream(i).pointer, cache: headCache!)
                default:
                    block.forward(p, input: stream(i).pointer, output: stream(i + 1).pointer, cache: blockCache(layer))
                }
            }
        }

        guard endsWithHead else {
            if output.count != activationCount { output = [Float](repeating: 0, count: activationCount) }
            let last = stream(layers.count).pointer, count = activationCount
            output.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: last, count: count) }
            forwardHadLoss = false
            return .activations(output)
        }
        guard let targets else {
            forwardHadLoss = false
            return .logits(Array(UnsafeBufferPointer(start: headCache!.logits.pointer, count: rows * config.vocabularySize)))
        }
        forwardHadLoss = true
        return .loss(targets.withUnsafeBufferPointer { head.loss(targets: $0.baseAddress!, cache: headCache!) })
    }

    /// The gradients of the last forward pass: of the stage's input activations (nil for the
    /// stage holding the embedding) and of every held layer's parameters (same layout). The stage
    /// holding the head starts from its loss and takes no output gradient; any other stage takes
    /// the gradient of its output activations (batch × sequence × hidden) from the next stage.
    public func backward(_ params: LayerParameters, outputGradient: [Float]? = nil) throws(ModelError)
        -> (inputGradient: [Float]?, gradients: [[Float]]) {
        try require(training, "this stage was built for inference (training: false)")
        try check(params)
        guard let hadLoss = forwardHadLoss else { throw ModelError("backward needs a forward pass first") }
        var dy = gradientIn!, dx = gradientOut!
        if endsWithHead {
            try require(outputGradient == nil, "the stage holding the head starts from its loss and takes no output gradient")
            try require(hadLoss, "the forward pass was given no targets, so there is no loss to differentiate")
        } else {
            guard let outputGradient else { throw ModelError("a stage without the head needs the gradient of its output") }
            try require(outputGradient.count == activationCount,
                        "the output gradient holds \(outputGradient.count) floats, expected batch × sequence × hidden = \(activationCount)")
            outputGradient.withUnsafeBufferPointer { dy.pointer.update(from: $0.baseAddress!, count: activationCount) }
        }

        for (i, layer) in layers.enumerated().reversed() {
            params[layer].withUnsafeBufferPointer { p in
                let p = p.baseAddress!
                gradients[i].withUnsafeMutableBufferPointer { g in
                    let g = g.baseAddress!
                    switch layer {
                    case 0:
                        tokens.withUnsafeBufferPointer {
                            embedding.backward(tokens: $0.baseAddress!, outputGradient: dy.pointer, tableGradient: g,
                                               tableCount: config.parameterCount(layer: 0))
                        }
                    case config.headLayer:
                        head.backward(p, input: stream(i).pointer, cache: headCache!, inputGradient: dy.pointer,
                                      parameterGradient: g)
                    default:
                        block.backward(p, input: stream(i).pointer, cache: blockCache(layer), outputGradient: dy.pointer,
                                       inputGradient: dx.pointer, parameterGradient: g, scratch: scratch!)
                        swap(&dy, &dx)
                    }
                }
            }
        }

        guard layers.lowerBound > 0 else { return (nil, gradients) }
        if inputGradient.count != activationCount { inputGradient = [Float](repeating: 0, count: activationCount) }
        let count = activationCount
        inputGradient.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: dy.pointer, count: count) }
        return (inputGradient, gradients)
    }

    private func check(_ params: LayerParameters) throws(ModelError) {
        try require(params.range.lowerBound <= layers.lowerBound && layers.upperBound <= params.range.upperBound,
                    "the parameters cover layers \(params.range), the stage needs \(layers)")
        for layer in layers {
            let expected = config.parameterCount(layer: layer)
            try require(params[layer].count == expected,
                        "layer \(layer) has \(params[layer].count) parameters, expected \(expected)")
        }
    }

    private func checkIds(_ ids: [Int32], _ what: String) throws(ModelError) {
        try require(ids.count == rows, "\(what) ids: \(ids.count), expected batch × sequence = \(rows)")
        let vocabulary = Int32(config.vocabularySize)
        if let bad = ids.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
            throw ModelError("\(what) id \(ids[bad]) at position \(bad) is outside 0..<\(vocabulary)")
        }
    }
}
