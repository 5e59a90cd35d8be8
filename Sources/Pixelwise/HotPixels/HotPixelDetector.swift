#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// rules on their own. (The regional gate on t, ``regionalGate``, applies either way.)
    public var useRegionalEvidence: Bool

    /// Default threshold: see docs/hotpixels.md for how it was chosen.
    public static let defaultThreshold = 9.0
    /// The hot/dead t statistic divides by the sample's own residual spread, but by at most this many times
    /// the median spread of its ring neighbours (see ``HotPixelDetector``).
    public static let spreadCap = 3.0
    /// On 8-bit images, hot, warm and dead need a mean residual of at least this many levels: JPEG and
    /// demosaicing leave fixed biases of about one level at some pixels of every stack, which many frames
    /// make look sure. Measured on the accuracy stacks: every false candidate above threshold 9 but one had
    /// at most 1.4 levels, every planted defect found at least 2.0. (Not applied to 16-bit or float data,
    /// whose true full scale — 12 or 14 bits in 16 — is unknown and which JPEG never touched.)
    public static let minimumShift8Bit = 1.75
    /// On demosaiced images (no CFA), hot, warm and dead from the mean residual also need the sample's mean
    /// residual to be at least this many robust standard deviations away from its region's (see
    /// ``RegionalResidualScale``): JPEG and demosaicing leave fixed biases that depend on the region's
    /// texture, which the sample's own temporal spread does not measure. Measured on the accuracy stacks
    /// (seeds 1–6, 101–106, 201–206): false candidates above threshold 9 in textured regions had 2.7–3.1,
    /// planted defects found had at least 4.2.
    public static let regionalGate = 3.5
    /// A candidate within this many pixels (Chebyshev; one JPEG block) of a reported one at least
    /// ``echoRatio`` times stronger is its JPEG ringing echo, not a second defect (demosaiced images only).
    /// So is one in the same ``echoTile`` (see ``isJPEGEcho(defectX:defectY:x:y:)``).
    public static let echoRadius = 8
    /// The largest block JPEG codes at once: a chroma block under 4:2:0 subsampling covers 16×16 pixels, aligned
    /// to the image's origin, and its quantisation rings all of it. A defect's demosaic footprint (±1 pixel) can
    /// touch up to four such tiles; decoding spreads their chroma ``echoTileMargin`` pixels further (the fancy
    /// upsampling's triangle filter). Measured: on a 120-frame q90 stack (seed 1) a stuck 0.5 photosite at
    /// (888, 324) scoring 45 left an echo at (889, 335), 11 rows away in the same tile, scoring 14.9 (18.1 at
    /// 240 frames): the only false candidate of 120 and 240 frames of that stack.
    public static let echoTile = 16
    /// How far past the tiles of ``echoTile`` a decoded JPEG's chroma reaches, in pixels.
    public static let echoTileMargin = 2
    /// How many times stronger a reported candidate must be for a weaker one near it to count as its echo
    /// (seed 102's q75 echoes scored 9–12 beside defects scoring 68 and 122; real defects that close and that
    /// unequal are not reported twice either).
    public static let echoRatio = 2.0

    /// Whether JPEG could ring a defect at (`defectX`, `defectY`) into the pixel (`x`, `y`): within ``echoRadius``
    /// (Chebyshev), or inside the ``echoTile``-aligned tiles its ±1-pixel footprint touches, widened by
    /// ``echoTileMargin``.
    public static func isJPEGEcho(defectX: Int, defectY: Int, x: Int, y: Int) -> Bool {
        if Swift.abs(x - defectX) <= echoRadius && Swift.abs(y - defectY) <= echoRadius { return true }
        func tiles(around centre: Int) -> ClosedRange<Int> {
            let first = Swift.max(centre - 1, 0) / echoTile * echoTile
            let last = ((centre + 1) / echoTile + 1) * echoTile - 1
            return (first - echoTileMargin)...(last + echoTileMargin)
        }
        return tiles(around: defectX).contains(x) && tiles(around: defectY).contains(y)
    }
    /// Evidence from the regional scale (a footprint, or a single mean residual) must also be at least this
    /// many standard errors from zero by the temporal spreads: for a footprint, those of the samples under it
    /// (taken as independent, which overstates the noise of a high-pass sum: a lenient check); for a single
    /// sample, its t. It rejects a few outlier frames, which move a mean residual far from its region's but
    /// have a large spread of their own. On the accuracy stacks every footprint found had at least 5.5.
    public static let temporalGate = 4.0
    /// A robust z against the region's spread — of a single sample's mean residual (``RegionalResidualScale``),
    /// or of the demosaic footprint's response (``DemosaicFootprint``) — counts as this many standard errors:
    /// its tails are heavier than a t statistic's (edges, JPEG blocks), so at threshold 9 it needs z ≥ 10.6.
    /// Measured on the 15 demosaiced accuracy stacks (threshold 9, precision 1.00 on all unless said): for the
    /// single-sample rule 0.75 finds 2 defects more than without it, 0.85 and 0.95 4 more, 1.0 gives the first
    /// false candidate; for the footprint 0.75 → 0.85 finds one more, 1.0 gives two false candidates.
    public static let regionalScoreScale = 0.85

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
    /// ``flooredTailMinimumFrames`` frames on the quantile is that of the floored statistic (``FlooredT``, floor
    /// ``spreadFloorRatio`` of a sample's own spread), and Student's below: 9 becomes 20.7 at 6 frames (Student:
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
        guard frames >= flooredTailMinimumFrames else { return student }
        let floored = FlooredT.upperQuantile(tail, degreesOfFreedom: Double(frames - 1), floorRatio: spreadFloorRatio)
        // Fewer frames are never surer: past the floor the floored tail is a normal one, lighter than Student's
        // at 29 degrees of freedom, so huge scores would otherwise map below themselves.
        return Swift.max(score, Swift.min(floored, student))
    }

    /// From this many frames on, the adjustment matches the floored statistic's tail (``FlooredT``); below,
    /// Student's (with 2 or 3 degrees of freedom too many samples are busier than the floor's model assumes:
    /// measured on 21 stacks, 36 false candidates of 87 at 3 frames and 8 of 68 at 4, none from 5 on).
    public static let flooredTailMinimumFrames = 5

    /// The floor of the per-sample scores' spread (half the channel's median spread) in units of a sample's
    /// own spread, for the samples the frame-count adjustment is matched to: ¼ covers every sample whose
    /// spread is at most twice its channel's median (see ``frameAdjustedThreshold(_:frames:)``).
    public static let spreadFloorRatio = 0.25

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

