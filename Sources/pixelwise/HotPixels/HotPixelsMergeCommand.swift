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

    @OptionGroup var memory: MemoryLimitOptions

    func run() throws {
        guard !states.isEmpty else { throw UsageError("merge: no state files given") }
        try report.validate(inputs: states)
        // Every file checked (sizes, checksum, same geometry) before any work, and the memory need against
        // --max-memory: one state in memory (the first's, decoded), the others merged from their mapped files.
        let first = try HotPixelStateFile.summary(states[0])
        for path in states.dropFirst() {
            let other = try HotPixelStateFile.summary(path).geometry
            guard other == first.geometry else {
                throw HotPixelStateError.mismatch(path: path, expected: "\(first.geometry) (from \(states[0]))",
                                                  found: "\(other)")
            }
        }
        let g = first.geometry
        // Detection itself works in rows and bands (small); --heatmap adds a float score per pixel.
        let scores = report.heatmap == nil ? MemoryNeed.zero : MemoryNeed(count: g.width * g.height, size: MemoryLayout<Float>.size)
        try memory.check(AnyHotPixelAccumulator.memoryNeed(g) + scores, job: "hotpixels merge of \(states[0]) (\(g))")
        let contents = try HotPixelStateFile.read(states[0])
        let merged = contents.state
        var frames = contents.frames
        for path in states.dropFirst() {
            frames += try HotPixelStateFile.merge(file: path, into: merged)
        }
        let repeated = Dictionary(grouping: frames, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        if let example = repeated.first {
            Standard.error("pixelwise: warning: \(repeated.count) frames are in more than one state (e.g. \(example)); they count more than once")
        }
        try report.finish(merged, frames: frames, skipped: [])
    }
}
