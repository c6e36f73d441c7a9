import ArgumentParser
import Foundation
import Identity
import Ledger
import NeuroShardCore

/// `--genesis FILE`: a test network's starting balances, `{"allocations": {"<address>": NEURO},
/// "timestamp": <Unix seconds>}` (counted as minted, SPEC §7; no record may be stamped before the
/// timestamp, which defaults to 0). Every node of the network must be given the same file.
enum GenesisFile {
    private struct Contents: Decodable {
        var allocations: [String: Double]
        var timestamp: Double?
    }

    static func read(_ path: String) throws -> (allocations: [GenesisAllocation], rules: ChainRules) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): cannot read the genesis file") }
        guard let contents = try? JSONDecoder().decode(Contents.self, from: data) else {
            throw ValidationError("\(path): a genesis file is {\"allocations\": {\"<address>\": NEURO, …}, \"timestamp\": <Unix seconds, optional>}")
        }
        var rules = ChainRules()
        if let t = contents.timestamp {
            guard t.isFinite, t >= 0, t < 1e11 else { throw ValidationError("\(path): timestamp must be Unix seconds") }
            rules.genesisTimeMs = Int64(t * 1000)
        }
        let allocations = contents.allocations
        var out: [GenesisAllocation] = []
        for (address, value) in allocations.sorted(by: { $0.key < $1.key }) {
            guard let id = NodeID(hex: address), id.hex == address else {
                throw ValidationError("\(path): '\(address)' is not an address (32 lowercase hex characters)")
            }
            guard let amount = Micro(neuro: value), amount > .zero else {
                throw ValidationError("\(path): the allocation of \(address) must be a positive NEURO amount")
            }
            out.append(GenesisAllocation(address: id, amount: amount))
        }
        return (out, rules)
    }
}