/// Decides, ranks and classifies defective samples from accumulated statistics.
///
/// For method ``HotPixelMethod/residual``, per sample with `n` frames, residual mean `m`, residual
/// standard deviation `s` and value range `r = max − min`:
/// - **hot / warm / dead** — `t = m·√n / max(min(s, 3·s̃), s₀)`, the t statistic of the mean residual, where
///   `s₀` is half the median `s` of the channel (a floor so that a flat patch cannot make a tiny bias look
///   sure) and `s̃` the median `s` of the eight ring neighbours (the cap applies only when `|m| ≥ s/2`,
///   so that a few outlier frames keep their own spread): a defect that scales the signal (dead with
///   gain left) has a residual following the scene, whose own spread would hide it; the neighbours' spread
///   is what a normal sample's mean residual varies by. (`m` is first taken relative to the ring's median
///   mean residual when the score comes near the threshold.)
///   `t ≥ threshold`: hot when the residual is also larger than its own spread (`m ≥ s`: bright in most
///   frames), warm otherwise; `t ≤ −threshold`: dead. On 8-bit images either only when `|m|` is at least
///   ``HotPixelDetectionParameters/minimumShift8Bit`` levels.
/// - **stuck** — the value barely changes while the residual (the scene around it) does: `r ≤ ¼` of full
///   scale, `s > r/2`, and
///   `z = ln(r̃ / max(r, 1 step)) · √(2(n−1))` ≥ threshold, with `r̃` the median range of the eight ring
///   neighbours. Stuck at a value under a tenth of full scale is reported as dead.
///   A candidate that another rule reports as hot or warm is reported stuck when its range is at most a
///   third of `r̃` and its value never reached full scale: its mean residual is positive, but its value does
///   not follow the scene (on demosaiced JPEGs a stuck photosite's value picks up enough of its neighbours'
///   for `z` to stay short of the threshold; a hot one's range follows theirs).
/// - **flickering** (only when asked, ``HotPixelDetectionParameters/findFlickering``) — residual variance
///   far above the neighbours' (at least 3× the standard deviation):
///   `z = ln(s² / s̃²) / √(2/(n−1))` ≥ threshold, `s̃` the ring neighbours' median, checked for samples
///   with `s` over four times the channel's median only.
/// - **regional evidence** (demosaiced images only; ``RegionalResidualScale``): hot, warm and dead from `t`
///   also need the mean residual to stand ``HotPixelDetectionParameters/regionalGate`` robust standard
///   deviations out of its region's; and two more scores, each with a lenient temporal check
///   (``HotPixelDetectionParameters/temporalGate``): the demosaic footprint's regional z
///   (``DemosaicFootprint``) and a single mean residual's regional z, both
///   × ``HotPixelDetectionParameters/regionalScoreScale``. They add evidence to a
///   sample another rule reports, whose kind stays; alone, their kind follows the sign.
/// Every threshold and gate above is stated for ``HotPixelDetectionParameters/referenceFrames`` (30) frames; with
/// fewer, each is raised to the score with the same Student-t tail probability at `n − 1` degrees of freedom
/// (``HotPixelDetectionParameters/frameAdjustedThreshold(_:frames:)``). Fewer than
/// ``HotPixelDetectionParameters/minimumFrames`` frames give no candidates and a note.
/// The score is the largest z that applies. Then non-maximum suppression keeps one candidate per defect, and
/// on demosaiced images a candidate within ``HotPixelDetectionParameters/echoRadius`` or the same JPEG tile
/// (``HotPixelDetectionParameters/isJPEGEcho(defectX:defectY:x:y:)``) of one at least
/// ``HotPixelDetectionParameters/echoRatio`` times stronger is taken as its JPEG echo.
///
/// For method ``HotPixelMethod/variance`` the candidates are the `top` samples of lowest value variance
/// (kind stuck, score `−variance`), as the seed program ranked them, with no threshold or suppression.
public enum HotPixelDetector {
    /// The candidates of a scan's statistics, best first (see the type's description for the rules). When `scoreMap`
    /// is given (one `Float` per pixel), every pixel's strongest score is written into it, for a heat map.
    public static func detect<S: HotPixelSample>(_ state: HotPixelAccumulator<S>, parameters: HotPixelDetectionParameters,
                                                 scoreMap: UnsafeMutableBufferPointer<Float>? = nil) -> HotPixelDetection {
        let g = state.geometry
        let n = state.frameCount
        if let scoreMap { scoreMap.initialize(repeating: 0) }
        if g.method == .residual, n < HotPixelDetectionParameters.minimumFrames {
            // One or two frames give no spread (n − 1 ≤ 1 degree of freedom): nothing can be judged sure.
            return HotPixelDetection(candidates: [], samplesAboveThreshold: 0, effectiveThreshold: .infinity,
                                     note: "\(n) frame\(n == 1 ? "" : "s"): at least \(HotPixelDetectionParameters.minimumFrames) are needed to estimate spreads; no candidates")
        }
        guard n >= 2, g.sampleCount > 0 else {
            return HotPixelDetection(candidates: [], samplesAboveThreshold: 0, effectiveThreshold: parameters.threshold)
        }
        switch g.method {
        case .variance: return lowestVariance(state, parameters: parameters, scoreMap: scoreMap)
        case .residual:
            var detection = residual(state, parameters: parameters, scoreMap: scoreMap)
            if detection.effectiveThreshold != parameters.threshold {
                detection.note = "\(n) frames: scores must reach \(Int(detection.effectiveThreshold.rounded())) to be as sure as "
                    + "\(parameters.threshold == parameters.threshold.rounded() ? String(Int(parameters.threshold)) : String(parameters.threshold)) at \(HotPixelDetectionParameters.referenceFrames) frames (same tail probability at \(n - 1) degrees of freedom)"
            }
            return detection
        }
    }

