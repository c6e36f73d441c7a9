import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// A streamed generation: iterate it for the tokens' text as the node produces them;
/// concatenated they are the final text. The node ends the stream with an `event: done`
/// carrying the whole `InferenceResponse` (usage, cost, timing); it is `response` once the
/// iteration has finished, because a sequence of tokens has no place for it and a second
/// call would run (and pay for) the generation again. An `event: error` is thrown as its
/// `NeuroShardError`.
///
/// Single-pass: iterate it once. Dropping the iteration closes the connection.
public struct InferenceStream: AsyncSequence, Sendable {
    public typealias Element = String

    /// One Server-Sent Event of the stream.
    public enum Event: Sendable, Equatable {
        /// The `index`th generated token's text.
        case token(index: Int, text: String)
        /// The final event: the same body `inference` answers.
        case done(InferenceResponse)
    }

    /// The raw events, for a caller that wants the token indices or the final body in-line.
    /// Iterate either this or the stream itself, not both.
    public let events: AsyncThrowingStream<Event, any Error>
    private let final: FinalBox

    /// The final event's body: nil until the iteration has returned nil.
    public var response: InferenceResponse? { final.value.withLock { $0 } }

    init(body: HTTPClientResponse.Body, decoder: JSONDecoder) {
        let final = FinalBox()
        self.final = final
        events = AsyncThrowingStream { continuation in
            let reader = Task {
                do {
                    var parser = ServerSentEvents()
                    var sawDone = false
                    for try await chunk in body {
                        for event in parser.feed(Array(chunk.readableBytesView)) {
                            let result = try Self.decode(event, decoder: decoder)
                            if case .done(let response) = result {
                                final.value.withLock { $0 = response }
                                sawDone = true
                            }
                            continuation.yield(result)
                        }
                    }
                    guard sawDone else {
                        throw NeuroShardError.undecodable(status: 200, reason: "the stream ended without its final event")
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: NeuroNode.mapped(error))
                }
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }

    static func decode(_ event: ServerSentEvents.Event, decoder: JSONDecoder) throws -> Event {
        let data = Data(event.data.utf8)
        switch event.name {
        case "done":
            do { return .done(try decoder.decode(InferenceResponse.self, from: data)) } catch {
                throw NeuroShardError.undecodable(status: 200, reason: "final event: \(error)")
            }
        case "error":
            throw NeuroNode.error(status: 200, body: data, retryAfter: nil)
        default:
            struct Token: Decodable { var index: Int; var text: String }
            guard let token = try? decoder.decode(Token.self, from: data) else {
                throw NeuroShardError.undecodable(status: 200, reason: "token event: \(event.data)")
            }
            return .token(index: token.index, text: token.text)
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inner: events.makeAsyncIterator()) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: AsyncThrowingStream<Event, any Error>.AsyncIterator

        public mutating func next() async throws -> String? {
            while let event = try await inner.next() {
                if case .token(_, let text) = event { return text }
            }
            return nil
        }
    }

    final class FinalBox: Sendable {
        let value = Mutex<InferenceResponse?>(nil)
    }
}

/// Splits a byte stream into Server-Sent Events (`event:` and `data:` lines, a blank line
/// ending each), however the bytes are chunked.
struct ServerSentEvents {
    struct Event: Equatable {
        var name: String?
        var data: String
    }

    private var pending: [UInt8] = []

    mutating func feed(_ bytes: [UInt8]) -> [Event] {
        pending += bytes
        var events: [Event] = []
        while let end = Self.blankLine(in: pending) {
            let block = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
            pending.removeSubrange(..<end.upperBound)
            var name: String?
            var data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = line.hasSuffix("\r") ? line.dropLast() : line
                if line.hasPrefix(":") { continue }
                let (field, value) = line.firstIndex(of: ":").map {
                    (line[..<$0], Self.droppingOneSpace(line[line.index(after: $0)...]))
                } ?? (line, "")
                switch field {
                case "event": name = String(value)
                case "data": data.append(String(value))
                default: break
                }
            }
            if name != nil || !data.isEmpty { events.append(Event(name: name, data: data.joined(separator: "\n"))) }
        }
        return events
    }

    /// A field's value loses the one space after its colon (and only that one).
    private static func droppingOneSpace(_ value: Substring) -> Substring {
        value.hasPrefix(" ") ? value.dropFirst() : value
    }

    /// The first "\n\n" (or "\r\n\r\n").
    private static func blankLine(in bytes: [UInt8]) -> Range<Int>? {
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == 10, bytes[i + 1] == 10 { return i..<(i + 2) }
            if i + 3 < bytes.count, bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 {
                return i..<(i + 4)
            }
            i += 1
        }
        return nil
    }
}
