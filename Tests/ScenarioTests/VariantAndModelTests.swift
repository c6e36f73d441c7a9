import NeuroShardCore
import Testing
import Training
@testable import Scenario

private let base = """
    name: v
    seed: 3
    duration: 1m
    nodes:
      - group: workers
        count: 4
      - group: bad
        count: 2
        behaviour: honest
    diloco: {inner_steps: 10, outer_lr: 0.7}
    expect:
      - outer_rounds >= 1
    """

private func parse(_ yaml: String) throws -> Scenario { try ScenarioReader.parse(yaml, file: "v.yaml") }

private func error(_ yaml: String) -> String {
    do { _ = try parse(yaml); return "accepted" } catch let e as ScenarioError { return e.description } catch { return "\(error)" }
}

@Suite struct VariantTests {
    @Test func overridesMergeIntoTheFile() throws {
        let s = try parse(base + """

            variants:
              sync: {diloco: {mode: sync}}
              h50: {diloco: {inner_steps: 50}}
              alone: {nodes: {workers: {count: 1}, bad: {behaviour: {type: sign_flip, scale: 10}}}}
            """)
        #expect(s.variants.map(\.name) == ["sync", "h50", "alone"])
        let sync = s.variants[0].scenario, h50 = s.variants[1].scenario, alone = s.variants[2].scenario
        #expect(sync.diloco.mode == .sync && sync.diloco.innerSteps == 10 && sync.diloco.outerLearningRate == 0.7)
        #expect(h50.diloco.innerSteps == 50 && h50.diloco.mode == .diloco)
        #expect(alone.groups.map(\.count) == [1, 2])
        #expect(alone.groups[1].behaviour == .signFlip(scale: 10))
        // Everything else, seed included, is the file's.
        #expect(s.variants.allSatisfy { $0.scenario.seed == 3 && $0.scenario.name == "v" })
        #expect(s.runs.map(\.variant) == ["sync", "h50", "alone"])
        #expect(s.reseeded(9).variants.allSatisfy { $0.scenario.seed == 9 })
    }

    @Test func aPlainScenarioRunsItself() throws {
        let s = try parse(base)
        #expect(s.variants.isEmpty)
        #expect(s.runs.count == 1 && s.runs[0].variant == nil)
    }

    @Test func mistakesInVariantsPointAtTheirLine() {
        #expect(error(base + "\nvariants:\n  x: {nodes: {nobody: {count: 1}}}").contains("v.yaml:14:"))
        #expect(error(base + "\nvariants:\n  x: {nodes: {nobody: {count: 1}}}").contains("no node group named 'nobody'"))
        #expect(error(base + "\nvariants:\n  x: {diloco: {inner_step: 3}}").contains("unknown key 'inner_step'"))
        #expect(error(base + "\nvariants:\n  bad-name: {}").contains("variant names use"))
        #expect(error(base + "\nvariants:\n  x: 3").contains("must be a mapping of overrides"))
        #expect(error(base + "\ncompare:\n  - a.final_loss < 1").contains("compare needs variants"))
        #expect(error(base + "\nvariants:\n  a: {}\ncompare:\n  - b.final_loss < 1").contains("no variant named 'b'"))
        #expect(error(base + "\nvariants:\n  a: {}\ncompare:\n  - a.final_los < 1").contains("unknown metric 'final_los'"))
        #expect(error(base + "\nvariants:\n  a: {variants: {}}").contains("cannot hold variants"))
    }
}

@Suite struct ComparisonTests {
    let values: [String: [String: Double]] = ["a": ["final_loss": 2, "update_bytes": 1000], "b": ["final_loss": 1.5, "update_bytes": 10]]
    func lookup(_ v: String, _ m: String) -> Double? { values[v]?[m] }

    @Test func arithmeticWithPrecedenceAndParentheses() throws {
        let c = try Comparison.parse("(a.final_loss - b.final_loss) / (a.final_loss - 1) >= 0.5", variants: ["a", "b"])
        let r = c.evaluate(lookup)
        #expect(r.left == 0.5 && r.right == 0.5 && r.holds)
        #expect(try Comparison.parse("a.update_bytes >= 10 * b.update_bytes + 1", variants: ["a", "b"]).evaluate(lookup).right == 101)
        #expect(try !Comparison.parse("b.final_loss <= 0.7 * a.final_loss", variants: ["a", "b"]).evaluate(lookup).holds)
    }

