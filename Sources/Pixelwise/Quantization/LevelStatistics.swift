/// Per-level figures over every pixel of an image: how many pixels each level got, the smallest and
/// largest value among them, and their sum of squared distances to the level's centre.
public struct LevelStatistics: Sendable, Equatable {
    /// Pixels per level.
    public let counts: [Int]
    /// Smallest and largest pixel value of each level (nil when the level got no pixel).
    public let minimum: [Double?]
    public let maximum: [Double?]
    /// Σ (pixel − centre)² per level.
    public let squaredError: [Double]

    /// Measures a single-channel image against `levels` (a histogram for 8/16-bit images, one parallel
    /// pass for floats). NaN samples get label 0 here; ``QuantizationLevels/assign(_:labelType:valueType:makeLabels:makeValues:)``
    /// is where NaN is refused.
    public init<S: PixelSample>(of image: Image<S>, levels: QuantizationLevels) {
        switch S.sampleType {
        case .uint8: self.init(histogram: ValueHistogram(image as! Image<UInt8>), levels: levels)
        case .uint16: self.init(histogram: ValueHistogram(image as! Image<UInt16>), levels: levels)
        case .float32: self.init(scanning: image as! Image<Float>, levels: levels)
        case .float64: self.init(scanning: image as! Image<Double>, levels: levels)
        }
    }

    /// From a histogram: value v counts `counts[v]` times.
    public init(histogram: ValueHistogram, levels: QuantizationLevels) {
        var accumulator = Accumulator(levelCount: levels.count)
        var label = 0
        for (value, count) in histogram.counts.enumerated() where count > 0 {
            let v = Double(value)
            while label < levels.thresholds.count && v >= levels.thresholds[label] { label += 1 }
            accumulator.add(v, count: Int(count), label: label, center: levels.centers[label])
        }
        self.init(accumulator)
    }

    private init<S: BinaryFloatingPoint & PixelSample>(scanning image: Image<S>, levels: QuantizationLevels) {
        let width = image.width
        let partials = image.withUnsafeBuffer { source in
            Parallel.mapChunks(count: image.height, minimumChunk: Swift.max(1, 65536 / Swift.max(width, 1))) { rows in
                var accumulator = Accumulator(levelCount: levels.count)
                for y in rows {
                    let row = source.rowPointer(y)
                    for x in 0..<width {
                        let v = row[x].doubleValue
                        let label = levels.label(of: v)
                        accumulator.add(v, count: 1, label: label, center: levels.centers[label])
                    }
                }
                return accumulator
            }
        }
        var total = Accumulator(levelCount: levels.count)
        for partial in partials { total.merge(partial) }
        self.init(total)
    }

    private init(_ accumulator: Accumulator) {
        counts = accumulator.counts
        minimum = zip(accumulator.counts, accumulator.minimum).map { $0 > 0 ? $1 : nil }
        maximum = zip(accumulator.counts, accumulator.maximum).map { $0 > 0 ? $1 : nil }
        squaredError = accumulator.squaredError
    }

    private struct Accumulator: Sendable {
        var counts: [Int]
        var minimum: [Double]
        var maximum: [Double]
        var squaredError: [Double]

        init(levelCount: Int) {
            counts = [Int](repeating: 0, count: levelCount)
            minimum = [Double](repeating: .infinity, count: levelCount)
            maximum = [Double](repeating: -.infinity, count: levelCount)
            squaredError = [Double](repeating: 0, count: levelCount)
        }

        @inline(__always) mutating func add(_ v: Double, count: Int, label: Int, center: Double) {
            counts[label] &+= count
            if v < minimum[label] { minimum[label] = v }
            if v > maximum[label] { maximum[label] = v }
            squaredError[label] += Double(count) * (v - center) * (v - center)
        }

        mutating func merge(_ other: Accumulator) {
            for t in counts.indices {
                counts[t] += other.counts[t]
                minimum[t] = Swift.min(minimum[t], other.minimum[t])
                maximum[t] = Swift.max(maximum[t], other.maximum[t])
                squaredError[t] += other.squaredError[t]
            }
        }
    }
}
