import ArgumentParser
import Foundation

struct NeuroShard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neuroshard",
        abstract: "NeuroShard: train one language model across many nodes.",
        subcommands: [Node.self, Simulate.self, Sweep.self],
        defaultSubcommand: Node.self)
}

/// One-line errors and exit status 2 for bad flags or files (SPEC §2), instead of the parser's
/// multi-line usage dump and its status 64.
@main
enum Main {
    static func main() async {
        do {
            var command = try NeuroShard.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = NeuroShard.exitCode(for: error)
            if code == .success {
                print(NeuroShard.fullMessage(for: error))
                exit(0)
            }
            let message = NeuroShard.message(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data("neuroshard: \(message)\n".utf8)) }
            exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

func fail(_ message: String, status: Int32 = 2) -> ExitCode {
    FileHandle.standardError.write(Data("neuroshard: \(message)\n".utf8))
    return ExitCode(status)
}
