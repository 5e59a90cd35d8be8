import ArgumentParser
import Foundation
import Pixelwise
import PixelwiseIO

extension QuantizationWeighting: ExpressibleByArgument {}
extension QuantizationMethod: ExpressibleByArgument {}

/// `pixelwise quantize`: K grey levels by exact 1-D k-means (or given centres), then labels and the
/// quantized image.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize grey levels to K values: provably optimal 1-D k-means, then nearest-level labels.",
        discussion: """
        The levels are found by exact k-means over the image's distinct values (each weighs 1 with \
        --weighting unique, the default, so a large uniform background does not pull the centres; or its \
        pixel count with --weighting pixels). Every pixel then goes to its nearest level (ties to the lower). \
        --centers skips clustering. Colour images: choose a channel with --channel N. NaN is refused. \
        See docs/quantize.md.

        Examples:
          pixelwise quantize scan.tif -k 8 --labels labels.png -o quantized.tif
          pixelwise quantize photo.png --channel 1 -k auto --json
          pixelwise quantize depth.npy --centers 0.5,2,10 --dtype float64 -o levels.npy
        """)

    enum OutputType: String, ExpressibleByArgument {
        case same, float64
    }

    @Argument(help: "The source image (one channel, or pick one with --channel).")
    var image: String

    @Option(name: .customShort("k"), parsing: .unconditional, help: ArgumentHelp("Number of levels: a positive integer, 'auto' (best BIC for K in 1...9) or 'auto:MIN-MAX'.", valueName: "K"))
    var levelCount: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Use these levels instead of clustering (comma-separated numbers).", valueName: "V1,V2,..."))
    var centers: String?

    @Option(help: "How each distinct value weighs in the clustering: unique (1 each) or pixels (its pixel count).")
    var weighting: QuantizationWeighting = .unique

    @Option(help: "optimal (exact dynamic programming) or lloyd (k-means++ seeded, restarted; a local optimum).")
    var method: QuantizationMethod?

    @Option(help: "Lloyd: number of restarts (the best is kept).")
    var restarts: Int = 10

    @Option(help: "Lloyd: iterations per restart at most.")
    var maxIterations: Int = 300

    @Option(help: "Lloyd: random seed.")
    var seed: UInt64 = 1

    @Option(help: "Quantize this channel (0-based) of a multi-channel image.")
    var channel: Int?

    @Option(help: ArgumentHelp("Write the label image (0..K-1 ascending with the centre; uint8 for K ≤ 256, else uint16).", valueName: "OUT"))
    var labels: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the quantized image.", valueName: "OUT"))
    var output: String?

    @Option(help: "Sample type of the quantized image: same (the input's, levels rounded) or float64 (exact centres).")
    var dtype: OutputType = .same

    @Flag(help: "Print the levels, counts, objective, value ranges and timings as JSON.")
    var json = false

    @OptionGroup var reading: ImageReadingOptions
    @OptionGroup var writing: ImageWritingOptions

    func run() throws {
        let clock = ContinuousClock()
        let started = clock.now
        // Every argument is checked before the image is read: a mistake costs nothing.
        let request = try parseRequest()
        try checkOutputs()

        var timings: [(String, Double)] = []
        var mark = clock.now
        func lap(_ name: String) {
            let now = clock.now
            timings.append((name, (now - mark).seconds))
            mark = now
        }
        // The header is enough to refuse a wrong channel or a job too big for --max-memory before decoding.
        let info = try reading.info(image)
        guard info.width > 0, info.height > 0 else {
            throw UsageError("\(image): the image is empty (\(info.width)×\(info.height)); there is nothing to quantize")
        }
        if let channel, !(0..<info.channels).contains(channel) {
            throw UsageError("--channel \(channel): \(image) has \(info.channels) channel\(info.channels == 1 ? "" : "s") (0...\(info.channels - 1))")
        }
        if info.channels > 1 && channel == nil {
            throw UsageError("\(image): \(QuantizationError.notSingleChannel(channels: info.channels))")
        }
        if let output { try ImageFormat.checkOutput(output, holds: dtype == .float64 ? .float64 : info.sampleType) }
        // NPY outputs are streamed into their files block by block (no image);
        // other formats are encoded from an image afterwards.
        func streamable(_ path: String?) -> String? {
            path.flatMap { ImageFormat(pathExtensionOf: $0) == .npy ? $0 : nil }
        }
        let job = QuantizeJob(request: request, channel: channel ?? 0, makeLabels: labels != nil,
                              makeValues: output != nil, float64Output: dtype == .float64, measure: json,
                              streamedLabels: streamable(labels), streamedValues: streamable(output))
        // The files are encoded one after the other (labels counted as 16-bit, the larger case).
        let pixels = MemoryNeed.image(width: info.width, height: info.height, channels: 1, sampleType: .uint8)
        let valueBytes = dtype == .float64 ? 8 : info.sampleType.byteCount
        let encoding = Swift.max(labels.map { ImageFile.encodeMemory($0, samples: pixels * 2) } ?? .zero,
                                 output.map { ImageFile.encodeMemory($0, samples: pixels * valueBytes) } ?? .zero)
        try reading.check(reading.decodeMemory(image, info: info) + encoding
                          + job.memoryNeed(width: info.width, height: info.height, channels: info.channels, sampleType: info.sampleType),
                          job: "quantize", path: image, info: info)
        let source = try ImageFile.read(image, options: reading.readOptions)
        lap("read")
        // If the second file cannot be written (say float64 to PNG), take back the first one we
        // created, so that a failed run leaves nothing behind.
        let labelsExisted = labels.map { FileManager.default.fileExists(atPath: $0) } ?? true
        let result = try Self.run(job, on: source, path: image)
        for (name, seconds) in result.timings { timings.append((name, seconds)) }
        mark = clock.now
        if let labels, let labelImage = result.labels { try ImageFile.write(labelImage, to: labels, options: writing.writeOptions) }
        do {
            if let output, let valueImage = result.values { try ImageFile.write(valueImage, to: output, options: writing.writeOptions(like: image, page: reading.page)) }
        } catch {
            if let labels, !labelsExisted { try? FileManager.default.removeItem(atPath: labels) }
            throw error
        }
        lap("write")
        timings.append(("total", (clock.now - started).seconds))
        if json {
            Standard.output(try QuantizationReport(result, image: image, width: source.width, height: source.height,
                                                   sampleType: source.sampleType, channel: channel, timings: timings).json())
        } else {
            Standard.output(textReport(result))
        }
    }

    /// Runs the job, naming the file in any error.
    static func run(_ job: QuantizeJob, on source: AnyImage, path: String) throws -> QuantizeJob.Result {
        do {
            return try source.apply(job)
        } catch let error as QuantizationError {
            throw UsageError("\(path): \(error.description)")
        }
    }

    /// The clustering request or the given levels, validated.
    func parseRequest() throws -> QuantizeJob.Request {
        switch (levelCount, centers) {
        case (nil, nil): throw UsageError("give -k K (number of levels, or auto) or --centers V1,V2,...")
        case (.some, .some): throw UsageError("-k and --centers exclude each other: --centers skips clustering")
        case (nil, let text?):
            if method != nil { throw UsageError("--method: applies only with -k; --centers skips clustering") }
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw UsageError("--centers: no values given; expected V1,V2,... (comma-separated numbers)")
            }
            var values = [Double]()
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                let item = part.trimmingCharacters(in: .whitespaces)
                guard let value = Double(item), value.isFinite else {
                    throw UsageError("--centers \(text): '\(item)' is not a finite number")
                }
                values.append(value)
            }
            do {
                return .centers(try QuantizationLevels(centers: values))
            } catch {
                throw UsageError(error.description)
            }
        case (let text?, nil):
            guard restarts >= 1 else { throw UsageError("--restarts \(restarts): must be at least 1") }
            guard maxIterations >= 1 else { throw UsageError("--max-iterations \(maxIterations): must be at least 1") }
            let count = try Self.parseLevelCount(text)
            return .cluster(QuantizationSettings(levelCount: count, weighting: weighting, method: method ?? .optimal,
                                                 restarts: restarts, maximumIterations: maxIterations, seed: seed))
        }
    }

    /// `-k 8`, `-k auto`, `-k auto:2-12`.
    static func parseLevelCount(_ text: String) throws -> LevelCount {
        let limit = 65536
        if text == "auto" { return .automatic(LevelCount.defaultAutomaticRange) }
        if text.hasPrefix("auto:") {
            let bounds = text.dropFirst(5).split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard bounds.count == 2, let low = bounds[0], let high = bounds[1], low >= 1, low <= high, high <= limit else {
                throw UsageError("-k \(text): expected auto:MIN-MAX with 1 ≤ MIN ≤ MAX ≤ \(limit)")
            }
            return .automatic(low...high)
        }
        guard let k = Int(text) else { throw UsageError("-k \(text): expected a positive integer, auto or auto:MIN-MAX") }
        guard k >= 1 else { throw UsageError("-k \(k): must be at least 1") }
        guard k <= limit else { throw UsageError("-k \(k): at most \(limit) levels (labels are 16-bit)") }
        return .fixed(k)
    }

    func checkOutputs() throws {
        if let labels {
            try OutputPath.check(labels, inputs: [image], flag: "--labels")
            if let format = ImageFormat(pathExtensionOf: labels), format == .jpeg {
                throw UsageError("--labels \(labels): JPEG is lossy and would corrupt labels; use .png, .tif or .npy")
            }
        }
        if let output { try OutputPath.check(output, inputs: [image]) }
        try OutputPath.checkDistinct(outputs: (labels.map { [.init("--labels", $0)] } ?? []) + (output.map { [.init("-o", $0)] } ?? []),
                                     inputs: [.init("input", image)])
    }

    func textReport(_ result: QuantizeJob.Result) -> String {
        var lines = [String]()
        let k = result.levels.count
        if let fit = result.fit {
            lines.append("K = \(k) levels (\(fit.distinctValueCount) distinct values, found in \(Self.format(fit.distinctValuesSeconds)) s; "
                         + "clustering \(Self.format(fit.clusteringSeconds)) s), objective \(fit.objective)")
        } else {
            lines.append("K = \(k) given levels")
        }
        lines.append("centers: " + result.levels.centers.map { "\($0)" }.joined(separator: ", "))
        return lines.joined(separator: "\n") + "\n"
    }

    static func format(_ seconds: Double) -> String { String(format: "%.4f", seconds) }
}
