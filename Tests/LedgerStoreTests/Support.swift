import Identity
import Ledger
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A chain being signed, for the store's tests.
struct Signer {
    let key: SigningKey
    let id: NodeID
    var head: Record?

    init(_ name: String) {
        key = SigningKey(token: "store-test-\(name)")
        id = NodeID(hex: key.nodeID)!
    }

    mutating func sign(_ body: RecordBody, at ms: Int64) -> Record {
        let r = Record.signed(by: key, seq: (head?.seq ?? 0) + 1, previous: head?.id ?? .zero, timestampMs: ms, body: body)
        head = r
        return r
    }

    mutating func pay(_ to: Signer, _ micro: Int64, at ms: Int64) -> Record {
        let amount = Micro(micro: micro)!
        return sign(.transfer(Payment(to: to.id, amount: amount, fee: amount.fee, memo: "", kind: .send)), at: ms)
    }

    mutating func proof(at ms: Int64) -> Record {
        sign(.proof(WorkClaim(uptimeSeconds: 60, batches: 0, samples: 0, tokens: 0, layersHeld: 1, role: .worker,
                              modelBefore: 0, modelAfter: 0, loss: 0)), at: ms)
    }
}

var testRules: ChainRules {
    var rules = ChainRules()
    rules.layerCount = 4
    return rules
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
