import ArgumentParser

/// `pixelwise hotpixels`: find (scan, merge) and repair (fix) hot, stuck and dead pixels.
struct HotPixelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotpixels",
        abstract: "Find (scan, merge) and repair (fix) hot, stuck and dead pixels from a stack of photos.",
        discussion: "See docs/hotpixels.md for the method, the threshold and the state file format.",
        subcommands: [HotPixelsScanCommand.self, HotPixelsMergeCommand.self, HotPixelsFixCommand.self])
}
