/// Sorted, strictly increasing values with a positive weight each: the input of 1-D k-means.
///
/// `weights == nil` means every value weighs 1 (the `unique` weighting), which saves an array as long as
/// the values when a float image has 10⁸ distinct values.
public struct WeightedValues: Sendable, Equatable {
    /// Strictly increasing, finite.
    public let values: [Double]
    /// One positive weight per value, or `nil` for all ones.
    public let weights: [Double]?

    /// Values must be strictly increasing and finite, weights (if any) as many and positive.
    public init(values: [Double], weights: [Double]? = nil) {
        precondition(weights == nil || weights!.count == values.count, "one weight per value")
        self.values = values
        self.weights = weights
    }

    /// Number of values.
    @inlinable public var count: Int { values.count }

    /// Weight of value `index`.
    @inlinable public func weight(at index: Int) -> Double { weights?[index] ?? 1 }

    /// Sum of all weights.
    public var totalWeight: Double { weights?.reduce(0, +) ?? Double(values.count) }

    /// The weighted sum of squared distances from each value to the nearest of `centers` (ties to the
    /// lower centre; they are at equal distance anyway): the k-means objective, computed directly.
    public func objective(centers: [Double]) -> Double {
        let sorted = centers.sorted()
        var total = 0.0
        for index in values.indices {
            let value = values[index]
            var best = Double.infinity
            for center in sorted { best = Swift.min(best, (value - center) * (value - center)) }
            total += weight(at: index) * best
        }
        return total
    }
}

/// Prefix sums over weighted values, so that the sum of squared deviations of any run of consecutive
/// values from its weighted mean costs O(1): `S2 − S1² / W` over the run.
///
/// Values are shifted by their median before summing: the squares then stay small and the subtraction
/// loses far fewer digits (the same device as Ckmeans.1d.dp).
@usableFromInline struct PrefixSums: @unchecked Sendable {
    /// The shift subtracted from every value.
    @usableFromInline let shift: Double
    /// `count + 1` entries each; entry `i` sums values `0..<i`.
    @usableFromInline let sum: UnsafeMutablePointer<Double>
    @usableFromInline let sumOfSquares: UnsafeMutablePointer<Double>
    /// Nil for unit weights: the weight of a run is its length.
    @usableFromInline let weight: UnsafeMutablePointer<Double>?
    @usableFromInline let count: Int

    init(_ data: WeightedValues) {
        let n = data.count
        count = n
        shift = n > 0 ? data.values[n / 2] : 0
        sum = .allocate(capacity: n + 1)
        sumOfSquares = .allocate(capacity: n + 1)
        weight = data.weights == nil ? nil : .allocate(capacity: n + 1)
        sum[0] = 0
        sumOfSquares[0] = 0
        weight?[0] = 0
        var s = 0.0, s2 = 0.0, w = 0.0
        data.values.withUnsafeBufferPointer { values in
            if let weights = data.weights, let weightSums = weight {
                for i in 0..<n {
                    let d = values[i] - shift
                    let wi = weights[i]
                    s += wi * d
                    s2 += wi * d * d
                    w += wi
                    sum[i + 1] = s
                    sumOfSquares[i + 1] = s2
                    weightSums[i + 1] = w
                }
            } else {
                for i in 0..<n {
                    let d = values[i] - shift
                    s += d
                    s2 += d * d
                    sum[i + 1] = s
                    sumOfSquares[i + 1] = s2
                }
            }
        }
    }

    func deallocate() {
        sum.deallocate()
        sumOfSquares.deallocate()
        weight?.deallocate()
    }

    /// Total weight of values `a..<b`.
    @inlinable @inline(__always) func weight(_ a: Int, _ b: Int) -> Double {
        if let weight { return weight[b] - weight[a] }
        return Double(b &- a)
    }

    /// Weighted sum of squared deviations of values `a..<b` (a < b) from their weighted mean.
    @inlinable @inline(__always) func cost(_ a: Int, _ b: Int) -> Double {
        if let weight { return cost(a, b, ArrayRunWeights(weight)) }
        return cost(a, b, UnitRunWeights())
    }

    /// ``cost(_:_:)`` with the weighting fixed at compile time, for the hot loops.
    @inlinable @inline(__always) func cost<W: RunWeights>(_ a: Int, _ b: Int, _ weights: W) -> Double {
        let s = sum[b] - sum[a]
        let c = (sumOfSquares[b] - sumOfSquares[a]) - s * s / weights.weight(a, b)
        return c > 0 ? c : 0
    }

    /// Weighted mean of values `a..<b` (a < b), unshifted.
    func mean(_ a: Int, _ b: Int) -> Double {
        (sum[b] - sum[a]) / weight(a, b) + shift
    }
}

/// How the DP's inner loop gets the weight of a run: specialised so that unit weights cost no load.
@usableFromInline protocol RunWeights: Sendable {
    func weight(_ a: Int, _ b: Int) -> Double
}

/// Every value weighs 1: a run's weight is its length.
@usableFromInline struct UnitRunWeights: RunWeights {
    @inlinable init() {}
    @inlinable @inline(__always) func weight(_ a: Int, _ b: Int) -> Double { Double(b &- a) }
}

/// Weights from a prefix-sum array.
@usableFromInline struct ArrayRunWeights: RunWeights, @unchecked Sendable {
    @usableFromInline let prefix: UnsafeMutablePointer<Double>
    @inlinable init(_ prefix: UnsafeMutablePointer<Double>) { self.prefix = prefix }
    @inlinable @inline(__always) func weight(_ a: Int, _ b: Int) -> Double { prefix[b] - prefix[a] }
}
