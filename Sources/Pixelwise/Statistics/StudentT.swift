#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Student's t distribution: tail probabilities and quantiles, in double precision.
///
/// Used to turn a score threshold tuned at one number of frames into the one with the same tail
/// probability at another (``HotPixelDetectionParameters/frameAdjustedThreshold(_:frames:)``).
public enum StudentT {
    /// `P(T > t)` for `T` with `degreesOfFreedom` degrees of freedom (`t` may be negative):
    /// `½ I_{ν/(ν+t²)}(ν/2, ½)` for `t ≥ 0`, the regularized incomplete beta function.
    public static func upperTail(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "degrees of freedom must be positive")
        let half = 0.5 * regularizedIncompleteBeta(x: nu / (nu + t * t), a: 0.5 * nu, b: 0.5)
        return t >= 0 ? half : 1 - half
    }

    /// The `t` with `P(T > t) = p` (the upper `p` quantile), by bisection on ``upperTail(_:degreesOfFreedom:)``
    /// (monotone; 200 halvings of a bracket found by doubling reach the last bit of a double).
    public static func upperQuantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0 && p < 1, "tail probability must be in (0, 1)")
        if p > 0.5 { return -upperQuantile(1 - p, degreesOfFreedom: nu) }
        var low = 0.0, high = 1.0
        while upperTail(high, degreesOfFreedom: nu) > p { low = high; high *= 2 }
        for _ in 0..<200 {
            let middle = 0.5 * (low + high)
            if middle <= low || middle >= high { break }
            if upperTail(middle, degreesOfFreedom: nu) > p { low = middle } else { high = middle }
        }
        return 0.5 * (low + high)
    }

    /// `I_x(a, b)` by the continued fraction of Lentz's method (Numerical Recipes §6.4), using the symmetry
    /// `I_x(a, b) = 1 − I_{1−x}(b, a)` where the fraction converges slowly. Accurate to ~1e-15 relative,
    /// also for the tiny tails (1e-12 and less) the threshold conversion needs.
    static func regularizedIncompleteBeta(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * betaContinuedFraction(x: x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * betaContinuedFraction(x: 1 - x, a: b, b: a) / b
    }

    private static func betaContinuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if Swift.abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var term = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + term * d; if Swift.abs(d) < tiny { d = tiny }
            c = 1 + term / c; if Swift.abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            term = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + term * d; if Swift.abs(d) < tiny { d = tiny }
            c = 1 + term / c; if Swift.abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            result *= step
            if Swift.abs(step - 1) < 1e-16 { break }
        }
        return result
    }
}
