import Deterministic
import Foundation

/// Why a plain-text corpus could not be loaded.
public enum TextCorpusError: Error, Equatable, CustomStringConvertible {
    case directoryNotFound(String)
    case noText(String)
    case unreadable(String)

    public var description: String {
        switch self {
        case .directoryNotFound(let path): "text corpus folder \(path) does not exist or is not a folder"
        case .noText(let path): "text corpus folder \(path) has no non-empty regular files"
        case .unreadable(let path): "text corpus file \(path) could not be read"
        }
    }
}

/// Real text to train on without a download: every regular file of a folder (by default
/// Debian's licence texts), as bytes.
///
/// The last `validationFraction` of each file is held out, so the validation text samples
/// every document rather than only the last one; the rest, concatenated in name order, is the
/// training text. Shards are contiguous slices of it, which makes them naturally non-i.i.d.
/// (different licences), like real nodes holding different documents.
public struct TextCorpus: Sendable {
    public static let defaultDirectory = "/usr/share/common-licenses"

    /// The files read, in the order their text is concatenated.
    public let files: [String]
    public let training: [UInt8]
    public let validation: [UInt8]

    /// Reads every regular file of `directory`, sorted by name so the corpus is the same on
    /// every machine with the same files. Symbolic links are skipped: Debian's point at files
    /// that are read anyway, and reading them would duplicate text.
    public init(directory: String = TextCorpus.defaultDirectory, validationFraction: Double = 0.05) throws {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue,
              let names = try? fm.contentsOfDirectory(atPath: directory)
        else { throw TextCorpusError.directoryNotFound(directory) }
        var files: [String] = []
        var documents: [[UInt8]] = []
        for name in names.sorted() {
            let path = directory + "/" + name
            guard let type = try? fm.attributesOfItem(atPath: path)[.type] as? FileAttributeType,
                  type == .typeRegular
            else { continue }
            guard let data = fm.contents(atPath: path) else { throw TextCorpusError.unreadable(path) }
            guard !data.isEmpty else { continue }
            files.append(name)
            documents.append([UInt8](data))
        }
        guard !documents.isEmpty else { throw TextCorpusError.noText(directory) }
        self.init(documents: documents, names: files, validationFraction: validationFraction)
    }

    /// A corpus from documents already in memory.
    public init(documents: [[UInt8]], names: [String], validationFraction: Double = 0.05) {
        precondition(documents.count == names.count, "one name per document")
        precondition(validationFraction >= 0 && validationFraction < 1, "validationFraction must be in [0, 1)")
        var training: [UInt8] = [], validation: [UInt8] = []
        for document in documents {
            let held = Int(Double(document.count) * validationFraction)
            training += document.dropLast(held)
            validation += document.suffix(held)
        }
        files = names
        self.training = training
        self.validation = validation
    }

    /// The slice of `training` shard `index` of `count` trains on: contiguous, and the slices
    /// of all shards tile `training` exactly.
    public func shardRange(_ index: Int, of count: Int) -> Range<Int> {
        precondition(count > 0 && (0..<count).contains(index), "shard \(index) of \(count) does not exist")
        return (training.count * index / count)..<(training.count * (index + 1) / count)
    }

    /// The training stream of shard `index` of `count`: windows drawn uniformly from its slice
    /// with a generator split from `seed`.
    public func shard(_ index: Int, of count: Int, seed: UInt64) -> TextStream {
        TextStream(bytes: Array(training[shardRange(index, of: count)]),
                   rng: DeterministicRNG(seed: seed).split("text-shard").split(UInt64(index)))
    }

    /// The held-out text cut into consecutive windows (window j starts at byte j·sequence, so
    /// every held-out byte after the first is a target exactly once), grouped into full
    /// batches; at most `maxBatches` of them. Empty if the held-out text is too short.
    public func validationSet(batch: Int, sequence: Int, maxBatches: Int = .max) -> [(inputs: [Int32], targets: [Int32])] {
        precondition(batch > 0 && sequence > 0 && maxBatches >= 0, "a batch needs rows and columns")
        let windows = validation.count > sequence ? (validation.count - 1) / sequence : 0
        return (0..<min(windows / batch, maxBatches)).map { b in
            var inputs: [Int32] = [], targets: [Int32] = []
            inputs.reserveCapacity(batch * sequence)
            targets.reserveCapacity(batch * sequence)
            for w in (b * batch)..<((b + 1) * batch) {
                let start = w * sequence
                for i in start..<(start + sequence) {
                    inputs.append(ByteTokenizer.id(byte: validation[i]))
                    targets.append(ByteTokenizer.id(byte: validation[i + 1]))
                }
            }
            return (inputs, targets)
        }
    }
}

/// Training batches from one shard of a TextCorpus: windows of `sequence + 1` bytes starting
/// anywhere in the shard's slice, mid-text (no bos: real text has no start here).
public struct TextStream: TokenStream, Sendable {
    /// The shard's text.
    public let bytes: [UInt8]
    private var rng: DeterministicRNG

    public init(bytes: [UInt8], rng: DeterministicRNG) {
        self.bytes = bytes
        self.rng = rng
    }

    public mutating func nextBatch(batch: Int, sequence: Int) -> (inputs: [Int32], targets: [Int32]) {
        precondition(batch > 0 && sequence > 0, "a batch needs rows and columns")
        precondition(bytes.count > sequence,
                     "a shard of \(bytes.count) bytes cannot hold a window of \(sequence + 1): use fewer shards or shorter sequences")
        var inputs: [Int32] = [], targets: [Int32] = []
        inputs.reserveCapacity(batch * sequence)
        targets.reserveCapacity(batch * sequence)
        for _ in 0..<batch {
            let start = rng.nextInt(below: bytes.count - sequence)
            for i in start..<(start + sequence) {
                inputs.append(ByteTokenizer.id(byte: bytes[i]))
                targets.append(ByteTokenizer.id(byte: bytes[i + 1]))
            }
        }
        return (inputs, targets)
    }
}