    /// The colour class of a sample: its channel, or its CFA colour on a mosaic.
    @inlinable static func colour(_ g: HotPixelGeometry, x: Int, y: Int, channel: Int) -> Int {
        g.cfa?.colour(x: x, y: y) ?? channel
    }

    /// Median residual standard deviation per colour class, from a regular subsample of the state.
    static func typicalDeviation<S: HotPixelSample>(_ state: HotPixelAccumulator<S>) -> [Float] {
        let g = state.geometry
        let classes = g.cfa == nil ? g.channels : 3
        let stride = Swift.max(1, g.width * g.height / 200_000)
        let scale = 1 / Float(state.frameCount - 1)
        let m2 = SendableConstPointer(UnsafePointer(state.m2.baseAddress!))
        // Gathered on every core (each read a cache miss: ~20 ms on one core while the other waited), the
        // chunks joined in order, so each list is the one a serial loop makes.
        let pixelsSampled = (g.width * g.height + stride - 1) / stride
        let partials = Parallel.mapChunks(count: pixelsSampled, minimumChunk: 8192) { samples -> [[Float]] in
            var values = Array(repeating: [Float](), count: classes)
            for k in samples {
                let pixel = k * stride
                let x = pixel % g.width, y = pixel / g.width
                for c in 0..<g.channels {
                    let v = m2.pointer![pixel * g.channels + c] * scale
                    values[colour(g, x: x, y: y, channel: c)].append(v.squareRoot())
                }
            }
            return values
        }
        let values = (0..<classes).map { c in partials.flatMap { $0[c] } }
        // The middle element by quickselect: the element a sort would put there, without the sort (which took
        // ~60 ms of one core on a 3872×2592 stack, while the other waited).
        return values.map { list in
            guard !list.isEmpty else { return 1 }
            var values = list
            return values.withUnsafeMutableBufferPointer {
                RegionalResidualScale.select($0.baseAddress!, count: $0.count, rank: $0.count / 2)
            }
        }
    }

    private struct Found: Sendable {
        var index: Int
        var kind: DefectKind
        var score: Float
    }

