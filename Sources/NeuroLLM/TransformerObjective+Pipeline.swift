import Deterministic
import Training

/// NeuroLLM cut into pipeline stages: each call builds the `Stage` for the window it is given.
extension TransformerObjective {
    public var activationCount: Int { batch * sequence * model.config.hidden }

    public func problem(targets: [Int32]) -> String? {
        guard targets.count == batch * sequence else {
            return "\(targets.count) targets, expected batch × sequence = \(batch * sequence)"
        }
        let vocabulary = Int32(model.config.vocabularySize)
        guard let bad = targets.first(where: { $0 < 0 || $0 >= vocabulary }) else { return nil }
        return "target id \(bad) is outside 0..<\(vocabulary)"
    }

    public func forward(_ params: LayerParameters, input: PipelineInput) throws -> [Float] {
        let stage = try Stage(config: model.config, layers: params.range, batch: batch, sequence: sequence, training: false)
        guard case .activations(let output) = try stage.forward(params, input: input) else {
            throw ModelError("the stage holding the head is run with `backward`: it needs the targets")
        }
        return output
    }

    public func backward(_ params: LayerParameters, input: PipelineInput, outputGradient: [Float]?,
                         targets: [Int32]?) throws -> StageGradients {
        let stage = try Stage(config: model.config, layers: params.range, batch: batch, sequence: sequence)
        let output = try stage.forward(params, input: input, targets: targets)
        let (inputGradient, gradients) = try stage.backward(params, outputGradient: outputGradient)
        if case .loss(let loss) = output { return StageGradients(loss: loss, input: inputGradient, layers: gradients) }
        return StageGradients(loss: nil, input: inputGradient, layers: gradients)
    }

    public var contextLength: Int { model.config.contextLength }

    public func infer(_ params: LayerParameters, input: PipelineInput) throws -> InferenceOutput {
        let hidden = model.config.hidden
        let positions: Int
        switch input {
        case .tokens(let ids): positions = ids.count
        case .activations(let x):
            try require(x.count % hidden == 0, "activations hold \(x.count) floats, not a whole number of \(hidden)-float positions")
            positions = x.count / hidden
        }
        let stage = try Stage(config: model.config, layers: params.range, batch: 1, sequence: positions, training: false)
        switch try stage.forward(params, input: input) {
        case .activations(let output): return .activations(output)
        case .logits(let logits): return .logits(Array(logits.suffix(model.config.vocabularySize)))
        case .loss: preconditionFailure("no targets were given")
        }
    }
}
