import ArgumentParser
import Foundation
import Pixelwise
import PixelwiseIO

/// `pixelwise hotpixels scan FILES...`: stream a photo stack through per-pixel statistics and report defects.
struct HotPixelsScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find hot, stuck, dead, warm and flickering pixels in a stack of photos.",
        discussion: """
        Frames are decoded and accumulated in parallel on every core, one decoded frame per worker. Per pixel \
        and channel the scan keeps running statistics (Welford) of the residual against the median of the \
        8 same-channel neighbours, and the value range. Frames whose size differs from the first, and \
        unreadable frames, are skipped with a warning and listed. On a raw CFA mosaic (16-bit gray TIFF, \
        PNG or NPY with --cfa), neighbours are the same colour, two photosites apart; coordinates are sensor \
        pixels. Scores are in standard errors (--threshold), distances in pixels. See docs/hotpixels.md.

        Examples:
          pixelwise hotpixels scan photos/ --json --map defects.json
          pixelwise hotpixels scan 'raw/*.npy' --cfa RGGB --heatmap scores.png
          pixelwise hotpixels scan photos/ --save-state shard1.state --checkpoint 50
        """)

    @Argument(help: "Frames: files, glob patterns or folders.")
    var files: [String] = []

    @Option(help: "The frames are raw CFA mosaics with this pattern.")
    var cfa: CFAPattern?

    @Option(help: "residual (default: residual against the local median) or variance (the seed program's lowest-variance ranking).")
    var method: HotPixelMethod?

    @Option(help: "Continue the scan saved in this state file (frames it already holds are not added again).")
    var resume: String?

    @Option(help: ArgumentHelp("With --save-state: also save the state every N frames, so that an interrupted scan can --resume.",
                               valueName: "frames"))
    var checkpoint: Int?

    @Flag(help: .hidden)
    var decodeOnly = false

    @OptionGroup var report: HotPixelsReportOptions
    @OptionGroup var reading: ImageReadingOptions

    func run() throws {
        let pattern = cfa, methodValue = method
        if let checkpoint {
            guard checkpoint >= 1 else { throw UsageError("--checkpoint \(checkpoint): must be at least 1") }
            guard report.saveState != nil else { throw UsageError("--checkpoint: needs --save-state FILE to write to") }
        }
        var paths = try FrameList.expand(files)
        guard !paths.isEmpty else { throw UsageError("scan: no input files (give image files, glob patterns or folders)") }
        if decodeOnly {
            // The benchmark's baseline: decode every frame on one thread and do nothing else.
            let reader = HotPixelsFrameReader(cfa: pattern, options: reading.readOptions)
            var decoded = 0
            for path in paths { if (try? reader.read(path)) != nil { decoded += 1 } }
            Standard.output("decoded \(decoded) of \(paths.count) frames\n")
            return
        }
        try report.validate(inputs: paths, resume: resume)

        var state: AnyHotPixelAccumulator? = nil
        var done: [String] = []
        if let resume {
            let contents = try HotPixelStateFile.read(resume)
            let g = contents.state.geometry
            if let methodValue, methodValue != g.method {
                throw UsageError("--method \(methodValue.rawValue): \(resume) was scanned with method \(g.method.rawValue)")
            }
            if let pattern, pattern != g.cfa {
                throw UsageError("--cfa \(pattern.rawValue): \(resume) was scanned " + (g.cfa.map { "as a \($0.rawValue) mosaic" } ?? "without --cfa"))
            }
            state = contents.state
            done = contents.frames
            let already = Set(done)
            let before = paths.count
            paths.removeAll { already.contains($0) }
            if before != paths.count {
                Standard.error("pixelwise: note: \(before - paths.count) of \(before) frames are already in \(resume); scanning the other \(paths.count)")
            }
        }

        let frames = paths
        try checkMemory(continuing: state, frames: frames, cfa: pattern ?? state?.geometry.cfa, method: methodValue ?? .residual)
        let reader = HotPixelsFrameReader(cfa: pattern ?? state?.geometry.cfa, options: reading.readOptions)
        let load: @Sendable (Int, AnyImage?) throws -> AnyImage = { index, reusable in
            try reader.read(frames[index], reusing: reusable)
        }
        let progress = ProgressLine("scan", total: frames.count, unit: "frames")
        var skipped: [SkippedFrame] = []
        let batch = checkpoint ?? max(1, frames.count)
        var start = 0
        repeat {
            let end = min(frames.count, start + batch)
            let first = start
            let (result, batchSkipped) = try HotPixelScan.run(
                frameCount: end - start, accumulator: state,
                geometry: { image in
                    HotPixelGeometry(width: image.width, height: image.height, channels: image.channels,
                                     sampleType: image.sampleType, cfa: reader.cfa, method: methodValue ?? .residual)
                },
                load: { try load(first + $0, $1) },
                progress: { progress.advance() })
            state = result
            let skippedHere = batchSkipped.map { SkippedFrame(index: $0.index + first, reason: $0.reason) }
            skipped += skippedHere
            let skippedIndices = Set(skippedHere.map(\.index))
            done += (start..<end).filter { !skippedIndices.contains($0) }.map { frames[$0] }
            start = end
            if start < frames.count, let state, let saveState = report.saveState {
                try HotPixelStateFile.write(state, frames: done, to: saveState)
            }
        } while start < frames.count
        progress.finish()

        // Reader errors already start with the file's name; the list names it separately.
        skipped = skipped.map { s in
            let prefix = frames[s.index] + ": "
            return s.reason.hasPrefix(prefix) ? SkippedFrame(index: s.index, reason: String(s.reason.dropFirst(prefix.count))) : s
        }
        for s in skipped { Standard.error("pixelwise: warning: skipped \(frames[s.index]): \(s.reason)") }
        guard let state else {
            throw HotPixelsScanError.noUsableFrame(count: frames.count, first: skipped.first.map { "\(frames[$0.index]): \($0.reason)" })
        }
        if !frames.isEmpty, skipped.count == frames.count {
            throw HotPixelsScanError.everyFrameSkipped(count: frames.count, state: resume ?? "",
                                                       first: "\(frames[skipped[0].index]): \(skipped[0].reason)")
        }
        if done.count < 2 {
            throw HotPixelsScanError.tooFewFrames(usable: done.count, count: done.count + skipped.count,
                                                  first: skipped.first.map { "\(frames[$0.index]): \($0.reason)" })
        }
        try report.finish(state, frames: done, skipped: skipped.map { (frames[$0.index], $0.reason) })
    }
}

