/// How many levels to find.
public enum LevelCount: Sendable, Equatable {
    /// Exactly this many (fewer when the image has fewer distinct values: each value is then a level).
    case fixed(Int)
    /// The K in this range with the best Bayesian information criterion (Ckmeans.1d.dp's choice).
    case automatic(ClosedRange<Int>)

    /// The range `-k auto` tries: 1 to 9, as Ckmeans.1d.dp's default `k = c(1, 9)`.
    public static let defaultAutomaticRange = 1...9
}

/// Which clustering finds the levels.
public enum QuantizationMethod: String, Sendable, CaseIterable {
    /// Exact optimum by dynamic programming (deterministic).
    case optimal
    /// k-means++-seeded Lloyd iterations with restarts (a local optimum, like cv2.kmeans).
    case lloyd
}

/// Everything that decides the levels of an image.
public struct QuantizationSettings: Sendable, Equatable {
    /// How many levels: a fixed K or chosen by the criterion (`-k auto`).
    public var levelCount: LevelCount
    /// Whether each distinct value counts once or by its pixel count.
    public var weighting: QuantizationWeighting
    /// The exact 1-D k-means (dynamic programming) or Lloyd's iterations.
    public var method: QuantizationMethod
    /// Lloyd only: runs from different seeds, the best kept.
    public var restarts: Int
    /// Lloyd only: iterations per run at most.
    public var maximumIterations: Int
    /// Lloyd only: the random seed.
    public var seed: UInt64

    /// Settings with the command line's defaults.
    public init(levelCount: LevelCount, weighting: QuantizationWeighting = .unique, method: QuantizationMethod = .optimal,
                restarts: Int = 10, maximumIterations: Int = 300, seed: UInt64 = 1) {
        self.levelCount = levelCount
        self.weighting = weighting
        self.method = method
        self.restarts = restarts
        self.maximumIterations = maximumIterations
        self.seed = seed
    }
}

/// The levels found for an image and how they were found.
public struct LevelFit: Sendable {
    /// The levels (K used = `levels.count`).
    public let levels: QuantizationLevels
    /// The clustering of the distinct values behind the levels.
    public let clustering: KMeansClustering
    /// The weighted sum of squared distances minimised (over distinct values, with the weighting used).
    public var objective: Double { clustering.objective }
    /// Number of distinct values in the image.
    public let distinctValueCount: Int
    /// For `-k auto`: the criterion of every K tried.
    public let candidates: [OptimalKMeans.Candidate]
    /// Seconds spent finding the distinct values (histogram or radix sort) and clustering them.
    public let distinctValuesSeconds: Double
    /// Seconds spent clustering the distinct values.
    public let clusteringSeconds: Double
}

/// Quantizing grey levels: the entry points the CLI calls.
public enum Quantization {
    /// The distinct values of a single-channel image with their weights: a histogram for 8/16-bit
    /// images, a radix sort for float images. NaN is refused.
    public static func weightedValues<S: PixelSample>(of image: Image<S>, weighting: QuantizationWeighting)
        throws(QuantizationError) -> WeightedValues {
        switch S.sampleType {
        case .uint8: return ValueHistogram(image as! Image<UInt8>).weightedValues(weighting)
        case .uint16: return ValueHistogram(image as! Image<UInt16>).weightedValues(weighting)
        case .float32:
            let (values, counts) = try DistinctValues.of(image as! Image<Float>, withCounts: weighting == .pixels)
            return WeightedValues(values: values, weights: counts)
        case .float64:
            let (values, counts) = try DistinctValues.of(image as! Image<Double>, withCounts: weighting == .pixels)
            return WeightedValues(values: values, weights: counts)
        }
    }

    /// Peak memory of ``fit(_:settings:)`` on a single-channel image of `pixels` samples of `sampleType`,
    /// besides the image: the distinct values (a radix sort of keys for floats, histograms for integers), then
    /// the values, their prefix sums and the clustering's tables (the exact DP keeps a 32-bit split table per
    /// layer). An integer image has at most 256 or 65536 distinct values; a float image is assumed to have
    /// as many as pixels, so for floats this is an upper bound. Allocates nothing.
    public static func fitMemory(pixels: Int, sampleType: SampleType, settings: QuantizationSettings) -> MemoryNeed {
        let weighted = settings.weighting == .pixels
        let distinct: Int, extraction: MemoryNeed
        switch sampleType {
        case .uint8, .uint16:
            let buckets = sampleType == .uint8 ? 256 : 65536
            distinct = Swift.min(pixels, buckets)
            extraction = MemoryNeed(count: 4 * Parallel.coreCount * buckets, size: MemoryLayout<Int>.size)
        case .float32, .float64:
            distinct = pixels
            let keys = MemoryNeed(count: pixels, size: sampleType.byteCount)
            // Keys and scratch while sorting; then the sorted keys, values, counts and run starts.
            extraction = Swift.max(keys * 2, keys + MemoryNeed(count: distinct, size: weighted ? 24 : 8))
        }
        let layers: Int
        switch settings.levelCount {
        case .fixed(let k): layers = Swift.max(1, k)
        case .automatic(let range): layers = Swift.max(1, range.upperBound)
        }
        // Values (+ weights), prefix sums of value and square (+ weight), then the method's own arrays.
        var perValue = (weighted ? 16 : 8) + (weighted ? 24 : 16)
        switch settings.method {
        case .optimal: perValue += 2 * MemoryLayout<Double>.size + (layers - 1) * MemoryLayout<UInt32>.size
        case .lloyd: perValue += MemoryLayout<Double>.size
        }
        return Swift.max(extraction, MemoryNeed(count: distinct, size: perValue))
    }

