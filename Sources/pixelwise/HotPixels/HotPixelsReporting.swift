import ArgumentParser
import Foundation
import Pixelwise
import PixelwiseIO

/// Options shared by `scan` and `merge`: how to decide and where to report.
struct HotPixelsReportOptions: ParsableArguments {
    @Option(help: "Minimum score (in standard errors) for a pixel to be reported. Higher: fewer, surer candidates.")
    var threshold: Double = HotPixelDetectionParameters.defaultThreshold

    @Option(help: "Report at most N candidates, best first.")
    var top: Int = 100

    @Option(help: "Candidates within this many pixels (Chebyshev distance) of a better one are its smear and not reported (0: off). Default 4 (JPEG ringing reaches 3–4 px), or 1 on a CFA mosaic.")
    var suppressionRadius: Int?

    @Flag(help: "Also report flickering pixels (off by default: a scene edge crossing a pixel in one frame looks the same; fine on dark frames or flat fields).")
    var flickering = false

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    @Option(help: "Write the candidates as a defect map: .json, .csv, .txt (dcraw -P) or .badpixels (RawTherapee).")
    var map: String?

    @Option(help: "Defect map format when the extension does not say.")
    var mapFormat: DefectMapFormat?

    @Option(help: "Write a picture of the per-pixel score (.png, .pgm, .tif; .npy keeps the raw float scores).")
    var heatmap: String?

    @Option(help: "Save the accumulated statistics to FILE (to resume or merge later).")
    var saveState: String?

    /// `resume`: the scan's `--resume` state, which `--save-state` may update in place.
    func validate(inputs: [String], resume: String? = nil) throws {
        guard threshold.isFinite, threshold > 0 else { throw UsageError("--threshold \(threshold): must be a positive number") }
        guard top >= 1 else { throw UsageError("--top \(top): must be at least 1") }
        if let radius = suppressionRadius, radius < 0 { throw UsageError("--suppression-radius \(radius): must be 0 or more") }
        if let map { _ = try mapFormatValue(for: map) }
        if let heatmap { try OutputPath.check(heatmap, inputs: [], flag: "--heatmap") }
        let outputs: [OutputPath.Named] = [("--map", map), ("--heatmap", heatmap), ("--save-state", saveState)]
            .compactMap { flag, path in path.map { OutputPath.Named(flag, $0) } }
        try OutputPath.checkDistinct(outputs: outputs,
                                     inputs: inputs.map { .init("input", $0) } + (resume.map { [.init("--resume", $0)] } ?? []),
                                     allowed: [("--save-state", "--resume")])
    }

    func mapFormatValue(for path: String) throws -> DefectMapFormat {
        if let mapFormat { return mapFormat }
        guard let format = DefectMapFormat(pathExtensionOf: path) else {
            throw UsageError("--map \(path): cannot tell the format from the extension (use .json, .csv, .txt, .badpixels or --map-format)")
        }
        return format
    }

    func parameters(for geometry: HotPixelGeometry) -> HotPixelDetectionParameters {
        HotPixelDetectionParameters(threshold: threshold, top: top,
                                    suppressionRadius: suppressionRadius ?? (geometry.cfa == nil ? 4 : 1),
                                    findFlickering: flickering)
    }

    /// Saves the state, detects, writes map and heatmap, prints the report.
    func finish(_ state: AnyHotPixelAccumulator, frames: [String], skipped: [(file: String, reason: String)]) throws {
        if let saveState { try HotPixelStateFile.write(state, frames: frames, to: saveState) }
        let g = state.geometry
        let detection: HotPixelDetection
        if let heatmap {
            let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: g.width * g.height)
            defer { scores.deallocate() }
            detection = state.detect(parameters(for: g), scoreMap: scores)
            // Mid-gray at the threshold the scores had to reach (raised for a short stack).
            let shown = detection.effectiveThreshold.isFinite ? detection.effectiveThreshold : threshold
            try writeHeatmap(scores, geometry: g, to: heatmap, threshold: shown)
        } else {
            detection = state.detect(parameters(for: g))
        }
        if let map { try DefectMapFile.write(detection.candidates, to: map, format: try mapFormatValue(for: map)) }
        if let note = detection.note { Standard.error("pixelwise hotpixels: \(note)") }
        if json {
            Standard.output(HotPixelsReport.json(frames: state.frameCount, geometry: g, skipped: skipped,
                                                 candidates: detection.candidates, note: detection.note) + "\n")
        } else {
            Standard.output(HotPixelsReport.text(frames: state.frameCount, geometry: g, skipped: skipped,
                                                 detection: detection, threshold: detection.effectiveThreshold))
        }
    }

    /// The score picture: raw floats for .npy; otherwise 8-bit gray on a log scale where the threshold is
    /// mid-gray and four times the threshold is white, so that a person sees candidates and near-misses.
    func writeHeatmap(_ scores: UnsafeMutableBufferPointer<Float>, geometry g: HotPixelGeometry, to path: String,
                      threshold: Double) throws {
        if ImageFormat(pathExtensionOf: path) == .npy {
            try ImageFile.write(.float32(Image(width: g.width, height: g.height, channels: 1, samples: Array(scores))), to: path)
            return
        }
        var picture = Image<UInt8>(uninitializedWidth: g.width, height: g.height, channels: 1)
        let threshold = Float(threshold)
        let white = log1pf(4 * threshold), middle = log1pf(threshold)
        picture.withUnsafeMutableBuffer { target in
            for index in 0..<scores.count {
                let s = scores[index]
                let level = s <= 0 ? 0 : s < threshold ? 127 * log1pf(s) / middle
                    : 128 + 127 * min(1, (log1pf(s) - middle) / (white - middle))
                target.base[index] = UInt8(max(0, min(255, level.rounded())))
            }
        }
        try ImageFile.write(.uint8(picture), to: path)
    }
}

