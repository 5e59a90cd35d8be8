/// K grey levels and the rule that maps any value to one of them: the nearest centre, ties to the lower.
///
/// The rule is precomputed as K − 1 thresholds: `thresholds[t]` is the smallest `Double` at which centre
/// t + 1 is strictly nearer than centre t, computed with the same floating-point comparisons as a
/// brute-force `argmin |v − c|`, so the fast paths agree with the obvious loop even on exact midpoints.
/// The label of `v` is the number of thresholds ≤ `v`.
public struct QuantizationLevels: Sendable, Equatable {
    /// The centres, strictly increasing and finite. Label `t` means `centers[t]`.
    public let centers: [Double]
    /// `centers.count − 1` non-decreasing thresholds (see the type's documentation).
    public let thresholds: [Double]

    /// Levels at the given centres, which are sorted here; duplicates, non-finite values and an empty
    /// list are refused, as is more than 65536 levels (labels are at most 16-bit).
    public init(centers: [Double]) throws(QuantizationError) {
        guard !centers.isEmpty else { throw .invalidCenters("no centre given") }
        guard centers.count <= 65536 else { throw .invalidCenters("\(centers.count) centres; at most 65536 (labels are 16-bit)") }
        if let bad = centers.first(where: { !$0.isFinite }) { throw .invalidCenters("\(bad) is not a finite number") }
        let sorted = centers.sorted()
        for t in 1..<sorted.count where sorted[t] == sorted[t - 1] {
            throw .invalidCenters("\(sorted[t]) is given twice; centres must be distinct")
        }
        self.centers = sorted
        thresholds = (0..<(sorted.count - 1)).map { Self.threshold(between: sorted[$0], and: sorted[$0 + 1]) }
    }

    /// Number of levels, K.
    @inlinable public var count: Int { centers.count }

    /// The smallest `v` with `|v − upper| < |v − lower|` in floating point (lower < upper, both finite).
    static func threshold(between lower: Double, and upper: Double) -> Double {
        @inline(__always) func upperIsNearer(_ v: Double) -> Bool { abs(v - upper) < abs(v - lower) }
        // The predicate is monotone in v (rounding preserves order), false at `lower` and true at
        // `upper`: bisect over the doubles between them, in the order of their sort keys. (Stepping ulp
        // by ulp from the midpoint would crawl through subnormals when the midpoint is 0.)
        var low = Double.sortKey(lower), high = Double.sortKey(upper)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if upperIsNearer(Double.sampleValue(middle)) { high = middle } else { low = middle }
        }
        return Double.sampleValue(high)
    }

    /// The label of `value`: the index of the nearest centre, the lower one on a tie. NaN gets 0.
    @inlinable public func label(of value: Double) -> Int {
        var low = 0, high = thresholds.count
        while low < high {
            let middle = (low + high) >> 1
            if value >= thresholds[middle] { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The label of every possible value of an 8- or 16-bit sample type, as a table of
    /// `1 << S.bitWidth` entries (the fast path for integer images).
    public func labelTable<S: FixedWidthInteger & PixelSample>(for type: S.Type) -> [Int] {
        let size = 1 << S.bitWidth
        var table = [Int](repeating: 0, count: size)
        // Thresholds are sorted: walk them once instead of searching per entry.
        var label = 0
        for u in 0..<size {
            let value = Double(u)
            while label < thresholds.count && value >= thresholds[label] { label += 1 }
            table[u] = label
        }
        return table
    }

    /// Thresholds in the sample type `S` (a float type): the smallest `S` whose `Double` value reaches
    /// each threshold, so that comparing samples in `S` gives the same labels as comparing in `Double`.
    @usableFromInline func sampleThresholds<S: BinaryFloatingPoint & PixelSample>(as type: S.Type) -> [S] {
        thresholds.map { threshold in
            var s = S(threshold)
            if s.isNaN { return s }
            while s.doubleValue < threshold && s < S.infinity { s = s.nextUp }
            while s > -S.infinity && s.nextDown.doubleValue >= threshold { s = s.nextDown }
            return s
        }
    }

    /// The level values written to a quantized image of sample type `V` (integers round and clamp).
    public func levelValues<V: PixelSample>(as type: V.Type) -> [V] {
        centers.map { V(roundingClamping: $0) }
    }
}
