import Yams

/// `variants:` — named overrides of the scenario's settings that run with the same seed and data
/// (for example `sync` vs `diloco_h10`), and `compare:` lines across them.
///
/// An override is merged into the file: mappings merge key by key, and under `nodes` a mapping
/// keyed by group name merges into that group (`nodes: {workers: {count: 1}}`); anything else
/// replaces the value. A variant with its own `expect` replaces the file's list.
extension ScenarioReader {
    static let variantKeys = ["variants", "compare"]

    static func readVariants(root: Node, file: String, defaultName: String,
                             base: Scenario) throws(ScenarioError) -> (variants: [Scenario.Variant], comparisons: [Comparison]) {
        guard case .mapping(let mapping) = root else { return ([], []) }
        let compareNode = mapping["compare"]
        guard let variantsNode = mapping["variants"] else {
            if let c = compareNode { throw YAMLValue(node: c, path: "compare", file: file).error("compare needs variants") }
            return ([], [])
        }
        let variantsValue = YAMLValue(node: variantsNode, path: "variants", file: file)
        guard case .mapping(let entries) = variantsNode, !entries.isEmpty else {
            throw variantsValue.error("variants must map variant names to overrides")
        }
        let plain = withoutVariantKeys(mapping)
        var variants: [Scenario.Variant] = []
        for (keyNode, override) in entries {
            let name = keyNode.scalar?.string ?? ""
            let keyValue = YAMLValue(node: keyNode, path: "variants", file: file)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw keyValue.error("variant names use letters, digits and '_' (they name columns and files)")
            }
            guard !variants.contains(where: { $0.name == name }) else { throw keyValue.error("variant '\(name)' is defined twice") }
            guard case .mapping(let changes) = override else {
                throw YAMLValue(node: override, path: "variants.\(name)", file: file).error("variants.\(name) must be a mapping of overrides")
            }
            for (k, _) in changes where variantKeys.contains(k.scalar?.string ?? "") {
                throw YAMLValue(node: k, path: "variants.\(name)", file: file).error("a variant cannot hold variants or compare lines")
            }
            let merged = Node.mapping(try merge(plain, changes, file: file, path: "variants.\(name)"))
            var scenario = try read(YAMLValue(node: merged, path: "", file: file), defaultName: defaultName)
            scenario.name = base.name
            variants.append(Scenario.Variant(name: name, scenario: scenario))
        }
        var comparisons: [Comparison] = []
        if let c = compareNode {
            for item in try YAMLValue(node: c, path: "compare", file: file).list() {
                let text = try item.string()
                do throws(ExpectationError) {
                    comparisons.append(try Comparison.parse(text, variants: variants.map(\.name)))
                } catch {
                    throw item.error(error.description)
                }
            }
        }
        return (variants, comparisons)
    }

    static func withoutVariantKeys(_ mapping: Node.Mapping) -> Node.Mapping {
        Node.Mapping(mapping.filter { !variantKeys.contains($0.key.scalar?.string ?? "") }.map { ($0.key, $0.value) },
                     mapping.tag, mapping.style, mapping.mark)
    }

    private static func merge(_ base: Node.Mapping, _ changes: Node.Mapping, file: String,
                              path: String) throws(ScenarioError) -> Node.Mapping {
        var pairs = base.map { ($0.key, $0.value) }
        for (key, value) in changes {
            let name = key.scalar?.string ?? ""
            guard let i = pairs.firstIndex(where: { $0.0.scalar?.string == name }) else {
                pairs.append((key, value))
                continue
            }
            switch (pairs[i].1, value) {
            case (.mapping(let a), .mapping(let b)):
                pairs[i].1 = .mapping(try merge(a, b, file: file, path: "\(path).\(name)"))
            case (.sequence(let groups), .mapping(let byName)) where name == "nodes":
                pairs[i].1 = .sequence(try mergeGroups(groups, byName, file: file, path: "\(path).nodes"))
            default:
                pairs[i].1 = value
            }
        }
        return Node.Mapping(pairs, base.tag, base.style, base.mark)
    }

    private static func mergeGroups(_ groups: Node.Sequence, _ changes: Node.Mapping, file: String,
                                    path: String) throws(ScenarioError) -> Node.Sequence {
        var items = Array(groups)
        for (key, value) in changes {
            let name = key.scalar?.string ?? ""
            guard let i = items.firstIndex(where: { $0.mapping?["group"]?.scalar?.string == name }),
                  case .mapping(let group) = items[i] else {
                throw YAMLValue(node: key, path: path, file: file).error("no node group named '\(name)' to override")
            }
            guard case .mapping(let groupChanges) = value else {
                throw YAMLValue(node: value, path: "\(path).\(name)", file: file).error("\(path).\(name) must be a mapping")
            }
            items[i] = .mapping(try merge(group, groupChanges, file: file, path: "\(path).\(name)"))
        }
        return Node.Sequence(items, groups.tag, groups.style, groups.mark)
    }
}
