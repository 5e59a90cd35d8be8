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

    /// A duration in seconds.
    public static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// Runs the job on one image.
    public func callAsFunction<S: PixelSample>(_ image: Image<S>) throws -> Result {
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
    fileprivate var secondsValue: Double { QuantizeJob.seconds(self) }
}
