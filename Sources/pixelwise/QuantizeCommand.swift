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
            timings.append((name, (now - mark).secondsValue))
            mark = now
        }
        let source = try ImageFile.read(image, options: reading.readOptions)
        lap("read")
        guard !source.isEmpty else {
            throw UsageError("\(image): the image is empty (\(source.width)×\(source.height)); there is nothing to quantize")
        }
        if let channel, !(0..<source.channels).contains(channel) {
            throw UsageError("--channel \(channel): \(image) has \(source.channels) channel\(source.channels == 1 ? "" : "s") (0...\(source.channels - 1))")
        }
        if source.channels > 1 && channel == nil {
            throw UsageError("\(image): \(QuantizationError.notSingleChannel(channels: source.channels))")
        }
        // NPY outputs are streamed into their files block by block (no image);
        // other formats are encoded from an image afterwards.
        func streamable(_ path: String?) -> String? {
            path.flatMap { ImageFormat(pathExtensionOf: $0) == .npy ? $0 : nil }
        }
        let job = QuantizeJob(request: request, channel: channel ?? 0, makeLabels: labels != nil,
                              makeValues: output != nil, float64Output: dtype == .float64, measure: json,
                              streamedLabels: streamable(labels), streamedValues: streamable(output))
        // If the second file cannot be written (say float64 to PNG), take back the first one we
        // created, so that a failed run leaves nothing behind.
        let labelsExisted = labels.map { FileManager.default.fileExists(atPath: $0) } ?? true
        let result = try Self.run(job, on: source, path: image)
        for (name, seconds) in result.timings { timings.append((name, seconds)) }
        mark = clock.now
        if let labels, let labelImage = result.labels { try ImageFile.write(labelImage, to: labels, options: writing.writeOptions) }
        do {
            if let output, let valueImage = result.values { try ImageFile.write(valueImage, to: output, options: writing.writeOptions(like: image)) }
        } catch {
            if let labels, !labelsExisted { try? FileManager.default.removeItem(atPath: labels) }
            throw error
        }
        lap("write")
        timings.append(("total", (clock.now - started).secondsValue))
        if json {
            Standard.output(jsonReport(result, sampleType: source.sampleType, width: source.width, height: source.height,
                                       timings: timings))
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
            try OutputPath.check(labels, inputs: [image])
            if let format = ImageFormat(pathExtensionOf: labels), format == .jpeg {
                throw UsageError("--labels \(labels): JPEG is lossy and would corrupt labels; use .png, .tif or .npy")
            }
        }
        if let output { try OutputPath.check(output, inputs: [image]) }
        if let labels, let output, labels == output || OutputPath.sameFile(labels, output) {
            throw UsageError("--labels and -o name the same file \(output)")
        }
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

    func jsonReport(_ result: QuantizeJob.Result, sampleType: SampleType, width: Int, height: Int,
                    timings: [(String, Double)]) -> String {
        let levels = result.levels
        let statistics = result.statistics
        func number(_ value: Double?) -> String {
            guard let value, value.isFinite else { return "null" }
            return "\(value)"
        }
        var fields: [(String, String)] = [
            ("image", JSONText.string(image)),
            ("width", "\(width)"), ("height", "\(height)"),
            ("sample_type", JSONText.string(sampleType.rawValue)),
            ("channel", channel.map { "\($0)" } ?? "null"),
        ]
        if let fit = result.fit, case .cluster(let settings) = result.request {
            let requested: String
            switch settings.levelCount {
            case .fixed(let k): requested = "\(k)"
            case .automatic(let range): requested = JSONText.string("auto:\(range.lowerBound)-\(range.upperBound)")
            }
            fields += [("method", JSONText.string(settings.method.rawValue)),
                       ("weighting", JSONText.string(settings.weighting.rawValue)),
                       ("k_requested", requested), ("k", "\(levels.count)"),
                       ("distinct_values", "\(fit.distinctValueCount)")]
            if settings.method == .lloyd {
                fields += [("restarts", "\(settings.restarts)"), ("seed", "\(settings.seed)")]
            }
        } else {
            fields += [("method", JSONText.string("given")), ("k", "\(levels.count)")]
        }
        fields.append(("centers", "[" + levels.centers.map { number($0) }.joined(separator: ", ") + "]"))
        if let statistics {
            fields.append(("counts", "[" + statistics.counts.map { "\($0)" }.joined(separator: ", ") + "]"))
        }
        fields.append(("objective", number(result.fit?.objective)))
        if let statistics {
            fields.append(("pixel_squared_error", number(statistics.squaredError.reduce(0, +))))
            var items = [String]()
            for t in 0..<levels.count {
                let lower = t == 0 ? nil : levels.thresholds[t - 1]
                let upper = t == levels.count - 1 ? nil : levels.thresholds[t]
                items.append("{\"label\": \(t), \"center\": \(number(levels.centers[t])), \"count\": \(statistics.counts[t]), "
                             + "\"min\": \(number(statistics.minimum[t])), \"max\": \(number(statistics.maximum[t])), "
                             + "\"from\": \(number(lower)), \"below\": \(number(upper))}")
            }
            fields.append(("levels", "[\n    " + items.joined(separator: ",\n    ") + "\n  ]"))
        }
        if let fit = result.fit, !fit.candidates.isEmpty {
            let items = fit.candidates.map { "{\"k\": \($0.k), \"bic\": \(number($0.bic)), \"objective\": \(number($0.objective))}" }
            fields.append(("bic", "[\n    " + items.joined(separator: ",\n    ") + "\n  ]"))
        }
        var timingFields = timings
        if let fit = result.fit {
            timingFields.insert(("distinct_values", fit.distinctValuesSeconds), at: 1)
            timingFields.insert(("clustering", fit.clusteringSeconds), at: 2)
        }
        fields.append(("seconds", "{" + timingFields.map { "\(JSONText.string($0.0)): \(Self.format($0.1))" }.joined(separator: ", ") + "}"))
        return "{\n" + fields.map { "  \(JSONText.string($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    static func format(_ seconds: Double) -> String { String(format: "%.4f", seconds) }
}

/// The generic part of `quantize`, run on whatever sample type the file holds.
struct QuantizeJob: ImageOperation {
    enum Request {
        case cluster(QuantizationSettings)
        case centers(QuantizationLevels)
    }

    struct Result {
        let request: Request
        let levels: QuantizationLevels
        let fit: LevelFit?
        let labels: AnyImage?
        let values: AnyImage?
        let statistics: LevelStatistics?
        let timings: [(String, Double)]
    }

    let request: Request
    let channel: Int
    let makeLabels: Bool
    let makeValues: Bool
    let float64Output: Bool
    let measure: Bool
    /// Label / quantized-image targets (NPY) that the assignment streams straight into their files
    /// (``NPYBlockOutput``); they are committed by the job and come back as nil images.
    var streamedLabels: String? = nil
    var streamedValues: String? = nil

    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws -> Result {
        let clock = ContinuousClock()
        var timings: [(String, Double)] = []
        var mark = clock.now
        let grey = Quantization.channel(channel, of: image)
        if image.channels > 1 {
            timings.append(("channel", (clock.now - mark).secondsValue))
            mark = clock.now
        }
        let levels: QuantizationLevels
        var fit: LevelFit?
        switch request {
        case .centers(let given):
            levels = given
        case .cluster(let settings):
            fit = try Quantization.fit(grey, settings: settings)
            levels = fit!.levels
            mark = clock.now
        }
        let (labels, values) = try assign(grey, levels: levels)
        timings.append(("assignment", (clock.now - mark).secondsValue))
        mark = clock.now
        var statistics: LevelStatistics?
        if measure {
            statistics = LevelStatistics(of: grey, levels: levels)
            timings.append(("statistics", (clock.now - mark).secondsValue))
        }
        return Result(request: request, levels: levels, fit: fit, labels: labels, values: values,
                      statistics: statistics, timings: timings)
    }

    /// Labels in uint8 up to 256 levels, else uint16; values in the input's type or float64.
    func assign<S: PixelSample>(_ image: Image<S>, levels: QuantizationLevels) throws -> (AnyImage?, AnyImage?) {
        if levels.count <= 256 {
            return try assign(image, levels: levels, labelType: UInt8.self)
        }
        return try assign(image, levels: levels, labelType: UInt16.self)
    }

    func assign<S: PixelSample, L: PixelSample & FixedWidthInteger & SIMDScalar>(_ image: Image<S>, levels: QuantizationLevels, labelType: L.Type)
        throws -> (AnyImage?, AnyImage?) {
        if float64Output {
            return try assign(image, levels: levels, labelType: L.self, valueType: Double.self)
        }
        return try assign(image, levels: levels, labelType: L.self, valueType: S.self)
    }

    /// One fused parallel pass writing labels and values. NPY targets are streamed: the pass computes
    /// blocks of rows into small per-thread buffers and writes each block into its file with `pwrite`
    /// (``NPYBlockOutput``), so neither image exists whole; other targets get an image (filled block by
    /// block when a file is streamed too, else directly). Files are created before the pass (so a bad
    /// target costs no computing) and committed after it; on any error they are discarded, and if the
    /// second commit fails the first file is removed again, so a failed run leaves nothing behind.
    func assign<S: PixelSample, L: PixelSample & FixedWidthInteger & SIMDScalar, V: PixelSample>(
        _ image: Image<S>, levels: QuantizationLevels, labelType: L.Type, valueType: V.Type
    ) throws -> (AnyImage?, AnyImage?) {
        let labelFile = try streamedLabels.map { try NPYBlockOutput<L>(path: $0, width: image.width, height: image.height) }
        let valueFile = try streamedValues.map { try NPYBlockOutput<V>(path: $0, width: image.width, height: image.height) }
        var labelImage = makeLabels && labelFile == nil ? Image<L>(uninitializedWidth: image.width, height: image.height) : nil
        var valueImage = makeValues && valueFile == nil ? Image<V>(uninitializedWidth: image.width, height: image.height) : nil
        if labelFile == nil && valueFile == nil {
            try withOptionalMutableBuffer(&labelImage) { labels in
                try withOptionalMutableBuffer(&valueImage) { values in
                    try levels.assign(image, labelsInto: labels, valuesInto: values)
                }
            }
            return (labelImage.map(AnyImage.init), valueImage.map(AnyImage.init))
        }
        // `Image.withUnsafeMutableBuffer` must not see a shared storage (it would copy), so the images
        // stay local until the pass is done.
        try withOptionalMutableBuffer(&labelImage) { labelTarget in
            try withOptionalMutableBuffer(&valueImage) { valueTarget in
                try levels.assignInBlocks(image, labelType: L.self, valueType: V.self, makeLabels: makeLabels,
                                          makeValues: makeValues) { rows, labels, values in
                    if let labels {
                        if let labelFile { try labelFile.write(rows: rows, from: labels) } else { labelTarget?.copyRows(rows, from: labels) }
                    }
                    if let values {
                        if let valueFile { try valueFile.write(rows: rows, from: values) } else { valueTarget?.copyRows(rows, from: values) }
                    }
                }
            }
        }
        let labelsExisted = labelFile.map { FileManager.default.fileExists(atPath: $0.path) } ?? true
        try labelFile?.commit()
        do {
            try valueFile?.commit()
        } catch {
            if let labelFile, !labelsExisted { unlink(labelFile.path) }
            throw error
        }
        return (labelImage.map(AnyImage.init), valueImage.map(AnyImage.init))
    }
}

extension MutableImageBuffer {
    /// Copies `block` (whose row 0 is row `rows.lowerBound` here) into rows `rows`.
    fileprivate func copyRows(_ rows: Range<Int>, from block: ImageBuffer<Sample>) {
        for (offset, y) in rows.enumerated() {
            rowPointer(y).update(from: block.rowPointer(offset), count: width * channels)
        }
    }
}

extension Duration {
    /// Seconds as a `Double` (for timings).
    fileprivate var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
