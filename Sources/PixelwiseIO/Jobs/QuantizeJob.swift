import Foundation
import Pixelwise

/// The quantize job's one entry point (levels found or given, labels and quantized values assigned in one
/// pass, NPY targets streamed into their files), shared by the CLI and the library's users.
public struct QuantizeJob: ImageOperation {
    /// Cluster to find the levels, or use given ones.
    public enum Request: Sendable {
        case cluster(QuantizationSettings)
        case centers(QuantizationLevels)
    }

    /// What the job produced: the levels, the fit (when clustered), the images asked for (nil when streamed
    /// to their NPY files), per-level statistics (when measured) and timings in seconds.
    public struct Result {
        public let request: Request
        public let levels: QuantizationLevels
        public let fit: LevelFit?
        public let labels: AnyImage?
        public let values: AnyImage?
        public let statistics: LevelStatistics?
        public let timings: [(String, Double)]
    }

    public let request: Request
    /// The channel quantized.
    public let channel: Int
    public let makeLabels: Bool
    public let makeValues: Bool
    /// Quantized values as float64 (exact centres) instead of the input's type.
    public let float64Output: Bool
    /// Whether to compute per-level statistics.
    public let measure: Bool
    /// Label / quantized-image targets (NPY) that the assignment streams straight into their files
    /// (``NPYBlockOutput``); they are committed by the job and come back as nil images.
    public var streamedLabels: String? = nil
    public var streamedValues: String? = nil

    /// The job; see the properties.
    public init(request: Request, channel: Int, makeLabels: Bool, makeValues: Bool, float64Output: Bool, measure: Bool,
                streamedLabels: String? = nil, streamedValues: String? = nil) {
        self.request = request
        self.channel = channel
        self.makeLabels = makeLabels
        self.makeValues = makeValues
        self.float64Output = float64Output
        self.measure = measure
        self.streamedLabels = streamedLabels
        self.streamedValues = streamedValues
    }


    /// Peak memory of this job on a `width` × `height` image of `channels` channels of `sampleType`, besides
    /// the image: the channel taken out of a colour image, then the larger of the fit
    /// (``Quantization/fitMemory(pixels:sampleType:settings:)``; given centres need none) and the label and
    /// quantized images that are not streamed into NPY files. Allocates nothing.
    public func memoryNeed(width: Int, height: Int, channels: Int, sampleType: SampleType) -> MemoryNeed {
        let pixels = MemoryNeed(count: width, size: height).bytes
        let grey = channels > 1 ? MemoryNeed(count: pixels, size: sampleType.byteCount) : .zero
        let fit: MemoryNeed, levelCount: Int
        switch request {
        case .cluster(let settings):
            fit = Quantization.fitMemory(pixels: pixels, sampleType: sampleType, settings: settings)
            switch settings.levelCount {
            case .fixed(let k): levelCount = k
            case .automatic(let range): levelCount = range.upperBound
            }
        case .centers(let levels):
            fit = .zero
            levelCount = levels.count
        }
        let labels = makeLabels && streamedLabels == nil ? MemoryNeed(count: pixels, size: levelCount <= 256 ? 1 : 2) : .zero
        let values = makeValues && streamedValues == nil
            ? MemoryNeed(count: pixels, size: float64Output ? 8 : sampleType.byteCount) : .zero
        return grey + Swift.max(fit, labels + values)
    }

