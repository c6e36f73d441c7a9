import ArgumentParser
import Foundation
import Ledger
import NeuroShardCore

/// `--genesis FILE`: a test network's starting balances, `{"allocations": {"<address>": NEURO}}`
/// (counted as minted, SPEC §7). Every node of the network must be given the same file.
enum GenesisFile {
    private struct Contents: Decodable {
        var allocations: [String: Double]
    }

    static func read(_ path: String) throws -> [GenesisAllocation] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): cannot read the genesis file") }
        guard let allocations = try? JSONDecoder().decode(Contents.self, from: data).allocations else {
            throw ValidationError("\(path): a genesis file is {\"allocations\": {\"<address>\": NEURO, …}}")
        }
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
        return out
    }
}
