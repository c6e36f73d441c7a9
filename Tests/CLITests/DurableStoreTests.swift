import Foundation
import NeuroShardCore
import Server
import Testing
import Training

/// The node's state file: what is saved comes back, and a damaged file is an error, never
/// wrong weights.
@Suite struct DurableStoreTests {
    let state = DurableState(round: 7, completedRounds: 6,
                             theta0: LayerParameters(range: 1..<3, layers: [[1.5, -2, .pi], [0, 1e-30]]),
                             outerVelocity: [[0.25, 0, 1], [2, 3]], knownPeers: ["a:9000", "bé:9001"])

    private func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func whatIsSavedComesBack() throws {
        let store = DurableStore(directory: try folder())
        #expect(try store.load() == nil)
        try store.save(state)
        #expect(try store.load() == state)
        var later = state
        later.round = 8
        try store.save(later)
        #expect(try store.load() == later)
    }

    @Test(arguments: ["truncated", "flipped", "garbage", "empty"])
    func aDamagedFileIsAnError(damage: String) throws {
        let store = DurableStore(directory: try folder())
        try store.save(state)
        var bytes = try Data(contentsOf: store.file)
        switch damage {
        case "truncated": bytes = bytes.prefix(bytes.count - 13)
        case "flipped": bytes[40] ^= 0x10
        case "garbage": bytes = Data("not a state file at all".utf8)
        default: bytes = Data()
        }
        try bytes.write(to: store.file)
        #expect(throws: DurableStore.StateFileError.self) { try store.load() }
    }
}