    /// Runs the job on one image.
    public func callAsFunction<S: PixelSample>(_ image: Image<S>) throws -> Result {
        let clock = ContinuousClock()
        var timings: [(String, Double)] = []
        var mark = clock.now
        let grey = Quantization.channel(channel, of: image)
        if image.channels > 1 {
            timings.append(("channel", (clock.now - mark).seconds))
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
        timings.append(("assignment", (clock.now - mark).seconds))
        mark = clock.now
        var statistics: LevelStatistics?
        if measure {
            statistics = LevelStatistics(of: grey, levels: levels)
            timings.append(("statistics", (clock.now - mark).seconds))
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

/// The quantize job's report (`pixelwise quantize --json`): what was asked, the levels found, per-level
/// statistics and timings. Keys are snake_case, sorted; non-finite numbers and bounds that do not apply are null.
public struct QuantizationReport: Encodable {
    /// One level: its label, centre, pixel count, value range and the thresholds around it.
    public struct Level: Encodable {
        public let label: Int
        public let center: Double?
        public let count: Int
        public let min: Double?
        public let max: Double?
        public let from: Double?
        public let below: Double?

        /// Every key is written, null when a bound does not apply (the first level has no `from`).
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(label, forKey: .label)
            try c.encode(center, forKey: .center)
            try c.encode(count, forKey: .count)
            try c.encode(min, forKey: .min)
            try c.encode(max, forKey: .max)
            try c.encode(from, forKey: .from)
            try c.encode(below, forKey: .below)
        }

        enum CodingKeys: String, CodingKey { case label, center, count, min, max, from, below }
    }

    /// One K tried by `-k auto`, with its BIC.
    public struct Candidate: Encodable {
        public let k: Int
        public let bic: Double?
        public let objective: Double?
    }

    public let image: String
    public let width: Int
    public let height: Int
    public let sampleType: String
    public let channel: Int?
    public let method: String
    public let weighting: String?
    public let kRequested: String?
    public let k: Int
    public let distinctValues: Int?
    public let restarts: Int?
    public let seed: UInt64?
    public let centers: [Double?]
    public let counts: [Int]?
    public let objective: Double?
    public let pixelSquaredError: Double?
    public let levels: [Level]?
    public let bic: [Candidate]?
    /// Named timings in seconds, in the order they happened.
    public let seconds: [(String, Double)]

    /// The report of `result` for `image` (its path), of the given size and sample type.
    public init(_ result: QuantizeJob.Result, image: String, width: Int, height: Int, sampleType: SampleType,
                channel: Int?, timings: [(String, Double)]) {
        func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
        let levels = result.levels
        self.image = image
        self.width = width
        self.height = height
        self.sampleType = sampleType.rawValue
        self.channel = channel
        k = levels.count
        if let fit = result.fit, case .cluster(let settings) = result.request {
            method = settings.method.rawValue
            weighting = settings.weighting.rawValue
            switch settings.levelCount {
            case .fixed(let requested): kRequested = "\(requested)"
            case .automatic(let range): kRequested = "auto:\(range.lowerBound)-\(range.upperBound)"
            }
            distinctValues = fit.distinctValueCount
            restarts = settings.method == .lloyd ? settings.restarts : nil
            seed = settings.method == .lloyd ? settings.seed : nil
        } else {
            method = "given"
            weighting = nil
            kRequested = nil
            distinctValues = nil
            restarts = nil
            seed = nil
        }
        centers = levels.centers.map { finite($0) }
        objective = finite(result.fit?.objective)
        if let statistics = result.statistics {
            counts = statistics.counts
            pixelSquaredError = finite(statistics.squaredError.reduce(0, +))
            self.levels = (0..<levels.count).map { t in
                Level(label: t, center: finite(levels.centers[t]), count: statistics.counts[t],
                      min: finite(statistics.minimum[t]), max: finite(statistics.maximum[t]),
                      from: t == 0 ? nil : finite(levels.thresholds[t - 1]),
                      below: t == levels.count - 1 ? nil : finite(levels.thresholds[t]))
            }
        } else {
            counts = nil
            pixelSquaredError = nil
            self.levels = nil
        }
        let candidates = result.fit?.candidates ?? []
        bic = candidates.isEmpty ? nil : candidates.map { Candidate(k: $0.k, bic: finite($0.bic), objective: finite($0.objective)) }
        var timings = timings
        if let fit = result.fit {
            timings.insert(("distinct_values", fit.distinctValuesSeconds), at: Swift.min(1, timings.count))
            timings.insert(("clustering", fit.clusteringSeconds), at: Swift.min(2, timings.count))
        }
        seconds = timings
    }

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Optional fields that do not apply are left out, except `channel` and `objective`, which are null when
    /// absent (as the CLI has always written them); `k_requested` is a number, or a string for `auto:MIN-MAX`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(image, forKey: Key("image"))
        try c.encode(width, forKey: Key("width"))
        try c.encode(height, forKey: Key("height"))
        try c.encode(sampleType, forKey: Key("sample_type"))
        try c.encode(channel, forKey: Key("channel"))
        try c.encode(method, forKey: Key("method"))
        try c.encodeIfPresent(weighting, forKey: Key("weighting"))
        if let kRequested {
            if let number = Int(kRequested) { try c.encode(number, forKey: Key("k_requested")) } else { try c.encode(kRequested, forKey: Key("k_requested")) }
        }
        try c.encode(k, forKey: Key("k"))
        try c.encodeIfPresent(distinctValues, forKey: Key("distinct_values"))
        try c.encodeIfPresent(restarts, forKey: Key("restarts"))
        try c.encodeIfPresent(seed, forKey: Key("seed"))
        try c.encode(centers, forKey: Key("centers"))
        try c.encodeIfPresent(counts, forKey: Key("counts"))
        try c.encode(objective, forKey: Key("objective"))
        try c.encodeIfPresent(pixelSquaredError, forKey: Key("pixel_squared_error"))
        try c.encodeIfPresent(levels, forKey: Key("levels"))
        try c.encodeIfPresent(bic, forKey: Key("bic"))
        var timing = c.nestedContainer(keyedBy: Key.self, forKey: Key("seconds"))
        for (name, value) in seconds { try timing.encode(value, forKey: Key(name)) }
    }

    /// The report as pretty-printed JSON text, with a final newline.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