/// Formatting of scan and merge results.
enum HotPixelsReport {
    /// `{"frames": N, "width": W, "height": H, "skipped": [...], "candidates": [...]}`, candidates best first;
    /// `"note": "..."` after them when the detector has one (too few frames, a threshold raised for a short stack).
    static func json(frames: Int, geometry g: HotPixelGeometry, skipped: [(file: String, reason: String)],
                     candidates: [DefectCandidate], note: String? = nil) -> String {
        let skippedText = skipped.map { "{\"file\": \(JSONText.string($0.file)), \"reason\": \(JSONText.string($0.reason))}" }
        let candidateText = candidates.map { c in
            "{\"x\": \(c.x), \"y\": \(c.y), \"channel\": \(c.channel.map(String.init) ?? "null"), \"kind\": \"\(c.kind.rawValue)\", \"score\": \(number(c.score))}"
        }
        return "{\"frames\": \(frames), \"width\": \(g.width), \"height\": \(g.height), \"skipped\": [\(skippedText.joined(separator: ", "))], "
            + "\"candidates\": [\(candidateText.joined(separator: ", "))]" + (note.map { ", \"note\": \(JSONText.string($0))" } ?? "") + "}"
    }

    static func text(frames: Int, geometry g: HotPixelGeometry, skipped: [(file: String, reason: String)],
                     detection: HotPixelDetection, threshold: Double) -> String {
        var lines = ["\(frames) frames of \(g.width)×\(g.height)" + (g.cfa.map { " (\($0.rawValue) mosaic)" } ?? "")
                     + (skipped.isEmpty ? "" : ", \(skipped.count) skipped")]
        for s in skipped { lines.append("skipped \(s.file): \(s.reason)") }
        if detection.candidates.isEmpty {
            lines.append(g.method == .variance || !threshold.isFinite ? "no candidates" : "no candidates at threshold \(number(threshold))")
        } else {
            lines.append("x\ty\tchannel\tkind\tscore")
            for c in detection.candidates {
                lines.append("\(c.x)\t\(c.y)\t\(c.channel.map(String.init) ?? "-")\t\(c.kind.rawValue)\t\(String(format: "%.2f", c.score))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return String(format: "%.4g", value)
    }
}

/// Expands the FILES... arguments: plain files, glob patterns (when the shell did not expand them) and
/// folders (their image files, sorted by name, not recursing).
enum FrameList {
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "jpe", "png", "tif", "tiff", "npy", "pgm", "ppm", "pnm",
                                               "nef", "cr2", "cr3", "arw", "dng", "orf", "rw2", "raf", "pef", "srw", "nrw"]

    static func expand(_ arguments: [String]) throws -> [String] {
        var files: [String] = []
        var isFolder: ObjCBool = false
        for argument in arguments {
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) {
                if isFolder.boolValue {
                    let names = try FileManager.default.contentsOfDirectory(atPath: argument)
                        .filter { !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                        .sorted()
                    files += names.map { (argument as NSString).appendingPathComponent($0) }
                } else {
                    files.append(argument)
                }
            } else if argument.contains(where: { "*?[".contains($0) }) {
                files += glob(argument)
            } else {
                files.append(argument)  // missing: reported as a skipped frame by the reader
            }
        }
        return files
    }

    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }
}
