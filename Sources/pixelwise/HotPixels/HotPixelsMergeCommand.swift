import ArgumentParser
import Foundation
import Pixelwise
import PixelwiseIO

/// `pixelwise hotpixels merge STATE...`: combine the states of scan shards exactly and report.
struct HotPixelsMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine hot-pixel states saved by scans (shards of one stack) and report like scan.",
        discussion: """
        The partial statistics combine with Chan et al.'s exact merge, so the result equals one scan over all \
        the frames (to float rounding). The states must come from frames of the same size and sample type, \
        with the same --cfa and --method.

        Examples:
          pixelwise hotpixels merge shard*.state --map defects.json
          pixelwise hotpixels merge a.state b.state --json --save-state all.state
        """)

    @Argument(help: "State files written by `scan --save-state`.")
    var states: [String] = []

    @OptionGroup var report: HotPixelsReportOptions

    func run() throws {
        guard !states.isEmpty else { throw UsageError("merge: no state files given") }
        try report.validate(inputs: states)
        var merged: AnyHotPixelAccumulator? = nil
        var frames: [String] = []
        var firstPath = ""
        for path in states {
            let contents = try HotPixelStateFile.read(path)
            if let merged {
                guard contents.state.geometry == merged.geometry else {
                    throw HotPixelStateError.mismatch(path: path, expected: "\(merged.geometry) (from \(firstPath))",
                                                      found: "\(contents.state.geometry)")
                }
                merged.merge(contents.state)
            } else {
                merged = contents.state
                firstPath = path
            }
            frames += contents.frames
        }
        let repeated = Dictionary(grouping: frames, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        if let example = repeated.first {
            Standard.error("pixelwise: warning: \(repeated.count) frames are in more than one state (e.g. \(example)); they count more than once")
        }
        try report.finish(merged!, frames: frames, skipped: [])
    }
}
