import Deterministic
import Ledger
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

func micro(_ count: Int64) -> Micro { Micro(micro: count)! }
func neuro(_ whole: Int64) -> Micro { Micro(micro: whole * Micro.perNEURO)! }

func hex(_ value: Int, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: width - digits.count) + digits
}

/// Account number `n` as a node id.
func address(_ n: Int) -> String { hex(n, width: 32) }

/// A distinct 64-hex id for each (`n`, `salt`).
func digest(_ n: Int, salt: Int = 0) -> String { hex(salt, width: 32) + hex(n, width: 32) }

func send(_ id: Int, _ from: Int, _ to: Int, _ amount: Micro, nonce: Int64, memo: String = "", at time: Int64 = 0) -> TransferEntry {
    TransferEntry(id: digest(id), sender: address(from), recipient: address(to), amount: amount, memo: memo,
                  nonce: nonce, timestamp: time)
}

func proof(_ id: Int, node: Int, reward: Micro, at time: Int64 = 0) -> ProofEntry {
    ProofEntry(id: digest(id, salt: 1), node: address(node), timestamp: time, reward: reward, uptimeSeconds: 60, batches: 3)
}

/// A ledger holding `amounts[i]` NEURO in account i.
func funded(_ amounts: [Int64]) throws -> Ledger {
    let ledger = try Ledger(path: nil, durable: false)
    try ledger.allocateGenesis(amounts.enumerated().map { (address($0.offset), neuro($0.element)) }, timestamp: 0)
    return ledger
}

extension DeterministicRNG {
    /// A number in 0..<bound (a failing random sequence replays from its seed).
    mutating func below(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }
}

/// A fresh directory under /tmp, removed with its ledger files by `remove`.
struct ScratchDirectory {
    let path: String

    init() {
        var template = Array("/tmp/ledger-tests-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    var database: String { path + "/ledger.sqlite" }

    func remove() {
        for suffix in ["", "-wal", "-shm"] { unlink(database + suffix) }
        rmdir(path)
    }
}
