/// Why the model refused a call. Tokens, activations and gradients reach a stage from other
/// nodes and from API clients, so a bad one is an error the caller can answer (reject the
/// message, return 400) rather than a crash of the node.
public struct ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

@inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(ModelError) {
    if !condition { throw ModelError(message()) }
}
