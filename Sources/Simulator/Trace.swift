import Deterministic
import Foundation
import Scenario

/// The run's trace: every processed event folds (time, node, kind, digest) into a rolling hash;
/// a full trace also writes one line per event to trace.log, a summary trace only the notable
/// ones plus a hash checkpoint every 100,000 events, so two runs can be compared line by line.
public final class Trace {
    public private(set) var hash = StableHasher(seed: 0x4E53_5452_4143_4531)
    public private(set) var events: UInt64 = 0
    let level: TraceLevel
    private var buffer = ""
    private let handle: FileHandle?

    public init(level: TraceLevel, path: String?) throws {
        self.level = level
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let h = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            handle = h
        } else {
            handle = nil
        }
    }

    public var hashHex: String { hash.value.hex16 }

    /// Folds one event in; `detail` is only built when a line will be written.
    @inline(__always)
    public func record(time: Int64, node: Int, kind: UInt64, digest: UInt64, detail: () -> String) {
        events &+= 1
        hash.combine(time)
        hash.combine(node)
        hash.combine(kind)
        hash.combine(digest)
        guard handle != nil else { return }
        if level == .full {
            write("\(events) \(time) n\(node) \(detail()) \(digest.hex16)\n")
        } else if events % 100_000 == 0 {
            write("\(events) \(time) checkpoint \(hash.value.hex16)\n")
        }
    }

    /// A notable happening (fault, membership, round), written at both levels; not hashed
    /// separately, since the event that caused it already was.
    public func note(time: Int64, node: Int, _ text: @autoclosure () -> String) {
        guard handle != nil else { return }
        write("\(events) \(time) n\(node) note \(text())\n")
    }

    private func write(_ line: String) {
        buffer += line
        if buffer.utf8.count > 1 << 20 { flush() }
    }

    public func close() {
        flush()
        try? handle?.close()
    }

    private func flush() {
        guard let handle, !buffer.isEmpty else { return }
        handle.write(Data(buffer.utf8))
        buffer = ""
    }
}
