import NeuroLLM

/// The `model:` and `data:` sections.
extension ScenarioReader {
    static func readModel(_ value: YAMLValue?, data: YAMLValue?) throws(ScenarioError) -> ModelSpec {
        guard let value else {
            if let data { throw data.error("data applies to model.objective transformer only") }
            return .quadratic(QuadraticSpec())
        }
        let m = try value.map()
        let objectiveValue = m.optional("objective")
        let objective = try objectiveValue?.string() ?? "quadratic"
        let spec: ModelSpec
        switch objective {
        case "quadratic":
            if let data { throw data.error("data applies to model.objective transformer only") }
            spec = .quadratic(try readQuadratic(m))
        case "transformer": spec = .transformer(try readTransformer(m, data: data))
        default: throw objectiveValue!.error("unknown model.objective '\(objective)' (known: quadratic, transformer)")
        }
        try m.finish()
        return spec
    }

    private static func readQuadratic(_ m: YAMLMap) throws(ScenarioError) -> QuadraticSpec {
        var spec = QuadraticSpec()
        if let v = m.optional("layers") { spec.layers = try v.int(in: 1...10_000) }
        if let v = m.optional("dim") { spec.dimension = try v.int(in: 1...1_000_000) }
        if let v = m.optional("condition") { spec.conditionNumber = try v.double(in: 1...1e9) }
        if let v = m.optional("noise") { spec.noise = try v.double(in: 0...1e6) }
        if let v = m.optional("skew") { spec.skew = try v.double(in: 0...1e6) }
        if let v = m.optional("init_distance") { spec.initialDistance = try v.double(in: 0...1e6) }
        if let v = m.optional("layer_memory") { spec.layerMemoryMB = try v.parsed("memory size (e.g. 100mb)", Quantity.memoryMB) }
        if let v = m.optional("step_gflop") { spec.stepGFLOP = try v.double(in: 0...1e9) }
        return spec
    }

    private static func readTransformer(_ m: YAMLMap, data: YAMLValue?) throws(ScenarioError) -> TransformerSpec {
        let presetValue = try m.required("preset")
        let preset = try presetValue.string()
        guard let config = ModelConfig.preset(preset) else {
            throw presetValue.error("unknown model.preset '\(preset)' (known: \(ModelConfig.presetNames.joined(separator: ", ")))")
        }
        var spec = TransformerSpec(preset: preset, config: config, sequence: config.contextLength)
        if let v = m.optional("batch") { spec.batch = try v.int(in: 1...4096) }
        if let v = m.optional("sequence") { spec.sequence = try v.int(in: 2...config.contextLength) }
        if let v = m.optional("eval_batches") { spec.evalBatches = try v.int(in: 1...1000) }
        if let v = m.optional("layer_memory") { spec.layerMemoryMB = try v.parsed("memory size (e.g. 100mb)", Quantity.memoryMB) }
        if let data { spec.data = try readData(data) }
        return spec
    }

    private static func readData(_ value: YAMLValue) throws(ScenarioError) -> DataSpec {
        var spec = DataSpec()
        let m = try value.map()
        if let v = m.optional("source") {
            let name = try v.string()
            guard let source = DataSpec.Source(rawValue: name) else {
                throw v.error("unknown data.source '\(name)' (known: \(DataSpec.Source.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            spec.source = source
        }
        if let v = m.optional("non_iid") { spec.nonIID = try v.double(in: 0...1) }
        switch spec.source {
        case .markov:
            if let v = m.optional("symbols") { spec.symbols = try v.int(in: 2...256) }
            if let v = m.optional("order") { spec.order = try v.int(in: 1...3) }
            if let v = m.optional("alpha") { spec.alpha = try v.double(in: 0.001...1000) }
        case .text:
            if let v = m.optional("path") { spec.path = try v.string() }
        }
        // The other source's keys are left unread, so finish() names them as unknown here.
        try m.finish()
        return spec
    }
}
