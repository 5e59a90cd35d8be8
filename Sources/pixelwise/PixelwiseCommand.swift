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
            var command = try parseAsRoot()
            try command.run()
        } catch {
            CommandLineReport.exit(with: error)
        }
    }
}
