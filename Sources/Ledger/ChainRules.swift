import Deterministic

/// Why a record earns or moves nothing. The first two are judged on arrival (such a record is
/// not kept); the rest follow from the records alone, so every ledger that holds the same
/// records refuses the same ones (SPEC §7).
public enum Refusal: String, Sendable, CaseIterable {
    /// The key does not hash to the author, or the signature does not verify.
    case signature
    /// Pushed again by a node that is not its author (a relay of a record already held).
    case replay
    /// Stamped before its predecessor in the chain, or before the network's genesis.
    case stale
    /// Claims more uptime than has passed since the author's previous proof: time not yet lived.
    case future
    /// More than `maxProofsPerHour` valid proofs of the author stamped within an hour.
    case rate
    /// Figures no honest node can produce.
    case implausible
    /// A transfer or stake that breaks a rule of its own (fee, amounts, lock length, recipient).
    case malformed
    /// The author's balance at the record's place in the fold does not cover it.
    case insufficient
    /// An unstake before the stake's lock has passed.
    case locked
}

/// What the chain alone says of a record: the checks that need no other author's records.
public enum Verdict: Equatable, Sendable {
    /// A proof's reward before the stake bonus (micro-NEURO) and its role bonus in percent; 0 for other kinds.
    case valid(base: Int64, bonusPercent: Int64)
    case refused(Refusal)
}

/// The rules every ledger applies to records (SPEC §7), and the rewards of proofs.
public struct ChainRules: Equatable, Sendable {
    /// A node signs a proof this often; one proof may claim at most twice this much uptime.
    public var proofInterval: TimeSpan = .seconds(60)
    /// Admission only: a record stamped further ahead of the receiver's clock than this waits
    /// until it is not (it is not refused: once its time has come every node takes it alike).
    public var maxFuture: TimeSpan = .seconds(60)
    public var maxProofsPerHour = 120
    /// Plausibility bounds, per second of claimed uptime: generous for an honest node (the
    /// simulator's analytic objectives take thousands of steps a second), far below an inflated claim.
    public var maxBatchesPerSecond: Int64 = 10_000
    public var maxSamplesPerBatch: Int64 = 4_096
    public var maxTokensPerSecond: Int64 = 10_000
    /// The model's layer count: nobody holds more.
    public var layerCount = 1
    /// No record may be stamped before the network began (its genesis file's `timestamp`).
    public var genesisTimeMs: Int64 = 0
    public static let stakeDays = 1...365

    public init() {}

    public var maxUptimeSeconds: Int64 { 2 * Int64(proofInterval.seconds) }

    /// The verdict on `record`, the author's next record after `previous` (nil for its first);
    /// `lastProofMs` is the time of the author's previous proof, `recentProofs` how many of its
    /// valid proofs are stamped within the hour before `record`.
    public func verdict(on record: Record, previous: Record?, lastProofMs: Int64?, recentProofs: Int) -> Verdict {
        if record.timestampMs < genesisTimeMs { return .refused(.stale) }
        if let p = previous, record.timestampMs < p.timestampMs { return .refused(.stale) }
        switch record.body {
        case .proof(let w):
            if let last = lastProofMs, w.uptimeSeconds > (record.timestampMs - last) / 1000 { return .refused(.future) }
            if recentProofs >= maxProofsPerHour { return .refused(.rate) }
            if implausibility(w) != nil { return .refused(.implausible) }
            return .valid(base: Self.base(w), bonusPercent: w.role.bonusPercent + (w.batches > 0 ? 10 : 0))
        case .transfer(let p):
            guard p.to != record.author, p.amount > .zero, p.amount <= .max,
                  p.fee == Payment.fee(for: p.amount, kind: p.kind), p.memo.utf8.count <= Payment.maxMemoBytes else {
                return .refused(.malformed)
            }
            return .valid(base: 0, bonusPercent: 0)
        case .stake(let amount, let days):
            guard amount > .zero, amount <= .max, Self.stakeDays.contains(days) else { return .refused(.malformed) }
            return .valid(base: 0, bonusPercent: 0)
        case .unstake(let amount):
            guard amount > .zero, amount <= .max else { return .refused(.malformed) }
            return .valid(base: 0, bonusPercent: 0)
        }
    }

