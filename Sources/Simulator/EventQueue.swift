/// The simulator's agenda: a binary min-heap ordered by (time, sequence number). The sequence
/// number breaks ties in insertion order, so two events at the same instant always run in the
/// same order, in every process.
public struct EventQueue<Payload> {
    public struct Entry {
        public var time: Int64
        public var seq: UInt64
        public var payload: Payload

        @inline(__always)
        static func before(_ a: Entry, _ b: Entry) -> Bool {
            a.time < b.time || (a.time == b.time && a.seq < b.seq)
        }
    }

    private var heap: ContiguousArray<Entry> = []
    private var nextSeq: UInt64 = 0

    public init() {}

    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }
    public var nextTime: Int64? { heap.first?.time }

    public mutating func push(at time: Int64, _ payload: Payload) {
        let entry = Entry(time: time, seq: nextSeq, payload: payload)
        nextSeq &+= 1
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Entry.before(entry, heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = entry
    }

    public mutating func pop() -> Entry? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        let n = heap.count
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= n { break }
            if child + 1 < n && Entry.before(heap[child + 1], heap[child]) { child += 1 }
            guard Entry.before(heap[child], last) else { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = last
        return top
    }
}
