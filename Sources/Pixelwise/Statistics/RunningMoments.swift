/// Running count, mean and M2 (sum of squared deviations from the mean) of many parallel streams that
/// receive one observation each per step: per-pixel statistics of a photo stack, one frame per step.
///
/// Updates use Welford's algorithm (numerically stable, one pass, no stored frames); two partial results
/// over disjoint sets of steps combine exactly with the pairwise merge of Chan, Golub and LeVeque
/// (``merge(_:)``). Adding partial M2 values, as the hot-pixel seed program did, is wrong: the merge has
/// to add the spread between the two partial means, `δ² · nA · nB / n`.
///
/// Every stream has received the same number of observations, so the count is one integer rather than
/// an array. `Scalar` is `Float` or `Double`; see docs/hotpixels.md for why the scan keeps `Float`.
public struct RunningMoments<Scalar: BinaryFloatingPoint & SIMDScalar & Sendable>: Sendable {
    /// Observations per stream.
    public private(set) var count: Int
    /// Per-stream mean.
    public private(set) var mean: [Scalar]
    /// Per-stream sum of squared deviations from the mean.
    public private(set) var m2: [Scalar]

    /// `streams` empty streams (count 0, mean 0, M2 0).
    public init(streams: Int) {
        count = 0
        mean = Array(repeating: 0, count: streams)
        m2 = Array(repeating: 0, count: streams)
    }

    /// Statistics from existing values (read from a state file, say).
    public init(count: Int, mean: [Scalar], m2: [Scalar]) {
        precondition(count >= 0 && mean.count == m2.count, "mean and M2 must have one value per stream")
        self.count = count
        self.mean = mean
        self.m2 = m2
    }

    /// Number of streams.
    public var streams: Int { mean.count }

    /// Adds one observation to every stream (`values.count == streams`).
    public mutating func add(_ values: UnsafeBufferPointer<Scalar>) {
        precondition(values.count == streams, "one value per stream")
        let newCount = count + 1
        mean.withUnsafeMutableBufferPointer { mean in
            m2.withUnsafeMutableBufferPointer { m2 in
                Welford.update(mean: mean.baseAddress!, m2: m2.baseAddress!, values: values.baseAddress!,
                               count: values.count, newCount: newCount)
            }
        }
        count = newCount
    }

    /// Adds one observation to every stream.
    public mutating func add(_ values: [Scalar]) {
        values.withUnsafeBufferPointer { add($0) }
    }

    /// Combines with statistics of the same streams over other observations (Chan et al.): the result is
    /// what one pass over both sets would give, up to rounding.
    public mutating func merge(_ other: RunningMoments) {
        precondition(other.streams == streams, "merging statistics of different stream counts")
        let countA = count, streams = self.streams
        mean.withUnsafeMutableBufferPointer { mean in
            m2.withUnsafeMutableBufferPointer { m2 in
                other.mean.withUnsafeBufferPointer { otherMean in
                    other.m2.withUnsafeBufferPointer { otherM2 in
                        Welford.merge(mean: mean.baseAddress!, m2: m2.baseAddress!, count: countA,
                                      otherMean: otherMean.baseAddress!, otherM2: otherM2.baseAddress!,
                                      otherCount: other.count, streams: streams)
                    }
                }
            }
        }
        count = countA + other.count
    }

    /// Sample variance of stream `index` (`M2 / (count - 1)`), or 0 with fewer than two observations.
    public func variance(_ index: Int) -> Scalar {
        count > 1 ? m2[index] / Scalar(count - 1) : 0
    }
}

/// The two kernels behind ``RunningMoments``, on raw pointers so that the hot-pixel accumulator can run
/// them on row bands of a larger state.
public enum Welford {
    /// One Welford step for `count` streams: `n` becomes `newCount`, `δ = x − mean`, `mean += δ / n`,
    /// `M2 += δ · (x − mean_new)`.
    @inlinable
    public static func update<Scalar: BinaryFloatingPoint & SIMDScalar>(
        mean: UnsafeMutablePointer<Scalar>, m2: UnsafeMutablePointer<Scalar>, values: UnsafePointer<Scalar>,
        count: Int, newCount: Int
    ) {
        // Multiplying by 1/n instead of dividing: one rounding more, far cheaper, and identical in every
        // stream so that merged shards and one pass see the same arithmetic.
        let reciprocal = 1 / Scalar(newCount)
        var index = 0
        let vectorEnd = count & ~7
        let splat = SIMD8<Scalar>(repeating: reciprocal)
        while index < vectorEnd {
            let x = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Scalar>.self)
            var m = UnsafeRawPointer(mean + index).loadUnaligned(as: SIMD8<Scalar>.self)
            var s = UnsafeRawPointer(m2 + index).loadUnaligned(as: SIMD8<Scalar>.self)
            let delta = x - m
            m = m + delta * splat
            s = s + delta * (x - m)
            UnsafeMutableRawPointer(mean + index).storeBytes(of: m, as: SIMD8<Scalar>.self)
            UnsafeMutableRawPointer(m2 + index).storeBytes(of: s, as: SIMD8<Scalar>.self)
            index &+= 8
        }
        while index < count {
            let x = values[index]
            let delta = x - mean[index]
            mean[index] += delta * reciprocal
            m2[index] += delta * (x - mean[index])
            index &+= 1
        }
    }

    /// Chan et al.'s exact merge of two partial results, in place in the first:
    /// `n = nA + nB`, `δ = meanB − meanA`, `mean = meanA + δ · nB / n`, `M2 = M2A + M2B + δ² · nA · nB / n`.
    /// Merging with an empty side leaves the other unchanged.
    @inlinable
    public static func merge<Scalar: BinaryFloatingPoint & SIMDScalar>(
        mean: UnsafeMutablePointer<Scalar>, m2: UnsafeMutablePointer<Scalar>, count: Int,
        otherMean: UnsafePointer<Scalar>, otherM2: UnsafePointer<Scalar>, otherCount: Int, streams: Int
    ) {
        if otherCount == 0 { return }
        if count == 0 {
            mean.update(from: otherMean, count: streams)
            m2.update(from: otherM2, count: streams)
            return
        }
        // The weights in Double whatever Scalar is: nA·nB/n can exceed Float's exact integers.
        let total = Double(count) + Double(otherCount)
        let weightB = Scalar(Double(otherCount) / total)
        let spread = Scalar(Double(count) * Double(otherCount) / total)
        for index in 0..<streams {
            let delta = otherMean[index] - mean[index]
            mean[index] += delta * weightB
            m2[index] += otherM2[index] + delta * delta * spread
        }
    }
}
