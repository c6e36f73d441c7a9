/// One `compare:` line of a scenario with variants: two arithmetic expressions over numbers and
/// `variant.metric` references, joined by a comparison, e.g.
/// `diloco_h10.final_loss <= 1.03 * sync.final_loss` or
/// `(single.final_loss - diloco_h50.final_loss) / (single.final_loss - sync.final_loss) >= 0.7`.
public struct Comparison: Sendable, Equatable {
    public indirect enum Term: Sendable, Equatable {
        case number(Double)
        case metric(variant: String, name: String)
        case binary(Character, Term, Term)

        /// The value, or nil when a metric is missing; a non-finite result fails the comparison.
        public func value(_ lookup: (String, String) -> Double?) -> Double? {
            switch self {
            case .number(let x): return x
            case .metric(let v, let n): return lookup(v, n)
            case .binary(let op, let a, let b):
                guard let x = a.value(lookup), let y = b.value(lookup) else { return nil }
                switch op {
                case "+": return x + y
                case "-": return x - y
                case "*": return x * y
                default: return x / y
                }
            }
        }

        var references: [(variant: String, name: String)] {
            switch self {
            case .number: []
            case .metric(let v, let n): [(v, n)]
            case .binary(_, let a, let b): a.references + b.references
            }
        }
    }

    public var text: String
    public var left: Term
    public var op: Expectation.Op
    public var right: Term

    /// Both sides' values and whether the comparison holds.
    public func evaluate(_ lookup: (String, String) -> Double?) -> (left: Double, right: Double, holds: Bool) {
        let l = left.value(lookup) ?? .nan, r = right.value(lookup) ?? .nan
        return (l, r, l.isFinite && r.isFinite && op.holds(l, r))
    }

    /// Parses one line against the scenario's variant names.
    public static func parse(_ text: String, variants: [String]) throws(ExpectationError) -> Comparison {
        let trimmed = text.trimmingSpaces
        // Two-character operators first, so "<=" is not read as "<".
        for op in Expectation.Op.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }) {
            guard let r = trimmed.range(of: op.rawValue) else { continue }
            let left = try TermParser.parse(String(trimmed[..<r.lowerBound]), whole: trimmed)
            let right = try TermParser.parse(String(trimmed[r.upperBound...]), whole: trimmed)
            for ref in left.references + right.references {
                guard variants.contains(ref.variant) else {
                    throw ExpectationError("no variant named '\(ref.variant)' (variants: \(variants.joined(separator: ", ")))")
                }
                try MetricCatalog.validate(ref.name)
            }
            return Comparison(text: trimmed, left: left, op: op, right: right)
        }
        throw ExpectationError("'\(trimmed)' needs a comparison (<, <=, ==, !=, >=, >)")
    }
}

/// Recursive descent over `term := factor (('+'|'-') factor)*`, `factor := atom (('*'|'/') atom)*`,
/// `atom := number | variant.metric | '(' term ')'`.
private struct TermParser {
    var chars: [Character]
    var i = 0
    let whole: String

    static func parse(_ text: String, whole: String) throws(ExpectationError) -> Comparison.Term {
        var p = TermParser(chars: Array(text), whole: whole)
        let t = try p.sum()
        p.skipSpaces()
        guard p.i == p.chars.count else { throw p.error("unexpected '\(String(p.chars[p.i...]))'") }
        return t
    }

    func error(_ message: String) -> ExpectationError { ExpectationError("\(message) in '\(whole)'") }

    mutating func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }

    mutating func sum() throws(ExpectationError) -> Comparison.Term {
        var t = try product()
        while true {
            skipSpaces()
            guard i < chars.count, chars[i] == "+" || chars[i] == "-" else { return t }
            let op = chars[i]; i += 1
            t = .binary(op, t, try product())
        }
    }

    mutating func product() throws(ExpectationError) -> Comparison.Term {
        var t = try atom()
        while true {
            skipSpaces()
            guard i < chars.count, chars[i] == "*" || chars[i] == "/" else { return t }
            let op = chars[i]; i += 1
            t = .binary(op, t, try atom())
        }
    }

    mutating func atom() throws(ExpectationError) -> Comparison.Term {
        skipSpaces()
        guard i < chars.count else { throw error("missing a value") }
        if chars[i] == "(" {
            i += 1
            let t = try sum()
            skipSpaces()
            guard i < chars.count, chars[i] == ")" else { throw error("missing ')'") }
            i += 1
            return t
        }
        let start = i
        while i < chars.count, chars[i].isLetter || chars[i].isNumber || "._".contains(chars[i]) { i += 1 }
        let word = String(chars[start..<i])
        guard !word.isEmpty else { throw error("unexpected '\(chars[i])'") }
        if let x = Double(word), x.isFinite { return .number(x) }
        guard let dot = word.firstIndex(of: "."), dot != word.startIndex else {
            throw error("'\(word)' is neither a number nor variant.metric")
        }
        return .metric(variant: String(word[..<dot]), name: String(word[word.index(after: dot)...]))
    }
}
