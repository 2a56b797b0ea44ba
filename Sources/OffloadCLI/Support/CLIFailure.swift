import ArgumentParser
import Foundation
import Offload

/// The one place errors become exit codes: 1 error, 2 usage, 3 not found, 4 Redis
/// unreachable.
struct CLIFailure: Error, CustomStringConvertible {
    let error: OffloadError

    init(_ error: OffloadError) { self.error = error }

    var description: String { error.message }

    static func exitCode(for code: OffloadError.Code) -> Int32 {
        switch code {
        case .notFound: return 3
        case .unavailable: return 4
        case .invalid, .unknownJobType: return 2
        case .conflict, .queueFull, .leaseLost, .internalError: return 1
        }
    }
}

extension OffloadCommand {
    /// Runs the command line; prints `offload: message` and exits with the mapped code.
    package static func runMain() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data("offload: \(failure.description)\n".utf8))
            Foundation.exit(CLIFailure.exitCode(for: failure.error.code))
        } catch {
            // ArgumentParser's own errors: help (0) stays 0; any usage error is 2.
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message.isEmpty ? "" : message + "\n").utf8))
            Foundation.exit(code == .failure ? 1 : 2)
        }
    }
}
