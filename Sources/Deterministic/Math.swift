#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libm entry points used by the deterministic code. They are named here once so that a change
// of math library (which could change the last bit of a result, and so a trace) is one edit.
@inline(__always) public func _log(_ x: Double) -> Double { log(x) }
@inline(__always) public func _exp(_ x: Double) -> Double { exp(x) }
@inline(__always) public func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) public func _sin(_ x: Double) -> Double { sin(x) }
@inline(__always) public func _pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
