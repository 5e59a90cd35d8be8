/// How a scan decides which samples are defective. All scores are in the same unit, "standard errors":
/// a score of 8 means the evidence is eight standard deviations away from what a normal pixel shows.
public struct HotPixelDetectionParameters: Sendable, Equatable {
    /// Minimum score reported (`--threshold`). Higher: fewer, surer candidates.
    public var threshold: Double
    /// At most this many candidates, best first (`--top`).
    public var top: Int
    /// Candidates closer than this (Chebyshev distance in pixels, any channel) to a better one are the same
    /// defect, smeared by demosaicing and JPEG, and are not reported again. 0 turns suppression off.
    public var suppressionRadius: Int
    /// Whether to look for flickering samples. Off by default: with second moments only, a pixel that a
    /// scene edge crossed in a single frame looks just like random telegraph noise (see docs/hotpixels.md).
    public var findFlickering: Bool
    /// Whether to weigh evidence against the region's spread of mean residuals as well (demosaiced images
    /// only): a defect's demosaic footprint (``DemosaicFootprint``) and a single mean residual far out of line
    /// with its region's (``RegionalResidualScale``). On by default; off checks the per-sample t and stuck
    /// rules on their own. (The regional gate on t, ``HotPixelCalibration/regionalGate``, applies either way.)
    public var useRegionalEvidence: Bool

    /// Default threshold: see docs/hotpixels.md for how it was chosen.
    public static let defaultThreshold = 9.0

    /// The number of frames the threshold and gates are stated for: the accuracy stacks they were tuned on.
    public static let referenceFrames = 30

    /// The score a stack of `frames` frames must reach to be as sure as `score` is at ``referenceFrames``.
    ///
    /// The per-sample scores are t statistics of a mean residual (or z scores scaled by `√(n−1)`) whose null
    /// tails are far heavier with few frames: with `n` frames a t statistic follows Student's t with `n − 1`
    /// degrees of freedom, and `P(|T₅| > 9) ≈ 3e-4` against `≈ 1e-9` for `T₂₉`. So a score is required to
    /// have the same one-sided tail probability at `n − 1` degrees of freedom as `score` has at 29:
    /// `Q_{n−1}(P(T₂₉ > score))`. But the t scores divide by at least a floor (half the channel's median
    /// spread), which removes the tiny spreads that make Student's tails heavy; so from
    /// ``HotPixelCalibration/flooredTailMinimumFrames`` frames on the quantile is that of the floored statistic (``FlooredT``, floor
    /// ``HotPixelCalibration/spreadFloorRatio`` of a sample's own spread), and Student's below: 9 becomes 20.7 at 6 frames (Student:
    /// 122.7), 17.8 at 10 (26.8), 14.1 at 15 (14.7), 11.3 at 20 (the same) and 1480 at 4. The same mapping is
    /// applied to every rule (the stuck and flickering z scores and the regional ones, whose tails also widen
    /// with few frames). From ``referenceFrames`` frames on, `score` itself, so that results there do not change.
    /// Measured (docs/hotpixels.md, "Short stacks"): on 21 stacks at 5, 6, 10, 15 and 20 frames and 28 windows
    /// of 5–10 frames of 240-frame stacks, no false candidate.
    public static func frameAdjustedThreshold(_ score: Double, frames: Int) -> Double {
        guard frames < referenceFrames, frames >= 2, score > 0 else { return score }
        let tail = StudentT.upperTail(score, degreesOfFreedom: Double(referenceFrames - 1))
        guard tail > 0 else { return .infinity }
        let student = StudentT.upperQuantile(tail, degreesOfFreedom: Double(frames - 1))
        guard frames >= HotPixelCalibration.flooredTailMinimumFrames else { return student }
        let floored = FlooredT.upperQuantile(tail, degreesOfFreedom: Double(frames - 1), floorRatio: HotPixelCalibration.spreadFloorRatio)
        // Fewer frames are never surer: past the floor the floored tail is a normal one, lighter than Student's
        // at 29 degrees of freedom, so huge scores would otherwise map below themselves.
        return Swift.max(score, Swift.min(floored, student))
    }

    /// Fewer frames than this give no spread to judge a sample by: no candidates, and a note saying so.
    public static let minimumFrames = 3

    /// Parameters for a detection: `threshold` is the score a 30-frame stack needs (shorter stacks raise it, see
    /// ``frameAdjustedThreshold(_:frames:)``), `top` the most candidates reported, `suppressionRadius` the radius of the
    /// non-maximum suppression; flickering samples are looked for only when asked; regional evidence is on by default.
    public init(threshold: Double = defaultThreshold, top: Int = 100, suppressionRadius: Int = 2,
                findFlickering: Bool = false, useRegionalEvidence: Bool = true) {
        self.threshold = threshold
        self.findFlickering = findFlickering
        self.useRegionalEvidence = useRegionalEvidence
        self.top = top
        self.suppressionRadius = suppressionRadius
    }
}

/// The outcome of ``HotPixelDetector/detect(_:parameters:scoreMap:)``.
public struct HotPixelDetection: Sendable {
    /// Reported defects, best first.
    public var candidates: [DefectCandidate]
    /// Samples above the threshold before non-maximum suppression and `top`.
    public var samplesAboveThreshold: Int
    /// The threshold the scores had to reach for this stack's frame count
    /// (``HotPixelDetectionParameters/frameAdjustedThreshold(_:frames:)``): the given threshold from
    /// ``HotPixelDetectionParameters/referenceFrames`` frames on, higher below.
    public var effectiveThreshold: Double
    /// Why the outcome is not the plain one, for the user: too few frames to detect anything, or a threshold
    /// raised for a short stack. `nil` otherwise.
    public var note: String?

    /// A detection outcome; `note` only when the user should be told why it is not the plain one.
    public init(candidates: [DefectCandidate], samplesAboveThreshold: Int, effectiveThreshold: Double, note: String? = nil) {
        self.candidates = candidates
        self.samplesAboveThreshold = samplesAboveThreshold
        self.effectiveThreshold = effectiveThreshold
        self.note = note
    }
}
