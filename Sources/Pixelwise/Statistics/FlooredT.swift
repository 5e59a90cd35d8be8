#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The distribution of a t statistic whose spread estimate is floored: `T = Z / max(S, c)`, with `Z` standard
/// normal and `S = √(χ²_ν / ν)` the sample spread in units of the true one, independent of `Z`.
///
/// The hot-pixel scores divide a mean residual by the sample's own spread, but never by less than a floor
/// (half its channel's median spread, ``HotPixelDetector``). For a sample whose true spread is `σ`, the floor
/// is `c = floor / σ` in these units. Student's t (`c = 0`) owes its heavy tails with few frames to spreads
/// that come out far too small by chance; the floor removes exactly those, so the floored statistic's tails
/// are much lighter: `P(T > x) = E[Q(x · max(S, c))]`, `Q` the normal upper tail.
public enum FlooredT {
    /// `P(Z / max(S, c) > x)` for `x ≥ 0`, `ν = degreesOfFreedom ≥ 1`, `c = floorRatio ≥ 0`: the expectation over `S`
    /// by composite Simpson rules on `[0, c]`, `[c, c + 1]` and on to `s_max` (the integrand has a kink at `c`), in log space
    /// so that tails far below 1e-300 of either factor do not underflow early. Relative accuracy ~1e-6 in the
    /// range the thresholds use (`ν` 2…100, tails 1e-14…1e-2).
    public static func upperTail(_ x: Double, degreesOfFreedom nu: Double, floorRatio c: Double) -> Double {
        precondition(nu >= 1 && c >= 0 && x >= 0, "need ν ≥ 1, c ≥ 0, x ≥ 0")
        // Density of S = √(χ²_ν/ν): g(s) = 2ν s · f_χ²(ν s²), f_χ²(q) = q^{ν/2−1} e^{−q/2} / (2^{ν/2} Γ(ν/2)).
        let logNormaliser = log(2 * nu) - 0.5 * nu * log(2.0) - lgamma(0.5 * nu)
        func logDensity(_ s: Double) -> Double {
            guard s > 0 else { return -.infinity }
            let q = nu * s * s
            return logNormaliser + log(s) + (0.5 * nu - 1) * log(q) - 0.5 * q
        }
        func logNormalTail(_ z: Double) -> Double {
            // log Q(z); erfc underflows past z ≈ 38, where the asymptotic form is exact to double precision.
            z < 30 ? log(0.5 * erfc(z / 2.0.squareRoot())) : -0.5 * z * z - log(z * (2 * Double.pi).squareRoot())
        }
        func integrand(_ s: Double) -> Double {
            let logValue = logDensity(s) + logNormalTail(x * Swift.max(s, c))
            return logValue.isFinite ? exp(logValue) : 0
        }
        func simpson(_ a: Double, _ b: Double, intervals: Int) -> Double {
            guard b > a else { return 0 }
            let h = (b - a) / Double(intervals)
            var sum = integrand(a) + integrand(b)
            for i in 1..<intervals { sum += (i % 2 == 1 ? 4 : 2) * integrand(a + Double(i) * h) }
            return sum * h / 3
        }
        // S concentrates near 1 with spread ~1/√(2ν); past 1 + 40/√ν its density is negligible. Just above c the
        // normal tail falls by e^{−x²·s·h} per step h, steeply for large x: a finer rule on the first unit.
        let upper = Swift.max(c, 1) + 40 / nu.squareRoot()
        let fineEnd = Swift.min(upper, c + 1)
        return simpson(0, c, intervals: 400) + simpson(c, fineEnd, intervals: 4000) + simpson(fineEnd, upper, intervals: 1000)
    }

    /// The `x` with `P(T > x) = p`, by bisection on ``upperTail(_:degreesOfFreedom:floorRatio:)`` (monotone in `x`).
    public static func upperQuantile(_ p: Double, degreesOfFreedom nu: Double, floorRatio c: Double) -> Double {
        precondition(p > 0 && p < 0.5, "tail probability must be in (0, 0.5)")
        var low = 0.0, high = 1.0
        while upperTail(high, degreesOfFreedom: nu, floorRatio: c) > p { low = high; high *= 2 }
        for _ in 0..<60 {
            let middle = 0.5 * (low + high)
            if upperTail(middle, degreesOfFreedom: nu, floorRatio: c) > p { low = middle } else { high = middle }
        }
        return 0.5 * (low + high)
    }
}
