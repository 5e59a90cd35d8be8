import ArgumentParser
import Foundation

/// The `pixelwise` command: subcommands for each job; no kernel code lives in this target.
@main
struct PixelwiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pixelwise",
        abstract: "Fast pixel-level work on very large images and photo stacks.",
        version: "0.1.0",
        subcommands: [InfoCommand.self, SampleCommand.self, CropCommand.self, BlurCommand.self, QuantizeCommand.self,
                      HotPixelsCommand.self, GenerateCommand.self]
    )

    /// Parses and runs, turning every error into one line on stderr and a non-zero exit.
    static func main() {
        Interrupts.install()
        do {
            try refuseEmptyValues(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot()
            try command.run()
        } catch {
            CommandLineReport.exit(with: error)
        }
    }

    /// Refuses `--option=` with nothing after the `=`. ArgumentParser takes the next argument as the value
    /// then (`--centers= -o q.png` set the centres to "-o"), and the error it gives names that argument, not
    /// the option.
    static func refuseEmptyValues(_ arguments: [String]) throws {
        for argument in arguments.prefix(while: { $0 != "--" }) where argument.hasPrefix("--") && argument.hasSuffix("=") {
            throw UsageError("\(argument.dropLast()): empty value after '='; give a value (\(argument.dropLast())=VALUE) or leave the option out")
        }
    }
}
