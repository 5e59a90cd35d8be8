import ArgumentParser

/// `pixelwise hotpixels`: find hot, stuck and dead sensor pixels from a photo stack, and fix them.
struct HotPixelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hotpixels",
        abstract: "Find (scan, merge) and fix hot, stuck and dead pixels from a stack of photos.",
        discussion: "See docs/hotpixels.md for the method, the threshold and the state file format.",
        subcommands: [HotPixelsScanCommand.self, HotPixelsMergeCommand.self])
}
