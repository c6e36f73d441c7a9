/// Reads the node's API needs beyond balances.
extension Ledger {
    /// Whether the address has an account here (it was credited, or sent, at least once):
    /// a transfer to an address nobody has used is refused as a likely typo.
    public func isKnown(_ address: String) throws(LedgerError) -> Bool {
        try db.first("SELECT 1 FROM accounts WHERE address = ?1", [address]) { _ in true } ?? false
    }

    /// NEURO the address's proofs earned since `since` (ms): rewards only, not genesis.
    public func earned(by address: String, since: Int64) throws(LedgerError) -> Micro {
        try db.first("SELECT coalesce(sum(reward), 0) FROM proofs WHERE node = ?1 AND timestamp_ms >= ?2",
                     [address, since]) { $0.micro(0) } ?? .zero
    }
}
