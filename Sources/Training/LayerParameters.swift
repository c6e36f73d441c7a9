/// The parameters of a contiguous range of model layers, one flat `[Float]` per layer.
/// A node holding layers [a, b) keeps one of these for θ (current) and one for θ₀ (round start).
public struct LayerParameters: Equatable, Sendable {
    public private(set) var range: Range<Int>
    public var layers: [[Float]]

    public init(range: Range<Int>, layers: [[Float]]) {
        precondition(range.count == layers.count, "one array per layer")
        self.range = range
        self.layers = layers
    }

    public static let empty = LayerParameters(range: 0..<0, layers: [])

    public subscript(layer: Int) -> [Float] {
        get { layers[layer - range.lowerBound] }
        set { layers[layer - range.lowerBound] = newValue }
    }

    public func contains(_ layer: Int) -> Bool { range.contains(layer) }

    /// The layers of `sub` only (which must lie within `range`).
    public func restricted(to sub: Range<Int>) -> LayerParameters {
        LayerParameters(range: sub, layers: sub.map { self[$0] })
    }

    /// Δ = self − other, per layer (both must cover the same range).
    public func minus(_ other: LayerParameters) -> LayerParameters {
        precondition(range == other.range, "ranges differ")
        var out = self
        for i in out.layers.indices {
            let b = other.layers[i]
            out.layers[i].withUnsafeMutableBufferPointer { a in
                for j in a.indices { a[j] -= b[j] }
            }
        }
        return out
    }

    public var allFinite: Bool {
        layers.allSatisfy { $0.allSatisfy { $0.isFinite } }
    }
}

/// ‖x‖₂ accumulated in Double in a fixed order.
public func l2Norm(_ x: [Float]) -> Double {
    var s = 0.0
    for v in x { s += Double(v) * Double(v) }
    return s.squareRoot()
}

/// ‖a − b‖₂ accumulated in Double in a fixed order.
public func distance(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "sizes differ")
    var s = 0.0
    for i in a.indices {
        let d = Double(a[i]) - Double(b[i])
        s += d * d
    }
    return s.squareRoot()
}