    /// The residual method's detection. `screening` (the default) runs the per-pixel rules only on the pixels
    /// ``DetectionScreen`` flags, which gives the same candidates; the tests turn it off to check that. A
    /// score map needs every pixel's score, so it is made unscreened.
    static func residual<S: HotPixelSample>(_ state: HotPixelAccumulator<S>, parameters: HotPixelDetectionParameters,
                                            scoreMap: UnsafeMutableBufferPointer<Float>?,
                                            screening: Bool = true) -> HotPixelDetection {
        let g = state.geometry
        let n = state.frameCount
        let typical = typicalDeviation(state)
        let quantum: Float = S.sampleType.isInteger ? 1 : 1e-6
        let fullScale: Float = S.sampleType.isInteger ? S.maximumValue.floatValue : 1
        let floors = typical.map { Swift.max(0.5 * $0, 0.5 * quantum) }
        let flickerGate = typical.map { 4 * $0 }
        let flickerRatio: Float = 3
        let spreadCap = Float(HotPixelDetectionParameters.spreadCap)
        let minimumShift = S.self == UInt8.self ? Float(HotPixelDetectionParameters.minimumShift8Bit) : 0
        let stuckRangeGate = 0.25 * fullScale
        // Classification only (see the type's description): measured on demosaiced JPEG stacks, bright stuck
        // photosites span ≤ 1/3.7 of their neighbours' range, hot ones ≥ 1/1.7.
        let stuckRangeRatio: Float = 3
        let findFlickering = parameters.findFlickering
        // Stated for 30 frames; as sure with fewer (see HotPixelDetectionParameters.frameAdjustedThreshold).
        let effectiveThreshold = HotPixelDetectionParameters.frameAdjustedThreshold(parameters.threshold, frames: n)
        let threshold = Float(effectiveThreshold)
        let rootN = Float(n).squareRoot()
        let varianceScale = 1 / Float(n - 1)
        let stuckScale = Float(2 * (n - 1)).squareRoot()
        let flickerScale = Float(Double(n - 1) / 2).squareRoot()
        let compareStep = 2 * g.step
        let width = g.width, height = g.height, channels = g.channels
        let mean = SendableConstPointer(UnsafePointer(state.mean.baseAddress!))
        let m2 = SendableConstPointer(UnsafePointer(state.m2.baseAddress!))
        let low = SendableConstPointer(UnsafePointer(state.minimum.baseAddress!))
        let high = SendableConstPointer(UnsafePointer(state.maximum.baseAddress!))
        let map = SendablePointer(scoreMap?.baseAddress)
        // Demosaiced images: the regional scale of the mean residual (a gate for hot, warm and dead) and of its
        // matched-filter response (a detector of its own for defects that demosaicing and JPEG spread out).
        let regional = g.cfa == nil && n >= 3
        let meanFloors = floors.map { $0 / rootN }
        let regionalFootprint = regional && parameters.useRegionalEvidence ? RegionalResidualScale(width: width, height: height, channels: channels,
                                                                  floors: meanFloors.map { $0 * DemosaicFootprint.norm }) { y, row in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * width * channels)
            defer { scratch.deallocate() }
            DemosaicFootprint.row(mean.pointer!, width: width, height: height, channels: channels, y: y, into: row, scratch: scratch)
        } : nil
        // The mean residual's regional scale is made only for the blocks around the samples that ask for it
        // (each worker keeps a RegionalResidualScale.BlockCache): by a numpy estimate, about a hundred pixels
        // of the 40-frame 3872×2592 bench stack.
        let regionalEvidence = regional && parameters.useRegionalEvidence
        let regionalScale = Float(HotPixelDetectionParameters.regionalScoreScale)
        // Screened, the blocks where the footprint's z can reach the threshold: only there is it filtered again.
        let footprintBlocks: (blocksWide: Int, mayReach: [Bool])? = screening && scoreMap == nil ? regionalFootprint.map { scale in
            (scale.blocksWide, (0..<(scale.blocksWide * scale.blocksHigh)).map { scale.mayReach(threshold, scale: regionalScale, block: $0) })
        } : nil
        let regionalGate = Float(HotPixelDetectionParameters.regionalGate)
        let temporalGate = Float(HotPixelDetectionParameters.frameAdjustedThreshold(HotPixelDetectionParameters.temporalGate, frames: n))
        let screen: DetectionScreen? = screening && scoreMap == nil ? DetectionScreen(
            varianceScale: varianceScale, rootN: rootN, halfThreshold: 0.5 * threshold, spreadCap: spreadCap,
            minimumShift: minimumShift, temporalGate: regionalEvidence ? temporalGate : .infinity,
            stuckRangeGate: n >= 3 ? stuckRangeGate : -.infinity) : nil