    @Test func aMissingOrNonFiniteValueFails() throws {
        #expect(try !Comparison.parse("a.final_loss / 0 > 1", variants: ["a"]).evaluate(lookup).holds)
        #expect(try !Comparison.parse("a.outer_rounds > 1", variants: ["a"]).evaluate(lookup).holds)
    }

    @Test func malformedLinesSayWhy() {
        func message(_ text: String) -> String {
            do throws(ExpectationError) { _ = try Comparison.parse(text, variants: ["a"]); return "accepted" } catch { return error.description }
        }
        #expect(message("a.final_loss").contains("needs a comparison"))
        #expect(message("(a.final_loss < 1").contains("missing ')'"))
        #expect(message("a.final_loss < 1 +").contains("missing a value"))
        #expect(message("final_loss < 1").contains("neither a number nor variant.metric"))
    }
}

@Suite struct ModelSectionTests {
    let transformer = """
        seed: 1
        duration: 1m
        nodes: [{group: n, count: 2}]
        model: {objective: transformer, preset: tiny, batch: 4, sequence: 16}
        data: {source: markov, symbols: 8, order: 1, alpha: 0.5, non_iid: 0.3}
        """

    @Test func transformerAndData() throws {
        let s = try parse(transformer)
        guard case .transformer(let t) = s.model else { Issue.record("not a transformer"); return }
        #expect(t.preset == "tiny" && t.batch == 4 && t.sequence == 16)
        #expect(t.data.source == .markov && t.data.symbols == 8 && t.data.order == 1 && t.data.nonIID == 0.3)
    }

    @Test func badModelSectionsAreRejected() {
        #expect(error(transformer.replacingOccurrences(of: "tiny", with: "huge")).contains("unknown model.preset 'huge'"))
        #expect(error(transformer.replacingOccurrences(of: "sequence: 16", with: "sequence: 999")).contains("model.sequence must be between"))
        #expect(error(transformer.replacingOccurrences(of: "symbols: 8", with: "path: /tmp")).contains("unknown key 'path'"))
        #expect(error(transformer.replacingOccurrences(of: "source: markov", with: "source: web")).contains("unknown data.source 'web'"))
        #expect(error(transformer.replacingOccurrences(of: "transformer", with: "quadratic")).contains("data applies to model.objective transformer only"))
    }

    @Test func trainingSettings() throws {
        let s = try parse("""
            seed: 1
            duration: 1m
            nodes: [{group: n, count: 2}]
            diloco:
              mode: sync
              steps: 200
              warmup: 10
              cosine: true
              eval_every: 20
              start_after: 5s
              compression: {type: top_k_int8, fraction: 0.1, block: 32}
              aggregator: {type: multi_krum, f: 2, m: 4}
            """)
        let d = s.diloco
        #expect(d.mode == .sync && d.stepBudget == 200 && d.evaluateEvery == 20 && d.startDelay == .seconds(5))
        #expect(d.inner.schedule == LearningRateSchedule(warmup: 10, total: 200, floor: 0.1))
        #expect(d.compression == .topKInt8(fraction: 0.1, blockSize: 32))
        #expect(d.aggregator == .multiKrum(f: 2, m: 4))
        let bad = "seed: 1\nduration: 1m\nnodes: [{group: n}]\ndiloco: {X}"
        #expect(error(bad.replacingOccurrences(of: "X", with: "cosine: true")).contains("set steps too"))
        #expect(error(bad.replacingOccurrences(of: "X", with: "mode: async")).contains("unknown diloco.mode 'async'"))
        #expect(error(bad.replacingOccurrences(of: "X", with: "aggregator: bulyan")).contains("unknown aggregator 'bulyan'"))
        #expect(error(bad.replacingOccurrences(of: "X", with: "aggregator: median, trim: 0.2")).contains("trimmed_mean aggregator only"))
        #expect(error(bad.replacingOccurrences(of: "X", with: "compression: zip")).contains("unknown compression 'zip'"))
        #expect(error(bad.replacingOccurrences(of: "X", with: "steps: 5, warmup: 10")).contains("exceeds diloco.steps"))
    }
}