    /// Finds the levels of a single-channel image.
    public static func fit<S: PixelSample>(_ image: Image<S>, settings: QuantizationSettings) throws(QuantizationError) -> LevelFit {
        guard !image.isEmpty else { throw .emptyImage(width: image.width, height: image.height) }
        guard image.channels == 1 else { throw .notSingleChannel(channels: image.channels) }
        let clock = ContinuousClock()
        let start = clock.now
        let data = try weightedValues(of: image, weighting: settings.weighting)
        let distinctTime = clock.now - start
        return try fit(data, settings: settings, distinctValuesSeconds: distinctTime.seconds)
    }

    /// Finds levels for already extracted distinct values.
    public static func fit(_ data: WeightedValues, settings: QuantizationSettings, distinctValuesSeconds: Double = 0)
        throws(QuantizationError) -> LevelFit {
        guard data.count > 0 else { throw .emptyImage(width: 0, height: 0) }
        if let first = data.values.first, !first.isFinite { throw .infiniteValue(first) }
        if let last = data.values.last, !last.isFinite { throw .infiniteValue(last) }
        let clock = ContinuousClock()
        let start = clock.now
        var clustering: KMeansClustering
        var candidates = [OptimalKMeans.Candidate]()
        switch settings.levelCount {
        case .fixed(let k):
            guard k >= 1 else { throw .invalidK("\(k): must be at least 1") }
            let used = Swift.min(k, data.count)
            switch settings.method {
            case .optimal: clustering = OptimalKMeans.cluster(data, k: used)
            case .lloyd:
                clustering = LloydKMeans.cluster(data, k: used, restarts: settings.restarts,
                                                 maximumIterations: settings.maximumIterations, seed: settings.seed)
            }
        case .automatic(let range):
            guard range.lowerBound >= 1 else { throw .invalidK("auto range must start at 1 or more") }
            let selected = OptimalKMeans.clusterSelectingK(data, range: range)
            clustering = selected.best
            candidates = selected.candidates
            if settings.method == .lloyd {
                clustering = LloydKMeans.cluster(data, k: clustering.centers.count, restarts: settings.restarts,
                                                 maximumIterations: settings.maximumIterations, seed: settings.seed)
            }
        }
        // Lloyd may leave two centres equal (an emptied cluster); keep one level per distinct centre.
        var centers = [Double]()
        var ranges = [Range<Int>]()
        for (center, range) in zip(clustering.centers, clustering.clusterRanges) {
            if let last = centers.last, last == center {
                ranges[ranges.count - 1] = ranges[ranges.count - 1].lowerBound..<Swift.max(range.upperBound, ranges[ranges.count - 1].upperBound)
            } else {
                centers.append(center)
                ranges.append(range)
            }
        }
        clustering = KMeansClustering(centers: centers, clusterRanges: ranges, objective: clustering.objective)
        let levels = try QuantizationLevels(centers: centers)
        return LevelFit(levels: levels, clustering: clustering, distinctValueCount: data.count, candidates: candidates,
                        distinctValuesSeconds: distinctValuesSeconds, clusteringSeconds: (clock.now - start).seconds)
    }

    /// One channel of an image as a single-channel image (the colour policy: quantize a chosen channel).
    public static func channel<S: PixelSample>(_ index: Int, of image: Image<S>) -> Image<S> {
        precondition(index >= 0 && index < image.channels, "channel out of range")
        if image.channels == 1 { return image }
        var result = Image<S>(uninitializedWidth: image.width, height: image.height)
        let channels = image.channels, width = image.width
        image.withUnsafeBuffer { source in
            result.withUnsafeMutableBuffer { target in
                Parallel.forEachChunk(count: image.height, minimumChunk: Swift.max(1, 65536 / Swift.max(width, 1))) { rows in
                    for y in rows {
                        let input = source.rowPointer(y) + index, output = target.rowPointer(y)
                        for x in 0..<width { output[x] = input[x &* channels] }
                    }
                }
            }
        }
        return result
    }
}