        let partials = Parallel.mapChunks(count: height, minimumChunk: 8) { rows -> [Found] in
            let mean = mean.pointer!, m2 = m2.pointer!, low = low.pointer!, high = high.pointer!
            var found: [Found] = []
            var meanScale = RegionalResidualScale.BlockCache(map: mean, width: width, height: height, channels: channels)
            let footprintRow = UnsafeMutablePointer<Float>.allocate(capacity: regionalFootprint != nil ? 3 * width * channels : 0)
            defer { footprintRow.deallocate() }
            let footprintZ = UnsafeMutablePointer<Float>.allocate(capacity: regionalFootprint != nil ? width : 0)
            defer { footprintZ.deallocate() }
            let footprintChannel = UnsafeMutablePointer<Int32>.allocate(capacity: regionalFootprint != nil ? width : 0)
            defer { footprintChannel.deallocate() }
            // Median of the 8-sample ring `compareStep` pixels away: the same phase of any period-2 pattern
            // (demosaicing makes photosite and interpolated pixels differ systematically in mean and noise).
            func ringMedian(_ x: Int, _ y: Int, _ c: Int, _ value: (Int) -> Float) -> Float {
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 8) { ring in
                    var count = 0
                    for dy in stride(from: -compareStep, through: compareStep, by: compareStep) {
                        let ny = y + dy
                        if ny < 0 || ny >= height { continue }
                        for dx in stride(from: -compareStep, through: compareStep, by: compareStep) where dx != 0 || dy != 0 {
                            let nx = x + dx
                            if nx >= 0, nx < width {
                                ring[count] = value((ny * width + nx) * channels + c)
                                count += 1
                            }
                        }
                    }
                    if count == 0 { return 0 }
                    var part = UnsafeMutableBufferPointer(rebasing: ring[0..<count])
                    part.sort()
                    return count % 2 == 1 ? part[count / 2] : 0.5 * (part[count / 2 - 1] + part[count / 2])
                }
            }
            // How far a sample's value moved over the frames (the stuck rule and the stuck relabelling).
            func valueRange(_ index: Int) -> Float { high[index].floatValue - low[index].floatValue }
            // The footprint's checks besides its regional z: the temporal spreads of the samples under it
            // (the 3×3 window, taken as independent) must not explain it, and on 8-bit images some sample of
            // the window must be shifted by the minimum shift.
            func footprintIsSure(_ x: Int, _ y: Int, _ c: Int, _ response: Float) -> Bool {
                var variance: Float = 0, count: Float = 0, largestShift: Float = 0
                for ny in Swift.max(0, y - 1)...Swift.min(height - 1, y + 1) {
                    for nx in Swift.max(0, x - 1)...Swift.min(width - 1, x + 1) {
                        let index = (ny * width + nx) * channels
                        variance += m2[index + c] * varianceScale
                        count += 1
                        for k in 0..<channels { largestShift = Swift.max(largestShift, Swift.abs(mean[index + k])) }
                    }
                }
                let standardError = DemosaicFootprint.norm * (variance / count).squareRoot() / rootN
                return largestShift >= minimumShift
                    && Swift.abs(response) >= temporalGate * Swift.max(standardError, .leastNormalMagnitude)
            }
            let combine = g.cfa == nil && channels >= 3
            let colourChannels = combine ? 3 : channels
            let combineScale = 1 / Float(colourChannels).squareRoot()
            // The screen's per-sample floors and flicker gates for even and odd rows (a mosaic's colours
            // alternate by row), its first t and its flags for the row at hand.
            let rowLength = width * channels
            let screenRows = UnsafeMutablePointer<Float>.allocate(capacity: screen != nil ? 6 * rowLength : 0)
            defer { screenRows.deallocate() }
            if screen != nil {
                for parity in 0..<2 {
                    for x in 0..<width {
                        for c in 0..<channels {
                            let colourClass = colour(g, x: x, y: parity, channel: c)
                            screenRows[parity * rowLength + x * channels + c] = floors[colourClass]
                            screenRows[(2 + parity) * rowLength + x * channels + c] = findFlickering ? flickerGate[colourClass] : .infinity
                        }
                    }
                }
            }
            let firstT = screenRows + 4 * rowLength, flagged = screenRows + 5 * rowLength
            let blockSize = RegionalResidualScale.blockSize
            // RGB, screened: 16 pixels at a time, the per-pixel checks below (any flagged sample, the combined
            // t, the footprint's block) on vectors, so that the 99 % of pixels that give nothing are passed
            // over without the scalar loop (~0.1 s of CPU on the 40-frame 3872×2592 stack).
            let quickSkip = screen != nil && combine && channels == 3
            let halfThreshold = 0.5 * threshold
            // Whether none of the 16 pixels from `x` (a multiple of 16, with a 17th pixel after them) can give a
            // candidate by the scalar checks: no flagged sample, and the combined t under half the threshold —
            // tested at every sample position (a pixel's sum starts at its first sample; the positions between
            // pixels only add lanes that can fail, never hide one) — and, when the footprint is screened, a
            // footprint block where it cannot reach the threshold. `(a + b) + c` has the magnitude of the
            // scalar `((0 + a) + b) + c` (they differ at most in the sign of a zero).
            @inline(__always) func quietPixels(_ x: Int, blockRow: Int) -> Bool {
                typealias F = SIMD16<Float>
                @inline(__always) func load(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> F {
                    UnsafeRawPointer(p + i).loadUnaligned(as: F.self)
                }
                var loud = SIMDMask<SIMD16<Int32>>(repeating: false)
                for k in 0..<3 {
                    let i = x &* 3 &+ 16 &* k
                    let total = (load(firstT, i) + load(firstT, i &+ 1)) + load(firstT, i &+ 2)
                    let scaled = total * combineScale
                    let magnitude = unsafeBitCast(unsafeBitCast(scaled, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: F.self)
                    loud = loud .| (load(flagged, i) .!= 0) .| .!(magnitude .< halfThreshold)
                }
                if any(loud) { return false }
                if let footprintBlocks {
                    guard x / blockSize == (x &+ 15) / blockSize else { return false }
                    if footprintBlocks.mayReach[blockRow + x / blockSize] { return false }
                }
                return true
            }
            for y in rows {
                // Screened, the footprint is filtered only in the blocks where it can reach the threshold.
                let blockRow = (y / blockSize) * (footprintBlocks?.blocksWide ?? 0)
                if let regionalFootprint {
                    if let footprintBlocks {
                        var run = 0
                        while run < footprintBlocks.blocksWide {
                            guard footprintBlocks.mayReach[blockRow + run] else {
                                run += 1
                                continue
                            }
                            var end = run + 1
                            while end < footprintBlocks.blocksWide, footprintBlocks.mayReach[blockRow + end] { end += 1 }
                            DemosaicFootprint.row(mean, width: width, height: height, channels: channels, y: y, into: footprintRow,
                                                  scratch: footprintRow + width * channels,
                                                  columns: run * blockSize..<Swift.min(width, end * blockSize))
                            regionalFootprint.strongestZ(row: footprintRow, y: y, width: width, z: footprintZ,
                                                         channel: footprintChannel, blocks: run..<end)
                            run = end
                        }
                    } else {
                        DemosaicFootprint.row(mean, width: width, height: height, channels: channels, y: y, into: footprintRow,
                                              scratch: footprintRow + width * channels)
                        regionalFootprint.strongestZ(row: footprintRow, y: y, width: width, z: footprintZ, channel: footprintChannel)
                    }
                }
                if let screen {
                    let offset = y * rowLength
                    screen.screen(mean: mean + offset, m2: m2 + offset, low: low + offset, high: high + offset,
                                  floors: screenRows + (y & 1) * rowLength, flickerGates: screenRows + (2 + (y & 1)) * rowLength,
                                  count: rowLength, t: firstT, flags: flagged)
                }
                var quietUntil = 0
                for x in 0..<width {
                    if x < quietUntil { continue }
                    if quickSkip, x & 15 == 0, x &+ 17 <= width, quietPixels(x, blockRow: blockRow) {
                        quietUntil = x &+ 16
                        continue
                    }
                    if screen != nil {
                        // Nothing here can reach a threshold (see DetectionScreen): the pixel gives no candidate.
                        var needed = false
                        for c in 0..<channels where flagged[x &* channels &+ c] != 0 { needed = true }
                        if combine, !needed {
                            var total: Float = 0
                            for c in 0..<colourChannels { total += firstT[x &* channels &+ c] }
                            needed = !(Swift.abs(total * combineScale) < 0.5 * threshold)
                        }
                        if let footprintBlocks, !needed, footprintBlocks.mayReach[blockRow + x / blockSize] {
                            needed = !(Swift.abs(footprintZ[x]) * regionalScale < threshold)
                        }
                        if !needed { continue }
                    }
                    var pixelScore: Float = 0
                    var best: Found? = nil
                    var tValues = ChannelValues()
                    var means = ChannelValues(), deviations = ChannelValues()
                    var anyNear = false
                    var noiseDeviations = ChannelValues()
                    for c in 0..<channels {
                        let index = (y * width + x) * channels + c
                        let m = mean[index]
                        let s = (m2[index] * varianceScale).squareRoot()
                        let floor = floors[colour(g, x: x, y: y, channel: c)]
                        // A defect that scales the signal (dead with some gain left, hot with a gain error)
                        // has a residual that follows the scene, so its own spread is large and hides it.
                        // Its neighbours' spread says how far a normal pixel's mean residual wanders: the
                        // sample's own spread counts up to `spreadCap` times theirs. Looked up only where
                        // the cap could lift the score near the threshold.
                        var noiseDeviation = s
                        // Only for a residual that is off in most frames (|m| ≥ s/2): a few outlier frames
                        // (a specular highlight, a saturated point) give |m|/s near √(k/n), and their own
                        // spread is the right measure of how unsure their mean is.
                        if s > spreadCap * floor, Swift.abs(m) >= 0.5 * s,
                           Swift.abs(m) * rootN >= 0.5 * threshold * floor, n >= 3 {
                            let neighbours = ringMedian(x, y, c) { (m2[$0] * varianceScale).squareRoot() }
                            noiseDeviation = Swift.min(s, spreadCap * neighbours)
                        }
                        let noise = Swift.max(noiseDeviation, floor) / rootN
                        tValues[c] = m / noise
                        means[c] = m
                        deviations[c] = s
                        noiseDeviations[c] = noiseDeviation
                        if Swift.abs(tValues[c]) >= 0.5 * threshold { anyNear = true }
                    }
                    if combine, !anyNear {
                        var total: Float = 0
                        for c in 0..<colourChannels { total += tValues[c] }
                        anyNear = Swift.abs(total * combineScale) >= 0.5 * threshold
                    }
                    if anyNear {
                        // Relative to the neighbourhood's mean residual: removes slow biases of the scene and
                        // of demosaicing that every pixel around shares.
                        for c in 0..<channels {
                            let index = (y * width + x) * channels + c
                            let noise = Swift.max(noiseDeviations[c], floors[colour(g, x: x, y: y, channel: c)]) / rootN
                            tValues[c] = (means[c] - ringMedian(x, y, c) { mean[$0] }) / noise
                            _ = index
                        }
                    }
                    func consider(_ index: Int, _ kind: DefectKind, _ score: Float) {
                        if score >= threshold, score > (best?.score ?? 0) { best = Found(index: index, kind: kind, score: score) }
                    }
                    // Whether the mean residual stands out against its region's spread (demosaiced images only).
                    func standsOutInRegion() -> Bool {
                        guard regional else { return true }
                        for c in 0..<channels where Swift.abs(meanScale.z(means[c], x: x, y: y, channel: c, floor: meanFloors[c])) >= regionalGate {
                            return true
                        }
                        return false
                    }
                    for c in 0..<channels {
                        let index = (y * width + x) * channels + c
                        let colourClass = colour(g, x: x, y: y, channel: c)
                        let m = means[c], s = deviations[c], t = tValues[c]
                        let shifted = Swift.abs(m) >= minimumShift
                        var stuck = false
                        let range = valueRange(index)
                        // A stuck value spans little of the scale; most pixels of a varied stack span much more,
                        // so the neighbours' ranges are only looked at for the few that could be stuck.
                        if n >= 3, range <= stuckRangeGate, s > 0.5 * range {
                            let neighbours = ringMedian(x, y, c, valueRange)
                            let z = logf(neighbours / Swift.max(range, quantum)) * stuckScale
                            // A constant value is stuck even when its residual's mean is also sure (the spread
                            // cap can make that t the larger score): the kind follows the cause.
                            stuck = z >= threshold
                            consider(index, high[index].floatValue <= 0.1 * fullScale && m < 0 ? .dead : .stuck,
                                     stuck ? Swift.max(z, Swift.abs(t)) : z)
                            pixelScore = Swift.max(pixelScore, z)
                        }
                        if !stuck, t >= threshold, shifted, standsOutInRegion() { consider(index, m >= s ? .hot : .warm, t) }
                        if !stuck, t <= -threshold, shifted, standsOutInRegion() { consider(index, .dead, -t) }
                        // A mean residual far out of line with its region's, whose own spread is large (the
                        // residual follows the scene: a stuck or gain defect) so that t alone stays short; t must
                        // still pass the lenient temporal check.
                        if regionalEvidence, !stuck, shifted, Swift.abs(t) >= temporalGate {
                            let z = meanScale.z(m, x: x, y: y, channel: c, floor: meanFloors[c])
                            if z * t > 0 { consider(index, t < 0 ? .dead : m >= s ? .hot : .warm, Swift.abs(z) * regionalScale) }
                        }
                        pixelScore = Swift.max(pixelScore, Swift.abs(t))
                        if findFlickering, s > flickerGate[colourClass], n >= 3 {
                            let neighbours = ringMedian(x, y, c) { (m2[$0] * varianceScale).squareRoot() }
                            let ratio = s / Swift.max(neighbours, floors[colourClass])
                            if ratio >= flickerRatio { consider(index, .flickering, 2 * logf(ratio) * flickerScale) }
                        }
                    }
                    if combine {
                        // JPEG carries fine detail in luma only, so a one-photosite defect shows in all three
                        // colour channels at once: Stouffer's sum of the three t values.
                        var total: Float = 0
                        for c in 0..<colourChannels { total += tValues[c] }
                        let combined = total * combineScale
                        var strongest = 0
                        for c in 1..<colourChannels where tValues[c] * combined > tValues[strongest] * combined { strongest = c }
                        let index = (y * width + x) * channels + strongest
                        var largestShift: Float = 0
                        for c in 0..<colourChannels { largestShift = Swift.max(largestShift, Swift.abs(means[c])) }
                        if largestShift < minimumShift || Swift.abs(combined) < threshold || !standsOutInRegion() {
                            // Too small a shift to be a defect (see HotPixelDetectionParameters.minimumShift8Bit),
                            // too little evidence, or no more than the region's own texture.
                        } else if combined >= threshold {
                            consider(index, means[strongest] >= deviations[strongest] ? .hot : .warm, combined)
                        } else if combined <= -threshold {
                            consider(index, .dead, -combined)
                        }
                        pixelScore = Swift.max(pixelScore, Swift.abs(combined))
                    }
                    // (Where the screen found that the footprint cannot reach the threshold it was not filtered.)
                    if regionalFootprint != nil, footprintBlocks?.mayReach[blockRow + x / blockSize] ?? true {
                        // The defect's footprint in the mean-residual map, against the region's spread of it.
                        let strongest = Int(footprintChannel[x])
                        let strongestZ = footprintZ[x]
                        let score = Swift.abs(strongestZ) * regionalScale
                        if score >= threshold, footprintIsSure(x, y, strongest, footprintRow[x * channels + strongest]) {
                            if best != nil {
                                // Already a defect by another rule, whose kind names the cause; the footprint
                                // only adds evidence.
                                best!.score = Swift.max(best!.score, score)
                            } else {
                                let kind: DefectKind = strongestZ < 0 ? .dead : means[strongest] >= deviations[strongest] ? .hot : .warm
                                consider((y * width + x) * channels + strongest, kind, score)
                            }
                        }
                        pixelScore = Swift.max(pixelScore, score)
                    }
                    if var chosen = best {
                        // A bright stuck photosite has a positive mean residual like a hot one; what tells them
                        // apart is that its value does not follow the scene: its range over the frames is a small
                        // part of its neighbours' (a hot one's follows theirs). A clipped value proves nothing.
                        let c = chosen.index % channels
                        if chosen.kind == .hot || chosen.kind == .warm, high[chosen.index].floatValue < fullScale {
                            let range = valueRange(chosen.index)
                            let neighbours = ringMedian(x, y, c, valueRange)
                            if neighbours >= stuckRangeRatio * Swift.max(range, quantum) { chosen.kind = .stuck }
                        }
                        found.append(chosen)
                    }
                    if let base = map.pointer { base[y * width + x] = pixelScore }
                }
            }
            return found
        }
        var all = partials.flatMap { $0 }
        let above = all.count
        all.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
        var accepted: [DefectCandidate] = []
        let radius = parameters.suppressionRadius
        // Greedy non-maximum suppression: the best candidate of a cluster wins, the rest are its smear.
        // Suppressed candidates still suppress (a cluster's tail must not surface as a separate defect).
        var taken: [(x: Int, y: Int)] = []
        // JPEG rings a strong defect over its coding blocks: a much weaker candidate there is its echo.
        let findEchoes = g.cfa == nil && radius > 0
        let echoRatio = HotPixelDetectionParameters.echoRatio
        for candidate in all {
            if accepted.count >= parameters.top { break }
            let pixel = candidate.index / channels
            let x = pixel % width, y = pixel / width
            if radius > 0, taken.contains(where: { Swift.abs($0.x - x) <= radius && Swift.abs($0.y - y) <= radius }) {
                continue
            }
            if findEchoes, accepted.contains(where: {
                $0.score >= echoRatio * Double(candidate.score)
                    && HotPixelDetectionParameters.isJPEGEcho(defectX: $0.x, defectY: $0.y, x: x, y: y)
            }) {
                continue
            }
            taken.append((x, y))
            accepted.append(DefectCandidate(x: x, y: y, channel: colour(g, x: x, y: y, channel: candidate.index % channels),
                                            kind: candidate.kind, score: Double(candidate.score)))
        }
        return HotPixelDetection(candidates: accepted, samplesAboveThreshold: above, effectiveThreshold: effectiveThreshold)
    }

