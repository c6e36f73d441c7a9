import Deterministic
@testable import NeuroShardCore
import Testing

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws -> JSON { try JSON.parse(Array(text.utf8)) }

    @Test func readsEveryKindOfValue() throws {
        #expect(try parse(#" {"a": [1, -2, 3.5, 1e3, -0.25E-1], "b": {"c": null, "d": true, "e": false}, "f": ""} "#)
                == ["a": [1, -2, 3.5, 1000.0, -0.025], "b": ["c": .null, "d": true, "e": false], "f": ""])
        #expect(try parse(#""tab\tquote\"slash\/back\\é\u00e9\ud83d\ude00""#) == .string("tab\tquote\"slash/back\\éé😀"))
        #expect(try parse("9223372036854775807") == JSON.int(Int64.max))
        #expect(try parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try parse("[]") == [] && parse("{}") == .object([]))
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "1e", "-", "+1", "tru", "nul", "[1 2]", "{\"a\" 1}", "{1: 2}",
        "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u12g4\"", "\"a\nb\"", "\"open", "1 2", "{\"a\":1}x", "1e999",
        "{\"k\": 1, \"k\": 2}", "\"\\u+123\"",
    ])
    func refusesMalformedText(_ text: String) {
        #expect(throws: JSON.ParseError.self) { try parse(text) }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(throws: JSON.ParseError.self) { try JSON.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSON.ParseError.self) { try parse(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) }
        #expect((try? parse(String(repeating: "[", count: 63) + String(repeating: "]", count: 63))) != nil)
    }

    /// A body of many members parses in linear time (repeats are found with a set, not a scan).
    @Test func manyMembersParse() throws {
        let body = "{" + (0..<60_000).map { "\"k\($0)\":0" }.joined(separator: ",") + "}"
        guard case .object(let members) = try parse(body) else { Issue.record("not an object"); return }
        #expect(members.count == 60_000)
    }

    /// What the core writes, it reads back unchanged.
    @Test func readsBackWhatItWrites() throws {
        var rng = DeterministicRNG(seed: 11)
        func random(_ depth: Int) -> JSON {
            switch rng.nextInt(below: depth > 3 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(rng.nextDouble() < 0.5)
            case 2: return .int(Int64(rng.nextInt(below: 2_000_000)) - 1_000_000)
            case 3: return .double((rng.nextDouble() - 0.5) * 1e6)
            case 4: return .string(String((0..<rng.nextInt(below: 8)).map { _ in "aé\"\\\n\u{1}😀z".randomElement(using: &rng)! }))
            case 5: return .array((0..<rng.nextInt(below: 4)).map { _ in random(depth + 1) })
            default: return .object((0..<rng.nextInt(below: 4)).map { i in ("k\(i)", random(depth + 1)) })
            }
        }
        for _ in 0..<500 {
            let value = random(0)
            #expect(try JSON.parse(Array(value.serialized.utf8)) == value, "\(value.serialized)")
        }
    }
}
