/// The store's schema (`PRAGMA user_version` 3). Versions 1 and 2 were the ledger before records
/// were chained (rows of transfers and proofs, not signed records), which no migration can turn
/// into chains; a file at those versions is refused with a message (`StoreError.formerFormat`).
///
/// Amounts are INTEGER micro-NEURO. Tables are STRICT, so a value that is not an integer is
/// refused rather than stored. `records.bytes` is what a restart reads back; the other columns
/// and tables mirror the state those records give, for anyone who reads the file (and for the
/// conservation check on disk).
let schemaVersion = 3

let schema = """
    CREATE TABLE records (
        id BLOB PRIMARY KEY CHECK (length(id) = 32),
        author TEXT NOT NULL,
        seq INTEGER NOT NULL CHECK (seq > 0),
        timestamp_ms INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('proof', 'transfer', 'stake', 'unstake')),
        counterparty TEXT,          -- a transfer's recipient
        outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'refused', 'void')),
        reason TEXT,                -- why refused
        amount INTEGER NOT NULL CHECK (amount >= 0), -- what it minted or moved
        bytes BLOB NOT NULL         -- Record.encoded
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX records_by_author ON records (author, seq);

    CREATE TABLE accounts (
        address TEXT PRIMARY KEY,
        available INTEGER NOT NULL CHECK (available >= 0),
        staked INTEGER NOT NULL CHECK (staked >= 0),
        locked_until_ms INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE genesis (
        address TEXT PRIMARY KEY,
        amount INTEGER NOT NULL CHECK (amount > 0)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE totals (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        minted INTEGER NOT NULL CHECK (minted >= 0),
        burned INTEGER NOT NULL CHECK (burned >= 0),
        available INTEGER NOT NULL CHECK (available >= 0),
        staked INTEGER NOT NULL CHECK (staked >= 0)
    ) STRICT;
    INSERT INTO totals (id, minted, burned, available, staked) VALUES (1, 0, 0, 0, 0);
    """
