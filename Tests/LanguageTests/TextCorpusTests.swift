import Foundation
import Testing
@testable import Language

private let licences = TextCorpus.defaultDirectory
private let haveLicences = FileManager.default.fileExists(atPath: licences)

@Suite struct TextCorpusTests {
    @Test(.enabled(if: haveLicences, "\(licences) is absent on this machine: nothing to load"))
    func loadsCommonLicencesInNameOrderWithoutSymlinks() throws {
        let corpus = try TextCorpus(directory: licences)
        let fm = FileManager.default
        let regular = try fm.contentsOfDirectory(atPath: licences).sorted().filter { name in
            let attributes = try fm.attributesOfItem(atPath: licences + "/" + name)
            return attributes[.type] as? FileAttributeType == .typeRegular
                && (attributes[.size] as? NSNumber)?.intValue ?? 0 > 0
        }
        #expect(corpus.files == regular)
        let links = try fm.contentsOfDirectory(atPath: licences).filter {
            try fm.attributesOfItem(atPath: licences + "/" + $0)[.type] as? FileAttributeType == .typeSymbolicLink
        }
        #expect(Set(links).isDisjoint(with: corpus.files))
        let bytes = try regular.map { try Data(contentsOf: URL(fileURLWithPath: licences + "/" + $0)).count }.reduce(0, +)
        #expect(corpus.training.count + corpus.validation.count == bytes)
        #expect(abs(Double(corpus.validation.count) / Double(bytes) - 0.05) < 0.002)
        // Each file's tail is held out: the validation text ends as the last file does.
        let last = try Data(contentsOf: URL(fileURLWithPath: licences + "/" + regular.last!))
        #expect(corpus.validation.suffix(100) == [UInt8](last.suffix(100)))
    }

    @Test(.enabled(if: haveLicences, "\(licences) is absent on this machine: nothing to load"))
    func shardsAreContiguousAndCoverTheTrainingText() throws {
        let corpus = try TextCorpus(directory: licences)
        let ranges = (0..<7).map { corpus.shardRange($0, of: 7) }
        #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == corpus.training.count)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound && !a.isEmpty) }

        var stream = corpus.shard(3, of: 7, seed: 1)
        let slice = Array(corpus.training[ranges[3]])
        #expect(stream.bytes == slice)
        let (inputs, targets) = stream.nextBatch(batch: 8, sequence: 64)
        for row in 0..<8 {
            let window = inputs[(row * 64)..<(row * 64 + 64)] + [targets[row * 64 + 63]]
            for t in 0..<63 { #expect(inputs[row * 64 + t + 1] == targets[row * 64 + t]) }
            // The window is a stretch of the shard's own text.
            let text = window.map { UInt8($0 - ByteTokenizer.byteOffset) }
            let found = (0...(slice.count - 65)).contains { slice[$0..<($0 + 65)].elementsEqual(text) }
            #expect(found)
        }
        var same = corpus.shard(3, of: 7, seed: 1), other = corpus.shard(4, of: 7, seed: 1)
        let first = same.nextBatch(batch: 8, sequence: 64)
        #expect(first.targets == targets)
        #expect(other.nextBatch(batch: 8, sequence: 64).targets != targets)
    }

    @Test func validationWindowsTileTheHeldOutText() {
        let docs: [[UInt8]] = [Array(repeating: 65, count: 900) + Array(0..<100), Array(100..<200)]
        let corpus = TextCorpus(documents: docs, names: ["a", "b"], validationFraction: 0.1)
        #expect(corpus.validation == Array(0..<100) + Array(190..<200))
        #expect(corpus.training.count == 900 + 90)
        let set = corpus.validationSet(batch: 2, sequence: 4)
        // 110 held-out bytes make 27 windows of 4 targets, so 13 full batches of 2.
        #expect(set.count == 13)
        let inputs = set.flatMap(\.inputs), targets = set.flatMap(\.targets)
        #expect(inputs.prefix(5) == [4, 5, 6, 7, 8])
        #expect(targets.prefix(4) == [5, 6, 7, 8])
        for w in 1..<26 { #expect(inputs[w * 4] == targets[w * 4 - 1]) }
        #expect(corpus.validationSet(batch: 2, sequence: 4, maxBatches: 3).count == 3)
        #expect(corpus.validationSet(batch: 1, sequence: 200).isEmpty)
    }

    @Test func missingOrEmptyFolderIsAClearError() throws {
        #expect(throws: TextCorpusError.directoryNotFound("/nonexistent/neuroshard")) {
            try TextCorpus(directory: "/nonexistent/neuroshard")
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("neuroshard-empty-\(UUID())").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(FileManager.default.createFile(atPath: empty + "/blank", contents: Data()))
        #expect(throws: TextCorpusError.noText(empty)) { try TextCorpus(directory: empty) }
        #expect(TextCorpusError.noText(empty).description.contains(empty))
    }
}
