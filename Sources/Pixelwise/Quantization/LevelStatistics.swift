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
        let k = levels.count
        let thresholds = levels.sampleThresholds(as: S.self)
        let centers = levels.centers
        let partials = image.withUnsafeBuffer { source in
            Parallel.mapChunks(count: image.height, minimumChunk: Swift.max(1, 65536 / Swift.max(width, 1))) { rows in
                // Raw per-chunk tables: the arrays' bounds checks and uniqueness checks cost more than
                // the arithmetic in this loop.
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: k)
                let low = UnsafeMutablePointer<Double>.allocate(capacity: k)
                let high = UnsafeMutablePointer<Double>.allocate(capacity: k)
                let squares = UnsafeMutablePointer<Double>.allocate(capacity: k)
                counts.initialize(repeating: 0, count: k)
                low.initialize(repeating: .infinity, count: k)
                high.initialize(repeating: -.infinity, count: k)
                squares.initialize(repeating: 0, count: k)
                defer {
                    counts.deallocate()
                    low.deallocate()
                    high.deallocate()
                    squares.deallocate()
                }
                thresholds.withUnsafeBufferPointer { steps in
                    centers.withUnsafeBufferPointer { centers in
                        let n = steps.count
                        for y in rows {
                            let row = source.rowPointer(y)
                            for x in 0..<width {
                                let sample = row[x]
                                var label: Int
                                if n <= 31 {
                                    var below = 0
                                    for t in 0..<n { below &+= (sample - steps[t]).sign.rawValue }
                                    label = n &- below
                                } else {
                                    var lower = 0, upper = n
                                    while lower < upper {
                                        let middle = (lower &+ upper) >> 1
                                        if sample >= steps[middle] { lower = middle &+ 1 } else { upper = middle }
                                    }
                                    label = lower
                                }
                                if label > n { label = n }  // NaN: refused elsewhere; keep the index valid
                                let v = sample.doubleValue
                                counts[label] &+= 1
                                if v < low[label] { low[label] = v }
                                if v > high[label] { high[label] = v }
                                let d = v - centers[label]
                                squares[label] += d * d
                            }
                        }
                    }
                }
                var accumulator = Accumulator(levelCount: k)
                for t in 0..<k {
                    accumulator.counts[t] = counts[t]
                    accumulator.minimum[t] = low[t]
                    accumulator.maximum[t] = high[t]
                    accumulator.squaredError[t] = squares[t]
                }
                return accumulator
            }
        }
        var total = Accumulator(levelCount: k)
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
