import Deterministic
import Foundation
import NeuroShardCore
import Training

/// The node's durable state on disk (`<data-dir>/state.bin`): what `persist` effects hand over,
/// read back at the next start. Written to a temporary file and renamed over the old one, so a
/// crash mid-write leaves the previous state; a digest over the contents turns a truncated or
/// corrupted file into an error instead of wrong weights.
///
/// Layout (little-endian): magic "NSD1", round, completed rounds, layer range, per layer a float
/// count and the floats, the velocity's layer count and arrays, the known peers (length-prefixed
/// UTF-8), then a 64-bit `StableHasher` digest of everything before it.
public struct DurableStore: Sendable {
    public let file: URL

    public init(directory: String) {
        file = URL(fileURLWithPath: directory).appendingPathComponent("state.bin")
    }

    /// A state file that cannot be read back, or written.
    public struct StateFileError: Error, CustomStringConvertible {
        public var description: String
    }

    public func save(_ state: DurableState) throws {
        var out = Writer()
        out.bytes(Array("NSD1".utf8))
        out.int(state.round)
        out.int(state.completedRounds)
        out.int(state.theta0.range.lowerBound)
        out.int(state.theta0.range.upperBound)
        for layer in state.theta0.layers { out.floats(layer) }
        out.int(state.outerVelocity.count)
        for v in state.outerVelocity { out.floats(v) }
        out.int(state.knownPeers.count)
        for peer in state.knownPeers { out.string(peer) }
        out.word(out.digest)
        let temporary = file.appendingPathExtension("tmp")
        try Data(out.data).write(to: temporary)
        guard rename(temporary.path, file.path) == 0 else {
            throw StateFileError(description: "\(file.path): cannot replace it (errno \(errno))")
        }
    }

    /// The saved state; nil when there is none; `StateFileError` when the file cannot be trusted.
    public func load() throws -> DurableState? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        var input = Reader(bytes: Array(data))
        guard data.count >= 12, input.take(4) == Array("NSD1".utf8) else { throw StateFileError(description: "\(file.path): not a state file") }
        var trailer = Reader(bytes: Array(data.suffix(8)))
        guard trailer.word() == Writer.digest(of: Array(data.dropLast(8))) else {
            throw StateFileError(description: "\(file.path): truncated or corrupted (its digest does not match)")
        }
        guard let round = input.int(), let completed = input.int(), let lower = input.int(), let upper = input.int(),
              lower >= 0, upper >= lower else { throw StateFileError(description: "\(file.path): bad header") }
        var layers: [[Float]] = []
        for _ in lower..<upper {
            guard let layer = input.floats() else { throw StateFileError(description: "\(file.path): bad weights") }
            layers.append(layer)
        }
        var velocity: [[Float]] = []
        guard let velocityCount = input.int(), velocityCount >= 0 else { throw StateFileError(description: "\(file.path): bad velocity") }
        for _ in 0..<velocityCount {
            guard let v = input.floats() else { throw StateFileError(description: "\(file.path): bad velocity") }
            velocity.append(v)
        }
        var peers: [String] = []
        guard let peerCount = input.int(), peerCount >= 0 else { throw StateFileError(description: "\(file.path): bad peers") }
        for _ in 0..<peerCount {
            guard let peer = input.string() else { throw StateFileError(description: "\(file.path): bad peers") }
            peers.append(peer)
        }
        return DurableState(round: round, completedRounds: completed,
                            theta0: LayerParameters(range: lower..<upper, layers: layers),
                            outerVelocity: velocity, knownPeers: peers)
    }
}

private struct Writer {
    var data: [UInt8] = []

    mutating func bytes(_ b: [UInt8]) { data += b }
    mutating func int(_ v: Int) { word(UInt64(bitPattern: Int64(v))) }
    mutating func word(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
    mutating func floats(_ values: [Float]) {
        int(values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
    }
    mutating func string(_ s: String) {
        int(s.utf8.count)
        data += Array(s.utf8)
    }

    var digest: UInt64 { Self.digest(of: data) }

    static func digest(of bytes: [UInt8]) -> UInt64 {
        var h = StableHasher()
        for chunk in stride(from: 0, to: bytes.count, by: 8) {
            var word: UInt64 = 0
            for (i, b) in bytes[chunk..<min(chunk + 8, bytes.count)].enumerated() { word |= UInt64(b) << (8 * UInt64(i)) }
            h.combine(word)
        }
        h.combine(bytes.count)
        return h.value
    }
}

private struct Reader {
    let bytes: [UInt8]
    var at = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ n: Int) -> [UInt8]? {
        guard n >= 0, at + n <= bytes.count else { return nil }
        defer { at += n }
        return Array(bytes[at..<(at + n)])
    }

    mutating func word() -> UInt64? {
        guard let b = take(8) else { return nil }
        return b.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func int() -> Int? { word().map { Int(Int64(bitPattern: $0)) } }

    mutating func floats() -> [Float]? {
        guard let count = int(), count >= 0, count <= (bytes.count - at) / 4, let raw = take(4 * count) else { return nil }
        return (0..<count).map { i in
            Float(bitPattern: UInt32(raw[4 * i]) | UInt32(raw[4 * i + 1]) << 8 | UInt32(raw[4 * i + 2]) << 16 | UInt32(raw[4 * i + 3]) << 24)
        }
    }

    mutating func string() -> String? {
        guard let count = int(), count >= 0, let raw = take(count) else { return nil }
        return String(decoding: raw, as: UTF8.self)
    }
}
