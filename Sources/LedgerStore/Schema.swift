/// The schema, as the ordered migrations that build it: a database at `PRAGMA user_version` n has
/// had the first n applied, each in its own transaction. Append only; never edit a shipped one.
///
/// Amounts are INTEGER micro-NEURO. Tables are STRICT, so a value that is not an integer is
/// refused rather than stored: SQLite turns an overflowing integer sum into a REAL, and a STRICT
/// INTEGER column rejects it, so an overflow fails the write instead of corrupting a balance.
/// Every journal row takes its `seq` (the rowid) from one counter in `totals`, so rows of all
/// kinds share one insertion order, and an index on (address) — which SQLite orders by
/// (address, rowid) — lists an account's rows newest-first without sorting.
let migrations: [String] = [
    // v1: accounts, the mint and burn counters, and the journals of genesis, transfers and proofs.
    """
    CREATE TABLE totals (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        minted INTEGER NOT NULL CHECK (minted >= 0),
        burned INTEGER NOT NULL CHECK (burned >= 0),
        seq INTEGER NOT NULL -- the last insertion sequence number handed out
    ) STRICT;
    INSERT INTO totals (id, minted, burned, seq) VALUES (1, 0, 0, 0);

    CREATE TABLE accounts (
        address TEXT PRIMARY KEY,
        available INTEGER NOT NULL DEFAULT 0 CHECK (available >= 0),
        nonce INTEGER NOT NULL DEFAULT 0 CHECK (nonce >= 0) -- the highest nonce this account sent with
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE genesis (
        seq INTEGER PRIMARY KEY,
        address TEXT NOT NULL UNIQUE REFERENCES accounts (address),
        amount INTEGER NOT NULL CHECK (amount > 0),
        timestamp_ms INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE transfers (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        sender TEXT NOT NULL REFERENCES accounts (address),
        recipient TEXT NOT NULL REFERENCES accounts (address),
        amount INTEGER NOT NULL CHECK (amount > 0),
        fee INTEGER NOT NULL CHECK (fee >= 0),
        memo TEXT NOT NULL,
        nonce INTEGER NOT NULL CHECK (nonce > 0),
        kind TEXT NOT NULL CHECK (kind IN ('send', 'inference')),
        timestamp_ms INTEGER NOT NULL,
        UNIQUE (sender, nonce),
        CHECK (sender <> recipient)
    ) STRICT;
    CREATE INDEX transfers_by_sender ON transfers (sender);
    CREATE INDEX transfers_by_recipient ON transfers (recipient);

    CREATE TABLE proofs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        node TEXT NOT NULL REFERENCES accounts (address),
        timestamp_ms INTEGER NOT NULL,
        reward INTEGER NOT NULL CHECK (reward >= 0),
        uptime_s INTEGER NOT NULL,
        batches INTEGER NOT NULL,
        samples INTEGER NOT NULL,
        tokens INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX proofs_by_node ON proofs (node);
    """,
    // v2: staking (a balance column and the journal of moves), and an index by time that answers
    // the proof rate limit and "earned since" from the index alone.
    """
    ALTER TABLE accounts ADD COLUMN staked INTEGER NOT NULL DEFAULT 0 CHECK (staked >= 0);
    CREATE TABLE stakes (
        seq INTEGER PRIMARY KEY,
        address TEXT NOT NULL REFERENCES accounts (address),
        delta INTEGER NOT NULL CHECK (delta <> 0), -- positive: staked; negative: unstaked
        timestamp_ms INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX stakes_by_address ON stakes (address);
    CREATE INDEX proofs_by_node_time ON proofs (node, timestamp_ms, reward);
    """,
]
