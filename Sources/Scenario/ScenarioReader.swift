import Deterministic
import Foundation
import Ledger
import NeuroShardCore
import Training
import Yams

/// Reads a scenario file (the format is documented in the README's "Scenario files").
public enum ScenarioReader {
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(file: path, line: 0, column: 0, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScenarioError(file: path, line: 0, column: 0, message: "the file is not UTF-8 text")
        }
        let base = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(text, file: path, defaultName: base)
    }

    public static func parse(_ text: String, file: String, defaultName: String = "scenario") throws(ScenarioError) -> Scenario {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScenarioError(file: file, line: 0, column: 0, message: "the file is empty")
            }
            root = node
        } catch let e as ScenarioError {
            throw e
        } catch let e as YamlError {
            throw yamlError(e, file: file, text: text)
        } catch {
            throw ScenarioError(file: file, line: 0, column: 0, message: "\(error)")
        }
        let plain = root.mapping.map { Node.mapping(withoutVariantKeys($0)) } ?? root
        var scenario = try read(YAMLValue(node: plain, path: "", file: file), defaultName: defaultName)
        (scenario.variants, scenario.comparisons) = try readVariants(root: root, file: file, defaultName: defaultName,
                                                                     base: scenario)
        scenario.sourceHash = StableHasher.hash(text).hex16
        for i in scenario.variants.indices { scenario.variants[i].scenario.sourceHash = scenario.sourceHash }
        return scenario
    }

    private static func yamlError(_ e: YamlError, file: String, text: String) -> ScenarioError {
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return ScenarioError(file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(prefix)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams marks the mapping; point at the key's second appearance in it instead.
            let line = secondKeyLine(duplicates.first ?? "", mappingStart: context.mark, text: text) ?? context.mark.line
            return ScenarioError(file: file, line: line, column: context.mark.column,
                                 message: "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", "))")
        default:
            let first = "\(e)".split(separator: "\n").first.map(String.init) ?? "\(e)"
            return ScenarioError(file: file, line: 0, column: 0, message: "YAML: \(first)")
        }
    }

    /// The line where `key:` appears for the second time at the mapping's column.
    private static func secondKeyLine(_ key: String, mappingStart: Mark, text: String) -> Int? {
        let column = max(0, mappingStart.column - 1)
        var seen = 0
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where i + 1 >= mappingStart.line {
            let chars = Array(line)
            guard chars.count > column else { continue }
            // Below the first line the mapping's keys are indented to its column with spaces.
            if i + 1 > mappingStart.line && !chars[..<column].allSatisfy({ $0 == " " }) { continue }
            let rest = String(chars[column...])
            if rest.hasPrefix(key + ":") || rest.hasPrefix("\"\(key)\":") {
                seen += 1
                if seen == 2 { return i + 1 }
            }
        }
        return nil
    }

    static func read(_ rootValue: YAMLValue, defaultName: String) throws(ScenarioError) -> Scenario {
        let root = try rootValue.map()
        _ = root.optional("description")
        let nameValue = root.optional("name")
        let name = try nameValue?.string() ?? defaultName
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }), !name.isEmpty else {
            throw (nameValue ?? root.value).error("name may use letters, digits, '-', '_' and '.' only (it names the results folder)")
        }
        let seedValue = try root.required("seed")
        guard let seed = UInt64(try seedValue.string()), seed <= UInt64(Int64.max) else {
            throw seedValue.error("seed must be a whole number from 0 to \(Int64.max)")
        }
        let durationValue = try root.required("duration")
        let duration = try durationValue.parsed("duration (e.g. 10m, 30s, 1h)", Quantity.duration)
        guard duration > .zero else { throw durationValue.error("duration must be positive") }

        let model = try readModel(root.optional("model"), data: root.optional("data"))
        let groups = try readGroups(try root.required("nodes"))
        let total = groups.reduce(0) { $0 + $1.count }
        let bootstrap = try root.optional("bootstrap")?.int(in: 1...max(1, total)) ?? 1
        let network = try readNetwork(root.optional("network"))
        let membership = try readMembership(root.optional("membership"))
        let diloco = try readDiLoCo(root.optional("diloco"))
        var metricsInterval = TimeSpan.seconds(10)
        if let v = root.optional("metrics_interval") {
            metricsInterval = try v.parsed("duration", Quantity.duration)
            guard metricsInterval > .zero else { throw v.error("metrics_interval must be positive") }
        }
        let trace: TraceLevel
        if let t = root.optional("trace") {
            guard let level = TraceLevel(rawValue: try t.string()) else { throw t.error("trace must be full or summary") }
            trace = level
        } else {
            trace = total > 200 ? .summary : .full
        }
        var scenario = Scenario(name: name, seed: seed, duration: duration, model: model, groups: groups,
                                bootstrap: bootstrap, network: network, membership: membership, diloco: diloco,
                                faults: [], load: [], expectations: [], metricsInterval: metricsInterval, trace: trace)
        if let l = root.optional("ledger") { try readLedger(l, into: &scenario) }
        if let f = root.optional("faults") { scenario.faults = try readFaults(f, scenario: scenario) }
        if let l = root.optional("load") { scenario.load = try readLoad(l, scenario: scenario) }
        if let e = root.optional("expect") {
            scenario.expectations = try e.list().map { item throws(ScenarioError) in
                let text = try item.string()
                do throws(ExpectationError) { return try Expectation.parse(text) } catch { throw item.error(error.description) }
            }
        }
        try root.finish()
        return scenario
    }

    private static func readGroups(_ value: YAMLValue) throws(ScenarioError) -> [NodeGroup] {
        let items = try value.list()
        guard !items.isEmpty else { throw value.error("nodes needs at least one group") }
        var groups: [NodeGroup] = []
        for item in items {
            let m = try item.map()
            let nameValue = try m.required("group")
            let name = try nameValue.string()
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw nameValue.error("group names use letters, digits, '-' and '_'")
            }
            guard !groups.contains(where: { $0.name == name }) else { throw nameValue.error("group '\(name)' is defined twice") }
            let count = try m.optional("count")?.int(in: 1...1_000_000) ?? 1
            let memory = try m.optional("memory")?.parsed("memory size (e.g. 8gb)", Quantity.memoryMB) ?? 8192
            let flops = try m.optional("speed")?.parsed("speed (e.g. 50gflops)", Quantity.flops) ?? 50e9
            var link = LinkSpec(upMbps: 100, downMbps: 100, extraLatency: .zero)
            if let l = m.optional("link") {
                let lm = try l.map()
                if let b = lm.optional("bandwidth") { let v = try b.parsed("bandwidth (e.g. 100mbps)", Quantity.bandwidthMbps); link.upMbps = v; link.downMbps = v }
                if let b = lm.optional("up") { link.upMbps = try b.parsed("bandwidth (e.g. 100mbps)", Quantity.bandwidthMbps) }
                if let b = lm.optional("down") { link.downMbps = try b.parsed("bandwidth (e.g. 100mbps)", Quantity.bandwidthMbps) }
                if let d = lm.optional("latency") { link.extraLatency = try d.parsed("duration", Quantity.duration) }
                try lm.finish()
            }
            let (behaviour, conduct) = try m.optional("behaviour").map { v throws(ScenarioError) in try readBehaviour(v) } ?? (.honest, .honest)
            let training = try m.optional("training")?.bool() ?? true
            let joinAt = try m.optional("join_at")?.parsed("duration", Quantity.duration) ?? .zero
            let joinSpread = try m.optional("join_over")?.parsed("duration", Quantity.duration) ?? .zero
            try m.finish()
            groups.append(NodeGroup(name: name, count: count, memoryMB: memory, flops: flops, link: link,
                                    behaviour: behaviour, conduct: conduct, training: training, joinAt: joinAt,
                                    joinSpread: joinSpread))
        }
        return groups
    }

    /// A behaviour is either a way of sharing pseudo-gradients (`sign_flip`, …) or a way of
    /// cheating the ledger (`forged_proof`, …, `equivocating_transfer`, `backdated_chain`).
    private static func readBehaviour(_ value: YAMLValue) throws(ScenarioError) -> (Behaviour, LedgerConduct) {
        var kind: String
        var params: YAMLMap? = nil
        if value.isMap {
            let m = try value.map()
            kind = try m.required("type").string()
            params = m
        } else {
            kind = try value.string()
        }
        kind = kind.replacingOccurrences(of: "-", with: "_")
        if let conduct = ledgerAttacks[kind] {
            try params?.finish()
            return (.honest, conduct)
        }
        let result: Behaviour
        switch kind {
        case "honest": result = .honest
        case "silent": result = .silent
        case "free_rider": result = .freeRider
        case "stale_rider": result = .staleRider
        case "non_finite": result = .nonFinite
        case "sign_flip": result = .signFlip(scale: Float(try params?.optional("scale")?.double(in: 0...1e9) ?? 1))
        case "gaussian": result = .gaussian(sigma: try params?.optional("sigma")?.double(in: 0...1e9) ?? 1)
        case "alie": result = .alie(z: try params?.optional("z")?.double(in: 0...100))
        case "ipm": result = .ipm(epsilon: try params?.optional("epsilon")?.double(in: 0...1e6) ?? 0.1)
        default:
            throw value.error("unknown behaviour '\(kind)' (known: \((Behaviour.names + ledgerAttacks.keys.sorted()).joined(separator: ", ")))")
        }
        try params?.finish()
        return (result, .honest)
    }

    /// The ledger attacks by behaviour name: the proof attacks carry a `_proof` suffix.
    static let ledgerAttacks: [String: LedgerConduct] = {
        var names: [String: LedgerConduct] = ["equivocating_transfer": .equivocating, "backdated_chain": .backdated]
        for c in [LedgerConduct.forged, .replayed, .inflated, .stale, .future, .flooding] { names["\(c.rawValue)_proof"] = c }
        return names
    }()

    /// `ledger: {enabled, proof_interval, settle, genesis: {group: NEURO per node}}`.
    private static func readLedger(_ value: YAMLValue, into scenario: inout Scenario) throws(ScenarioError) {
        let m = try value.map()
        if let v = m.optional("enabled") { scenario.ledger.enabled = try v.bool() }
        if let v = m.optional("proof_interval") {
            let interval = try v.parsed("duration", Quantity.duration)
            guard interval >= .seconds(1) else { throw v.error("proof_interval must be at least 1s") }
            scenario.ledger.rules.proofInterval = interval
        }
        if let v = m.optional("settle") {
            let settle = try v.parsed("duration", Quantity.duration)
            guard settle > .zero, settle < scenario.duration else { throw v.error("settle must be positive and shorter than the run") }
            scenario.ledgerSettleOverride = settle
        }
        if let g = m.optional("genesis") {
            let grants = try g.map()
            for key in grants.keys {
                guard let index = scenario.groups.firstIndex(where: { $0.name == key }) else {
                    throw g.error("genesis names group '\(key)', which is not in nodes")
                }
                let amount = try grants.required(key).double(in: 0...1e9)
                guard Micro(neuro: amount) != nil else { throw g.error("genesis amount \(amount) is not a NEURO amount") }
                scenario.groups[index].genesisNEURO = amount
            }
            try grants.finish()
        }
        try m.finish()
    }

    private static func readLatency(_ value: YAMLValue) throws(ScenarioError) -> LatencyModel {
        guard value.isMap else { return .constant(try value.parsed("duration", Quantity.duration)) }
        let m = try value.map()
        let dist = try m.required("dist").string()
        func duration(_ key: String) throws(ScenarioError) -> TimeSpan {
            try m.required(key).parsed("duration", Quantity.duration)
        }
        let model: LatencyModel
        switch dist {
        case "constant": model = .constant(try duration("value"))
        case "uniform":
            let lo = try duration("min"), hi = try duration("max")
            guard lo <= hi else { throw value.error("latency min must not exceed max") }
            model = .uniform(min: lo, max: hi)
        case "exponential":
            let mean = try duration("mean")
            let lo = try m.optional("min")?.parsed("duration", Quantity.duration) ?? .zero
            guard lo <= mean else { throw value.error("latency min must not exceed mean") }
            model = .exponential(mean: mean, min: lo)
        case "lognormal": model = .lognormal(median: try duration("median"), sigma: try m.required("sigma").double(in: 0...3))
        default: throw value.error("unknown latency dist '\(dist)' (known: constant, uniform, exponential, lognormal)")
        }
        try m.finish()
        return model
    }

    private static func readNetwork(_ value: YAMLValue?) throws(ScenarioError) -> NetworkSpec {
        var spec = NetworkSpec()
        guard let value else { return spec }
        let m = try value.map()
        if let v = m.optional("latency") { spec.latency = try readLatency(v) }
        if let v = m.optional("loss") { spec.loss = try v.double(in: 0...1) }
        if let v = m.optional("duplicate") { spec.duplicate = try v.double(in: 0...1) }
        if let v = m.optional("reorder") { spec.reorder = try v.double(in: 0...1) }
        if let v = m.optional("reorder_window") { spec.reorderWindow = try v.parsed("duration", Quantity.duration) }
        try m.finish()
        return spec
    }

    private static func readMembership(_ value: YAMLValue?) throws(ScenarioError) -> MembershipSettings {
        var s = MembershipSettings()
        guard let value else { return s }
        let m = try value.map()
        let heartbeat = m.optional("heartbeat"), timeout = m.optional("failure_timeout")
        if let v = heartbeat { s.heartbeatInterval = try v.parsed("duration", Quantity.duration) }
        if let v = timeout { s.failureTimeout = try v.parsed("duration", Quantity.duration) }
        if let v = m.optional("max_peers") { s.maxPeers = try v.int(in: 1...100_000) }
        if let v = m.optional("gossip") { s.gossipSize = try v.int(in: 0...1000) }
        guard s.heartbeatInterval > .zero else { throw (heartbeat ?? value).error("membership.heartbeat must be positive") }
        guard s.failureTimeout > s.heartbeatInterval else {
            throw (timeout ?? heartbeat ?? value).error("membership.failure_timeout must be longer than the heartbeat")
        }
        try m.finish()
        return s
    }

    private static func readDiLoCo(_ value: YAMLValue?) throws(ScenarioError) -> DiLoCoSettings {
        var s = DiLoCoSettings()
        guard let value else { return s }
        let m = try value.map()
        if let v = m.optional("inner_steps") { s.innerSteps = try v.int(in: 1...1_000_000) }
        if let v = m.optional("inner_lr") { s.inner.learningRate = Float(try v.double(in: 0...100)) }
        if let v = m.optional("weight_decay") { s.inner.weightDecay = Float(try v.double(in: 0...100)) }
        if let v = m.optional("clip") { s.inner.clipNorm = Float(try v.double(in: 0...1e9)) }
        if let v = m.optional("beta1") { s.inner.beta1 = Float(try v.double(in: 0...0.999999)) }
        if let v = m.optional("beta2") { s.inner.beta2 = Float(try v.double(in: 0...0.999999)) }
        if let v = m.optional("outer_lr") { s.outerLearningRate = Float(try v.double(in: 0...100)) }
        if let v = m.optional("outer_momentum") { s.outerMomentum = Float(try v.double(in: 0...0.999999)) }
        if let v = m.optional("sync_timeout") { s.syncTimeout = try v.parsed("duration", Quantity.duration) }
        if let v = m.optional("fanout") { s.fanout = try v.int(in: 1...100_000) }
        if let v = m.optional("mode") {
            let name = try v.string()
            guard let mode = TrainingMode(rawValue: name) else {
                throw v.error("unknown diloco.mode '\(name)' (known: \(TrainingMode.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            s.mode = mode
        }
        if let v = m.optional("compression") { s.compression = try readCompression(v) }
        if let v = m.optional("start_after") { s.startDelay = try v.parsed("duration", Quantity.duration) }
        if let v = m.optional("eval_every") { s.evaluateEvery = try v.int(in: 1...100_000_000) }
        let stepsValue = m.optional("steps")
        if let v = stepsValue { s.stepBudget = try v.int(in: 1...100_000_000) }
        let warmup = try m.optional("warmup")?.int(in: 0...100_000_000) ?? 0
        let cosineValue = m.optional("cosine")
        let cosine = try cosineValue?.bool() ?? false
        if cosine && s.stepBudget == nil { throw cosineValue!.error("diloco.cosine decays over diloco.steps: set steps too") }
        if let budget = s.stepBudget, warmup > budget { throw stepsValue!.error("diloco.warmup (\(warmup)) exceeds diloco.steps (\(budget))") }
        let floor = Float(try m.optional("min_lr_ratio")?.double(in: 0...1) ?? 0.1)
        s.inner.schedule = LearningRateSchedule(warmup: warmup, total: cosine ? s.stepBudget : nil, floor: floor)
        if let v = m.optional("aggregator") { s.aggregator = try readAggregator(v, trim: m.optional("trim")) }
        try m.finish()
        return s
    }

    /// `compression: int8`, or a mapping with `type`, `block` (int8 block size) and `fraction` (top-k).
    private static func readCompression(_ value: YAMLValue) throws(ScenarioError) -> Compression {
        var params: YAMLMap? = nil
        let kind: String
        if value.isMap {
            params = try value.map()
            kind = try params!.required("type").string()
        } else {
            kind = try value.string()
        }
        let block = try params?.optional("block")?.int(in: 1...1_000_000) ?? 64
        let fraction = try params?.optional("fraction")?.double(in: 1e-6...1) ?? 0.1
        let result: Compression
        switch kind.replacingOccurrences(of: "-", with: "_") {
        case "none": result = .none
        case "int8": result = .int8(blockSize: block)
        case "top_k": result = .topK(fraction: fraction)
        case "top_k_int8": result = .topKInt8(fraction: fraction, blockSize: block)
        default: throw value.error("unknown compression '\(kind)' (known: \(Compression.names.joined(separator: ", ")))")
        }
        try params?.finish()
        return result
    }

    /// `aggregator: median`, or a mapping with `type` and the rule's settings. The old spelling
    /// `aggregator: trimmed_mean` with `trim:` beside it still reads.
    private static func readAggregator(_ value: YAMLValue, trim: YAMLValue?) throws(ScenarioError) -> Aggregator {
        var kind: String
        var params: YAMLMap? = nil
        if value.isMap {
            params = try value.map()
            kind = try params!.required("type").string()
        } else {
            kind = try value.string()
        }
        func int(_ key: String, _ range: ClosedRange<Int>, _ fallback: Int) throws(ScenarioError) -> Int {
            try params?.optional(key)?.int(in: range) ?? fallback
        }
        func double(_ key: String, _ range: ClosedRange<Double>, _ fallback: Double) throws(ScenarioError) -> Double {
            try params?.optional(key)?.double(in: range) ?? fallback
        }
        let result: Aggregator
        kind = kind.replacingOccurrences(of: "-", with: "_")
        if let trim, kind != "trimmed_mean" { throw trim.error("diloco.trim applies to the trimmed_mean aggregator only") }
        switch kind {
        case "mean": result = .mean
        case "median": result = .median
        case "trimmed_mean":
            if let trim { result = .trimmedMean(beta: try trim.double(in: 0...0.5)) }
            else { result = .trimmedMean(beta: try double("beta", 0...0.5, 0.1)) }
        case "krum": result = .krum(f: try int("f", 0...10_000, 1))
        case "multi_krum":
            let m = try params?.optional("m")?.int(in: 1...10_000)
            result = .multiKrum(f: try int("f", 0...10_000, 1), m: m)
        case "geometric_median":
            result = .geometricMedian(iterations: try int("iterations", 1...1000, 8), epsilon: try double("epsilon", 1e-12...1, 1e-6))
        case "centered_clipping":
            result = .centeredClipping(tau: try double("tau", 1e-9...1e9, 1), iterations: try int("iterations", 1...100, 3))
        default:
            throw value.error("unknown aggregator '\(kind)' (known: \(Aggregator.names.joined(separator: ", ")))")
        }
        try params?.finish()
        return result
    }

    static func readSelector(_ value: YAMLValue, scenario: Scenario) throws(ScenarioError) -> NodeSelector {
        let text = try value.string().replacingSpaces
        var selector: NodeSelector
        if let open = text.firstIndex(of: "["), text.hasSuffix("]") {
            let group = String(text[..<open])
            let inside = text[text.index(after: open)..<text.index(before: text.endIndex)]
            let parts = inside.components(separatedBy: "..")
            guard (1...2).contains(parts.count), let lo = Int(parts[0]), let hi = Int(parts.last!), lo <= hi, lo >= 0 else {
                throw value.error("'\(text)' is not a node selector (use group, group[3] or group[0..2])")
            }
            selector = NodeSelector(group: group, indices: lo..<(hi + 1))
        } else {
            selector = NodeSelector(group: text, indices: nil)
        }
        guard let group = scenario.groups.first(where: { $0.name == selector.group }) else {
            throw value.error("no node group named '\(selector.group)' (groups: \(scenario.groups.map(\.name).joined(separator: ", ")))")
        }
        if let r = selector.indices, r.upperBound > group.count {
            throw value.error("\(selector) is out of range: group '\(group.name)' has \(group.count) node(s), numbered from 0")
        }
        return selector
    }

    private static func readFaults(_ value: YAMLValue, scenario: Scenario) throws(ScenarioError) -> [FaultSpec] {
        let kinds = ["crash", "restart", "pause", "resume", "leave", "partition", "heal", "clock_skew", "disk_full", "disk_ok"]
        var faults: [FaultSpec] = []
        for item in try value.list() {
            let m = try item.map()
            let atValue = try m.required("at")
            let at = try atValue.parsed("duration", Quantity.duration)
            guard at < scenario.duration else { throw atValue.error("fault at \(at) is not before the end of the run (\(scenario.duration))") }
            let present = m.keys.filter { kinds.contains($0) }
            guard present.count == 1, let kindName = present.first else {
                throw item.error("each fault names exactly one of: \(kinds.joined(separator: ", "))")
            }
            let v = try m.required(kindName)
            func sel() throws(ScenarioError) -> NodeSelector { try readSelector(v, scenario: scenario) }
            let kind: FaultKind
            switch kindName {
            case "crash": kind = .crash(try sel())
            case "restart": kind = .restart(try sel())
            case "pause": kind = .pause(try sel(), duration: try m.optional("for")?.parsed("duration", Quantity.duration))
            case "resume": kind = .resume(try sel())
            case "leave": kind = .leave(try sel())
            case "heal": kind = .heal
            case "disk_full": kind = .diskFull(try sel(), full: true)
            case "disk_ok": kind = .diskFull(try sel(), full: false)
            case "partition":
                let sides = try v.list()
                guard sides.count == 2 else { throw v.error("partition takes two sides: [[a, b], [c]]") }
                func side(_ s: YAMLValue) throws(ScenarioError) -> [NodeSelector] {
                    if case .sequence = s.node { return try s.list().map { x throws(ScenarioError) in try readSelector(x, scenario: scenario) } }
                    return [try readSelector(s, scenario: scenario)]
                }
                kind = .partition(try side(sides[0]), try side(sides[1]), oneWay: try m.optional("one_way")?.bool() ?? false)
            case "clock_skew":
                let c = try v.map()
                let node = try readSelector(try c.required("node"), scenario: scenario)
                let offsetText = try c.optional("offset")?.string() ?? "0s"
                let negative = offsetText.hasPrefix("-")
                guard let magnitude = Quantity.duration(negative ? String(offsetText.dropFirst()) : offsetText) else {
                    throw v.error("clock_skew.offset '\(offsetText)' is not a duration")
                }
                let drift = try c.optional("drift_ppm")?.double(in: -500_000...500_000) ?? 0
                try c.finish()
                kind = .clockSkew(node, offset: negative ? .zero - magnitude : magnitude, driftPPM: drift)
            default: preconditionFailure("kinds list and switch disagree")
            }
            // `for` and `one_way` are read only by the kinds they belong to; finish() rejects them elsewhere.
            try m.finish()
            faults.append(FaultSpec(at: at, kind: kind, line: item.line))
        }
        return faults
    }

    private static func readLoad(_ value: YAMLValue, scenario: Scenario) throws(ScenarioError) -> [LoadSpec] {
        var loads: [LoadSpec] = []
        for item in try value.list() {
            let m = try item.map()
            let targets = try readSelector(try m.required("target"), scenario: scenario)
            let endpointValue = try m.required("endpoint")
            let endpoint = try endpointValue.string()
            let path = endpoint.hasPrefix("/") ? endpoint : "/api/v1/\(endpoint)"
            let method = try m.optional("method")?.string().uppercased() ?? (path == "/api/v1/wallet/send" ? "POST" : "GET")
            let perMinute = try m.required("per_minute").double(in: 0.001...10_000_000)
            let credential: LoadSpec.Credential
            if let a = m.optional("auth") {
                guard let c = LoadSpec.Credential(rawValue: try a.string()) else {
                    throw a.error("auth must be one of: \(LoadSpec.Credential.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                credential = c
            } else {
                credential = .owner
            }
            let from = try m.optional("from")?.parsed("duration", Quantity.duration) ?? .zero
            let untilValue = m.optional("until")
            let until = try untilValue?.parsed("duration", Quantity.duration)
            if let u = until, u <= from { throw untilValue!.error("load 'until' must come after 'from'") }
            let poisson = try m.optional("poisson")?.bool() ?? false
            var transfer: TransferLoad?
            if path == "/api/v1/wallet/send" {
                guard method == "POST" else { throw endpointValue.error("wallet/send takes method POST") }
                let to = try readSelector(try m.required("to"), scenario: scenario)
                let amount = try m.required("amount").double(in: 0.000001...1e9)
                transfer = TransferLoad(to: to, amountNEURO: amount)
            } else {
                for key in ["to", "amount"] where m.optional(key) != nil {
                    throw endpointValue.error("'\(key)' belongs to endpoint wallet/send only")
                }
            }
            try m.finish()
            loads.append(LoadSpec(targets: targets, method: method, path: path, perMinute: perMinute,
                                  credential: credential, from: from, until: until, poisson: poisson, transfer: transfer))
        }
        return loads
    }
}
