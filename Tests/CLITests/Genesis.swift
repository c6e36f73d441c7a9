import Foundation
import Identity

/// The wallet address a node started with `token` has (SPEC §3).
func address(of token: String) -> String { SigningKey(token: token).nodeID }

/// A genesis file (`--genesis`) giving each token's node `neuro` NEURO, in a temporary folder.
func genesisFile(funding tokens: [String], neuro: Double = 100) throws -> String {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("neuroshard-genesis-\(UUID().uuidString).json")
    let allocations = Dictionary(uniqueKeysWithValues: tokens.map { (address(of: $0), neuro) })
    try JSONSerialization.data(withJSONObject: ["allocations": allocations]).write(to: file)
    return file.path
}
