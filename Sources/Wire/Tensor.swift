import Foundation

#if !_endian(little)
#error("tensors travel as little-endian float32, copied as they lie in memory")
#endif

/// Why a request cannot be taken: the gRPC shell answers INVALID_ARGUMENT with this text.
public struct WireError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Neuroshard_Tensor {
    public init(_ floats: [Float], shape: [Int]? = nil) {
        self.init()
        data = floats.withUnsafeBytes { Data($0) }
        self.shape = (shape ?? [floats.count]).map(Int64.init)
    }

    /// The floats, after checking that the bytes are whole floats and that the shape covers
    /// exactly them (`expected`, when given, is the count the receiver needs).
    public func floats(_ what: String, expected: Int? = nil) throws(WireError) -> [Float] {
        guard data.count % 4 == 0 else { throw WireError("\(what): \(data.count) bytes is not a whole number of float32") }
        let count = data.count / 4
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { throw WireError("\(what): negative dimension in shape \(shape)") }
            let (p, overflow) = product.multipliedReportingOverflow(by: Int(dimension))
            guard !overflow else { throw WireError("\(what): shape \(shape) is too large") }
            product = p
        }
        guard !shape.isEmpty, product == count else {
            throw WireError("\(what): shape \(shape) does not match \(count) floats")
        }
        if let expected, expected != count { throw WireError("\(what): \(count) floats, expected \(expected)") }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = data.copyBytes(to: buffer)
            initialized = count
        }
    }
}
