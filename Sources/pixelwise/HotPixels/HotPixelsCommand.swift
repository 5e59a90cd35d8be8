import ArgumentParser

/// `pixelwise hotpixels`: find (scan, merge) and repair (fix) hot, stuck and dead pixels.
struct HotPixelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotpixels",
        abstract: "Find and repair hot, stuck and dead pixels.",
        subcommands: [HotPixelsFixCommand.self])
}