    static func lowestVariance<S: HotPixelSample>(_ state: HotPixelAccumulator<S>, parameters: HotPixelDetectionParameters,
                                                  scoreMap: UnsafeMutableBufferPointer<Float>?) -> HotPixelDetection {
        let g = state.geometry
        let top = parameters.top
        let width = g.width, channels = g.channels
        let scale = 1 / Float(state.frameCount - 1)
        let m2 = SendableConstPointer(UnsafePointer(state.m2.baseAddress!))
        let map = SendablePointer(scoreMap?.baseAddress)
        let partials = Parallel.mapChunks(count: g.height, minimumChunk: 8) { rows -> [(Float, Int)] in
            let m2 = m2.pointer!
            var best: [(Float, Int)] = []
            var worstKept = Float.infinity
            for y in rows {
                for x in 0..<width {
                    var lowest = Float.infinity
                    for c in 0..<channels {
                        let index = (y * width + x) * channels + c
                        let variance = m2[index] * scale
                        lowest = Swift.min(lowest, variance)
                        if best.count < top || variance < worstKept {
                            best.append((variance, index))
                            if best.count >= 4 * Swift.max(top, 1) {
                                best.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                                best.removeLast(best.count - top)
                                worstKept = best.last?.0 ?? .infinity
                            }
                        }
                    }
                    // The picture shows low variance as bright: 1 / (1 + variance).
                    if let base = map.pointer { base[y * width + x] = 1 / (1 + lowest) }
                }
            }
            return best
        }
        var all = partials.flatMap { $0 }
        all.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        let candidates = all.prefix(top).map { variance, index in
            let pixel = index / channels
            return DefectCandidate(x: pixel % width, y: pixel / width,
                                   channel: colour(g, x: pixel % width, y: pixel / width, channel: index % channels),
                                   kind: .stuck, score: -Double(variance))
        }
        return HotPixelDetection(candidates: candidates, samplesAboveThreshold: all.count, effectiveThreshold: parameters.threshold)
    }
}

/// Up to four per-channel values of one pixel, kept as scalars. Writing one lane of a `SIMD4<Float>` at a time
/// stores the vector to the stack and reloads it whole, a store-forwarding stall on every write; the profile of
/// a scan put 36% of its CPU on those writes in the detector's per-pixel loop.
@usableFromInline struct ChannelValues {
    @usableFromInline var values: (Float, Float, Float, Float) = (0, 0, 0, 0)

    @inlinable init() {}

    @inlinable subscript(channel: Int) -> Float {
        get {
            switch channel {
            case 0: values.0
            case 1: values.1
            case 2: values.2
            default: values.3
            }
        }
        set {
            switch channel {
            case 0: values.0 = newValue
            case 1: values.1 = newValue
            case 2: values.2 = newValue
            default: values.3 = newValue
            }
        }
    }
}
