import CSQLite

import Ledger

/// One SQLite connection. Statements are compiled once and kept, keyed by their SQL text, and
/// reset after every use (a statement left mid-step would hold its read lock). Failures carry
/// SQLite's own message.
final class Database {
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws(StoreError) {
        var opened: OpaquePointer?
        // NOMUTEX: the connection has one owner (its store, used by one caller at a time), so SQLite's lock is waste.
        let rc = sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(opened)
            throw .sqlite(code: rc, message: message)
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// False while a transaction is open.
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    func busyTimeout(milliseconds: Int32) { sqlite3_busy_timeout(handle, milliseconds) }

    /// Runs SQL that may hold several statements and takes no parameters (schema, pragmas).
    func script(_ sql: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw .sqlite(code: rc, message: text)
        }
    }

    /// Runs one statement to completion and maps each row it yields.
    func rows<T>(_ sql: String, _ parameters: [any SQLParameter] = [], _ map: (Row) -> T) throws(StoreError) -> [T] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, parameter) in parameters.enumerated() {
            let rc = parameter.bind(to: statement, at: Int32(index + 1))
            guard rc == SQLITE_OK else { throw failure(rc) }
        }
        var result: [T] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return result }
            guard rc == SQLITE_ROW else { throw failure(rc) }
            result.append(map(Row(statement: statement)))
        }
    }

    func first<T>(_ sql: String, _ parameters: [any SQLParameter] = [], _ map: (Row) -> T) throws(StoreError) -> T? {
        try rows(sql, parameters, map).first
    }

    func run(_ sql: String, _ parameters: [any SQLParameter] = []) throws(StoreError) {
        _ = try rows(sql, parameters) { _ in () }
    }

    private func prepared(_ sql: String) throws(StoreError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw failure(rc) }
        statements[sql] = statement
        return statement
    }

    private func failure(_ rc: Int32) -> StoreError {
        .sqlite(code: rc, message: String(cString: sqlite3_errmsg(handle)))
    }
}

/// The current row of a stepping statement; valid only inside the `rows` callback.
struct Row {
    let statement: OpaquePointer

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    /// For columns whose CHECK keeps them non-negative.
    func micro(_ column: Int32) -> Micro { Micro(micro: int(column)) ?? .zero }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func text(_ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}

protocol SQLParameter {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

extension Int64: SQLParameter {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, self) }
}

extension Int: SQLParameter {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, Int64(self)) }
}

extension Micro: SQLParameter {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, micro) }
}

extension Array: SQLParameter where Element == UInt8 {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        withUnsafeBytes { csqlite_bind_blob(statement, index, $0.baseAddress, Int32($0.count)) }
    }
}

extension Optional: SQLParameter where Wrapped: SQLParameter {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .some(let value): value.bind(to: statement, at: index)
        case .none: sqlite3_bind_null(statement, index)
        }
    }
}

extension String: SQLParameter {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        withCString { csqlite_bind_text(statement, index, $0, Int32(utf8.count)) }
    }
}
