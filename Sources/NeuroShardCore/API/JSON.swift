/// A JSON value with ordered object keys, so that a response is the same bytes in both shells
/// and in every process.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func int(_ v: Int) -> JSON { .int(Int64(v)) }

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.double(x), .double(y)): x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The member named `key` of an object. Setting replaces the member in place or appends it.
    public subscript(key: String) -> JSON? {
        get {
            if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
            return nil
        }
        set {
            guard case .object(var members) = self, let newValue else { return }
            if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = newValue } else { members.append((key, newValue)) }
            self = .object(members)
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let v): Double(v)
        case .double(let v): v
        default: nil
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Compact serialization. Non-finite numbers become null (JSON has no NaN).
    public var serialized: String { String(decoding: serializedBytes, as: UTF8.self) }

    /// The same as UTF-8 bytes, written byte by byte (what a response body carries).
    public var serializedBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(to: &out)
        return out
    }

    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .int(let v): out += String(v).utf8
        case .double(let v):
            if !v.isFinite { out += "null".utf8 }
            else if v == v.rounded(.towardZero) && abs(v) < 1e15 { out += String(Int64(v)).utf8; out += ".0".utf8 }
            else { out += String(v).utf8 }
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Only ASCII bytes need escaping; every other byte of the UTF-8 (multi-byte characters
    /// included) is copied as it is.
    private static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\"".utf8
            case UInt8(ascii: "\\"): out += "\\\\".utf8
            case UInt8(ascii: "\n"): out += "\\n".utf8
            case UInt8(ascii: "\r"): out += "\\r".utf8
            case UInt8(ascii: "\t"): out += "\\t".utf8
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                out += "\\u".utf8
                out += String(repeating: "0", count: 4 - hex.count).utf8
                out += hex.utf8
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(elements) }
}

extension JSON {
    /// Two-space indented form, for files people read (summary.json).
    public var prettyPrinted: String {
        var out: [UInt8] = []
        writePretty(to: &out, indent: "")
        return String(decoding: out, as: UTF8.self)
    }

    private func writePretty(to out: inout [UInt8], indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let items) where !items.isEmpty:
            out += "[\n".utf8
            for (i, item) in items.enumerated() {
                out += inner.utf8
                item.writePretty(to: &out, indent: inner)
                out += (i < items.count - 1 ? ",\n" : "\n").utf8
            }
            out += indent.utf8
            out += "]".utf8
        case .object(let members) where !members.isEmpty:
            out += "{\n".utf8
            for (i, (key, value)) in members.enumerated() {
                out += inner.utf8
                JSON.string(key).write(to: &out)
                out += ": ".utf8
                value.writePretty(to: &out, indent: inner)
                out += (i < members.count - 1 ? ",\n" : "\n").utf8
            }
            out += indent.utf8
            out += "}".utf8
        default:
            write(to: &out)
        }
    }
}
