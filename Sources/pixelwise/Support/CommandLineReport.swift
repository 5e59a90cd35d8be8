import ArgumentParser
import Foundation

/// How the CLI reports failure: one line, `pixelwise: error: …`, and exit status 1 (2 for usage errors).
enum CommandLineReport {
    static func exit(with error: Error) -> Never {
        if error is CleanExit { PixelwiseCommand.exit(withError: error) }
        if let code = error as? ExitCode { PixelwiseCommand.exit(withError: code) }
        let status = PixelwiseCommand.exitCode(for: error)
        if status == .success { PixelwiseCommand.exit(withError: error) }  // --help, --version
        let message: String
        if isOurs(error) {
            message = String(describing: error)
        } else {
            // ArgumentParser's own messages run over several lines (usage, help); the first says it all.
            let full = PixelwiseCommand.fullMessage(for: error)
            message = full.split(separator: "\n").first.map {
                String($0).replacingOccurrences(of: "Error: ", with: "")
            } ?? full
        }
        Standard.error("pixelwise: error: \(message)")
        Foundation.exit(status == .validationFailure ? 2 : 1)
    }

    private static func isOurs(_ error: Error) -> Bool {
        // Our error types (modules Pixelwise, PixelwiseIO, pixelwise) all describe themselves in one line.
        String(reflecting: type(of: error)).lowercased().hasPrefix("pixelwise")
    }
}

/// A wrong argument found while running a command: names the option and what is wrong.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writing to the standard streams.
enum Standard {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