extension HotPixelsScanCommand {
    /// Refuses the scan before its first frame is decoded when the statistics and one decoded frame per core
    /// are more than `--max-memory`: the geometry comes from the resumed state, or from the first frame whose
    /// header reads (a frame of another size is skipped by the scan anyway).
    func checkMemory(continuing state: AnyHotPixelAccumulator?, frames: [String], cfa: CFAPattern?, method: HotPixelMethod) throws {
        guard let (path, info) = frames.lazy.compactMap({ path in (try? reading.info(path)).map { (path, $0) } }).first else { return }
        let geometry = state?.geometry ?? HotPixelGeometry(width: info.width, height: info.height, channels: info.channels,
                                                           sampleType: info.sampleType, cfa: cfa, method: method)
        try reading.check(HotPixelScan.memoryNeed(geometry), job: "hotpixels scan", path: path, info: info)
    }
}

/// Scan failures that are about the whole input rather than one file.
enum HotPixelsScanError: Error, CustomStringConvertible {
    case noUsableFrame(count: Int, first: String?)
    case everyFrameSkipped(count: Int, state: String, first: String)
    case tooFewFrames(usable: Int, count: Int, first: String?)

    var description: String {
        switch self {
        case let .noUsableFrame(count, first):
            "scan: none of the \(count) frames could be read" + (first.map { " (first: \($0))" } ?? "")
        case let .everyFrameSkipped(count, state, first):
            "scan: every one of the \(count) frames was skipped" + (state.isEmpty ? "" : " (they do not match \(state))") + "; first: \(first)"
        case let .tooFewFrames(usable, count, first):
            "scan: only \(usable) usable frame of \(count); at least 2 are needed for any statistic"
                + (first.map { " (skipped: \($0))" } ?? "")
        }
    }
}

