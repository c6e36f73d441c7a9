import Identity

/// What a record ended up doing in the fold.
public enum Outcome: Equatable, Sendable {
    /// Minted this reward (a proof) or moved this amount (a transfer, stake or unstake).
    case applied(Micro)
    case refused(Refusal)
    /// Beyond its author's fork (kept only as the fork's evidence).
    case void
}

/// One write the ledger asks its store to make. A batch of records yields a list of these,
/// applied in order in one transaction (`LedgerStore.apply`): the store then holds the records
/// a restart needs, and the balances they give for anyone who reads the file.
public enum JournalEntry: Equatable, Sendable {
    /// A record taken in, with what it did.
    case record(Record, Outcome)
    /// A stored record whose outcome changed (a record stamped before it arrived late).
    case outcome(RecordID, Outcome)
    /// A stored record that no longer counts and is no longer kept (past its author's fork).
    case drop(RecordID)
    case account(NodeID, Account)
    case totals(Totals)
}
