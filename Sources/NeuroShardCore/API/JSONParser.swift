/// Request bodies, read by the core itself: it keeps no Foundation (see SansIOTests), and the
/// HTTP API's checks — malformed JSON, wrong types — are its business, not the shells'.
/// Strict RFC 8259: one value, no trailing commas or garbage, escapes and UTF-8 checked, nesting
/// bounded so a hostile body cannot exhaust the stack.
extension JSON {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var problem: String
        public var description: String { "\(problem) at byte \(offset)" }
    }

    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(ParseError) -> JSON {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.at == bytes.count else { throw parser.error("unexpected data after the value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var at = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        func error(_ problem: String) -> ParseError { ParseError(offset: at, problem: problem) }

        var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

        mutating func skipSpace() {
            while let b = peek, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { at += 1 }
        }

        mutating func expect(_ literal: String, _ value: JSON) throws(ParseError) -> JSON {
            let utf8 = Array(literal.utf8)
            guard at + utf8.count <= bytes.count, Array(bytes[at..<(at + utf8.count)]) == utf8 else {
                throw error("unexpected character")
            }
            at += utf8.count
            return value
        }

        mutating func value(depth: Int) throws(ParseError) -> JSON {
            guard depth < maxDepth else { throw error("nested deeper than \(maxDepth)") }
            skipSpace()
            switch peek {
            case nil: throw error("unexpected end of the body")
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            default: return try number()
            }
        }

        mutating func object(depth: Int) throws(ParseError) -> JSON {
            at += 1
            var members: [(String, JSON)] = []
            var names: Set<String> = []
            skipSpace()
            if peek == UInt8(ascii: "}") { at += 1; return .object(members) }
            while true {
                skipSpace()
                guard peek == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try string()
                skipSpace()
                guard peek == UInt8(ascii: ":") else { throw error("expected ':'") }
                at += 1
                let member = try value(depth: depth + 1)
                // A repeated name is ambiguous (RFC 8259 §4): refused rather than guessed.
                guard names.insert(key).inserted else { throw error("member '\(key)' repeated") }
                members.append((key, member))
                skipSpace()
                switch peek {
                case UInt8(ascii: ","): at += 1
                case UInt8(ascii: "}"): at += 1; return .object(members)
                default: throw error("expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) throws(ParseError) -> JSON {
            at += 1
            var items: [JSON] = []
            skipSpace()
            if peek == UInt8(ascii: "]") { at += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                switch peek {
                case UInt8(ascii: ","): at += 1
                case UInt8(ascii: "]"): at += 1; return .array(items)
                default: throw error("expected ',' or ']'")
                }
            }
        }

        mutating func string() throws(ParseError) -> String {
            at += 1
            var out: [UInt8] = []
            while true {
                guard let b = peek else { throw error("unterminated string") }
                at += 1
                switch b {
                case UInt8(ascii: "\""):
                    guard let s = String(validating: out, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    guard let e = peek else { throw error("unterminated escape") }
                    at += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"): out += Array(String(try unicodeEscape()).utf8)
                    default: throw error("unknown escape")
                    }
                case 0..<0x20: throw error("a control character in a string")
                default: out.append(b)
                }
            }
        }

        /// The scalar of `\uXXXX`, or of a surrogate pair `\uD8XX\uDCXX`.
        mutating func unicodeEscape() throws(ParseError) -> Character {
            let high = try hex4()
            if (0xD800..<0xDC00).contains(high) {
                guard at + 2 <= bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                    throw error("a lone surrogate")
                }
                at += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate") }
                return Character(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!)
            }
            guard let scalar = Unicode.Scalar(high) else { throw error("a lone surrogate") }
            return Character(scalar)
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard at + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[at..<(at + 4)], as: UTF8.self), radix: 16),
                  bytes[at..<(at + 4)].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") }) else {
                throw error("bad \\u escape")
            }
            at += 4
            return v
        }

        /// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: an integer when it has neither fraction nor
        /// exponent and fits 64 bits, a double otherwise.
        mutating func number() throws(ParseError) -> JSON {
            let start = at
            func digits(_ p: inout Parser) -> Int {
                let from = p.at
                while let b = p.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) { p.at += 1 }
                return p.at - from
            }
            if peek == UInt8(ascii: "-") { at += 1 }
            let leading = at
            guard digits(&self) > 0 else { throw error("unexpected character") }
            guard bytes[leading] != UInt8(ascii: "0") || at - leading == 1 else { throw error("a number with a leading zero") }
            var integral = true
            if peek == UInt8(ascii: ".") {
                at += 1
                integral = false
                guard digits(&self) > 0 else { throw error("a number without digits after '.'") }
            }
            if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                at += 1
                integral = false
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
                guard digits(&self) > 0 else { throw error("a number without exponent digits") }
            }
            let text = String(decoding: bytes[start..<at], as: UTF8.self)
            if integral, let v = Int64(text) { return .int(v) }
            guard let d = Double(text), d.isFinite else { throw error("a number out of range") }
            return .double(d)
        }
    }
}
