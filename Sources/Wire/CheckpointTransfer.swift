import Foundation
import Identity
import NeuroShardCore
import Training

/// Weights of some layers as a stream of chunks (GetCheckpoint, PutCheckpoint): a header with
/// the layer sizes, the byte count and their SHA-256, then the data, at most `chunkBytes` a chunk.
public enum CheckpointTransfer {
    public static let chunkBytes = 1 << 20

    public static func chunks(_ c: CheckpointMessage, sender caller: Neuroshard_Caller) -> [Neuroshard_CheckpointChunk] {
        var data = Data()
        for layer in c.params.layers { layer.withUnsafeBytes { data.append(contentsOf: $0) } }
        for v in c.velocity { v.withUnsafeBytes { data.append(contentsOf: $0) } }
        var header = Neuroshard_CheckpointHeader()
        header.sender = caller
        header.round = Int64(c.round)
        header.layerStart = Int32(c.params.range.lowerBound)
        header.layerSizes = c.params.layers.map { Int64($0.count) }
        header.hasVelocity_p = !c.velocity.isEmpty
        header.totalBytes = UInt64(data.count)
        header.sha256 = Data(digest(data))
        var out: [Neuroshard_CheckpointChunk] = []
        var offset = 0
        repeat {
            let end = min(offset + chunkBytes, data.count)
            out.append(.with {
                if offset == 0 { $0.header = header }
                $0.data = data.subdata(in: offset..<end)
            })
            offset = end
        } while offset < data.count
        return out
    }
}

/// Puts a checkpoint back together from its chunks, refusing anything inconsistent: no header
/// first, a second header, more data than announced, a size beyond `limit`, a wrong hash.
public struct CheckpointAssembler {
    public let limit: Int
    private var header: Neuroshard_CheckpointHeader?
    private var data = Data()

    public init(limit: Int) { self.limit = limit }

    /// Who sent it, from the header.
    public var sender: Neuroshard_Caller? { header?.sender }

    public mutating func add(_ chunk: Neuroshard_CheckpointChunk) throws(WireError) {
        if chunk.hasHeader {
            guard header == nil else { throw WireError("checkpoint: a second header") }
            let h = chunk.header
            guard h.totalBytes <= UInt64(limit) else { throw WireError("checkpoint: \(h.totalBytes) bytes, more than the limit \(limit)") }
            // Each size is bounded first, so the sum below cannot overflow.
            guard h.layerSizes.count <= limit, h.layerSizes.allSatisfy({ (0...Int64(limit / 4)).contains($0) }) else {
                throw WireError("checkpoint: layer sizes beyond the limit \(limit)")
            }
            let floats = h.layerSizes.reduce(Int64(0), +) * (h.hasVelocity_p ? 2 : 1)
            guard UInt64(4 * floats) == h.totalBytes else {
                throw WireError("checkpoint: total_bytes \(h.totalBytes) does not match the layer sizes")
            }
            guard h.sha256.count == 32 else { throw WireError("checkpoint: sha256 must be 32 bytes") }
            header = h
        } else if header == nil {
            throw WireError("checkpoint: the first chunk carries no header")
        }
        guard UInt64(data.count + chunk.data.count) <= header!.totalBytes else {
            throw WireError("checkpoint: more data than the \(header!.totalBytes) bytes announced")
        }
        data.append(chunk.data)
    }

    public func finish() throws(WireError) -> CheckpointMessage {
        guard let h = header else { throw WireError("checkpoint: no chunks") }
        guard UInt64(data.count) == h.totalBytes else {
            throw WireError("checkpoint truncated: \(data.count) of \(h.totalBytes) bytes")
        }
        guard digest(data) == Array(h.sha256) else { throw WireError("checkpoint: the data does not match its sha256") }
        let first = try PeerMessage.count(Int64(h.layerStart), "checkpoint layer_start")
        var offset = 0
        func take(_ count: Int) -> [Float] {
            defer { offset += 4 * count }
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                _ = data[(data.startIndex + offset)...].copyBytes(to: buffer)
                initialized = count
            }
        }
        let sizes = h.layerSizes.map { Int($0) }
        let layers = sizes.map(take)
        let velocity = h.hasVelocity_p ? sizes.map(take) : []
        return CheckpointMessage(round: try PeerMessage.count(h.round, "checkpoint round"), params: LayerParameters(range: first..<(first + layers.count), layers: layers),
                                 velocity: velocity)
    }
}

/// SHA-256 of a checkpoint's bytes, read in place (they can be hundreds of megabytes).
private func digest(_ data: Data) -> [UInt8] {
    var h = SHA256()
    data.withUnsafeBytes { h.update($0) }
    return h.finish()
}
