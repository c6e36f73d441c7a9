import Yams

/// A mistake in a scenario file: one line naming the file, the line and the problem.
public struct ScenarioError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}

/// Walks a YAML node tree with the file position of each value at hand, so that every error
/// points at its line, and every mapping rejects keys it does not know (a typo is an error, not
/// a silently ignored setting).
struct YAMLValue {
    let node: Node
    let path: String
    let file: String

    var line: Int { node.mark?.line ?? 0 }
    /// How messages name this value: its path, or "the file" for the top level.
    var name: String { path.isEmpty ? "the file" : path }
    var column: Int { node.mark?.column ?? 0 }

    func error(_ message: String) -> ScenarioError {
        ScenarioError(file: file, line: line, column: column, message: message)
    }

    func string() throws(ScenarioError) -> String {
        guard case .scalar(let s) = node else { throw error("\(name) must be a single value") }
        return s.string
    }

    func int(in range: ClosedRange<Int>? = nil) throws(ScenarioError) -> Int {
        let text = try string()
        guard let v = Int(text.replacingSpaces) else { throw error("\(name) must be a whole number, not '\(text)'") }
        if let r = range, !r.contains(v) { throw error("\(name) must be between \(r.lowerBound) and \(r.upperBound), not \(v)") }
        return v
    }

    func double(in range: ClosedRange<Double>? = nil) throws(ScenarioError) -> Double {
        let text = try string()
        guard let v = Double(text.replacingSpaces), v.isFinite else { throw error("\(name) must be a number, not '\(text)'") }
        if let r = range, !r.contains(v) { throw error("\(name) must be between \(r.lowerBound) and \(r.upperBound), not \(v)") }
        return v
    }

    func bool() throws(ScenarioError) -> Bool {
        switch try string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        case let other: throw error("\(name) must be true or false, not '\(other)'")
        }
    }

    func parsed<T>(_ what: String, _ parse: (String) -> T?) throws(ScenarioError) -> T {
        let text = try string()
        guard let v = parse(text) else { throw error("\(name): '\(text)' is not a valid \(what)") }
        return v
    }

    func list() throws(ScenarioError) -> [YAMLValue] {
        guard case .sequence(let seq) = node else { throw error("\(name) must be a list") }
        return seq.enumerated().map { YAMLValue(node: $1, path: "\(path)[\($0)]", file: file) }
    }

    func map() throws(ScenarioError) -> YAMLMap {
        guard case .mapping(let m) = node else { throw error("\(name) must be a mapping of keys to values") }
        return YAMLMap(mapping: m, value: self)
    }

    var isMap: Bool { if case .mapping = node { return true } else { return false } }
}

/// A mapping whose keys are checked off as they are read; `finish` rejects the rest.
final class YAMLMap {
    private let entries: [(key: String, mark: Mark?, value: Node)]
    let value: YAMLValue
    private var read: Set<String> = []

    init(mapping: Node.Mapping, value: YAMLValue) {
        entries = mapping.map { (key: $0.key.scalar?.string ?? "", mark: $0.key.mark, value: $0.value) }
        self.value = value
    }

    func optional(_ key: String) -> YAMLValue? {
        read.insert(key)
        guard let node = entries.first(where: { $0.key == key })?.value else { return nil }
        if case .scalar(let s) = node, s.string.isEmpty || s.string == "~" || s.string == "null" { return nil }
        let path = value.path.isEmpty ? key : "\(value.path).\(key)"
        return YAMLValue(node: node, path: path, file: value.file)
    }

    func required(_ key: String) throws(ScenarioError) -> YAMLValue {
        guard let v = optional(key) else { throw value.error("\(value.name) needs '\(key)'") }
        return v
    }

    var keys: [String] { entries.map(\.key) }

    func finish() throws(ScenarioError) {
        for (key, mark, _) in entries where !read.contains(key) {
            let known = read.sorted().joined(separator: ", ")
            let where_ = value.path.isEmpty ? "at the top level" : "in \(value.path)"
            throw ScenarioError(file: value.file, line: mark?.line ?? value.line, column: mark?.column ?? 1,
                                message: "unknown key '\(key)' \(where_) (known: \(known))")
        }
    }
}