    /// Why a proof's figures cannot be an honest node's, or nil.
    public func implausibility(_ w: WorkClaim) -> String? {
        guard (0...maxUptimeSeconds).contains(w.uptimeSeconds) else {
            return "uptime \(w.uptimeSeconds) s in one proof (at most \(maxUptimeSeconds))"
        }
        let seconds = max(w.uptimeSeconds, 1)
        guard w.batches >= 0, w.batches <= seconds * maxBatchesPerSecond else { return "\(w.batches) batches in \(seconds) s" }
        guard w.samples >= 0, w.samples <= w.batches * maxSamplesPerBatch else { return "\(w.samples) samples from \(w.batches) batches" }
        guard w.tokens >= 0, w.tokens <= seconds * maxTokensPerSecond else { return "\(w.tokens) tokens in \(seconds) s" }
        guard (0...layerCount).contains(w.layersHeld) else { return "\(w.layersHeld) layers held of \(layerCount)" }
        guard w.loss.isFinite, w.loss >= 0 else { return "loss \(w.loss)" }
        if w.batches > 0 {
            guard w.modelAfter != w.modelBefore else { return "\(w.batches) training batches left the model unchanged" }
            guard w.layersHeld > 0 else { return "training batches with no layers held" }
            // Only the LM head's holder computes a loss; the other stages of a pipeline report 0.
            guard !w.role.holdsHead || w.loss > 0 else { return "training batches with no loss at the LM head" }
        }
        return nil
    }

    /// Micro-NEURO before bonuses: uptime 0.0001 NEURO a minute, training 0.0005 per batch per
    /// layer held, data 0.00001 per sample. Bounded by the plausibility checks, so no overflow.
    static func base(_ w: WorkClaim) -> Int64 {
        w.uptimeSeconds * 100 / 60 + w.batches * 500 * Int64(w.layersHeld) + w.samples * 10
    }

    /// The reward of a valid proof: its base, times the role bonus, times the stake bonus
    /// 1 + 0.1·log2(1 + stake/1000 NEURO), rounded down, in integer arithmetic only, so that every
    /// node, on any machine, mints the same micro-NEURO.
    public static func reward(base: Int64, bonusPercent: Int64, staked: Micro) -> Micro {
        let numerator = UInt128(base) * UInt128(100 + bonusPercent) * UInt128(stakeMultiplierPPM(staked))
        let micro = numerator / 100_000_000
        return micro > UInt128(Micro.max.micro) ? .max : Micro(Int64(micro))
    }

    /// 1 + 0.1·log2(1 + stake/1000 NEURO), in parts per million (1,000,000 with no stake).
    public static func stakeMultiplierPPM(_ staked: Micro) -> Int64 {
        let thousandNEURO = UInt64(1000 * Micro.perNEURO)
        let log2 = log2Q32(numerator: thousandNEURO + UInt64(staked.micro), denominator: thousandNEURO)
        return 1_000_000 + Int64((UInt128(log2) * 100_000) >> 32)
    }

    /// log2(n/d) for n ≥ d > 0, in 2⁻³² units, by the bit-by-bit squaring method: integer
    /// arithmetic, so the same on every machine (a libm's log2 may round differently).
    static func log2Q32(numerator n: UInt64, denominator d: UInt64) -> UInt64 {
        precondition(d > 0 && n >= d, "log2Q32 takes n ≥ d > 0")
        var whole: UInt64 = 0
        while whole < 63, UInt128(d) << (whole + 1) <= UInt128(n) { whole += 1 }
        // y = n / (d·2^whole), in [1, 2), as a Q62 number.
        var y = (UInt128(n) << 62) / (UInt128(d) << whole)
        var fraction: UInt64 = 0
        for bit in (0..<32).reversed() {
            y = (y * y) >> 62
            if y >= UInt128(2) << 62 {
                y >>= 1
                fraction |= 1 << UInt64(bit)
            }
        }
        return whole << 32 | fraction
    }
}
