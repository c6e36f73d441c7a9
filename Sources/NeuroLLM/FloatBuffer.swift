/// A fixed-size, zero-initialised float buffer with a stable address. The stage's workspace is
/// made of these so the hot loops and the BLAS calls work on raw pointers, with neither
/// copy-on-write checks nor nested `withUnsafe…` closures, and nothing is allocated per step.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
