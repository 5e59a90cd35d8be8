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
///   ``HotPixelCalibration/minimumShift8Bit`` levels.
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
///   also need the mean residual to stand ``HotPixelCalibration/regionalGate`` robust standard
///   deviations out of its region's; and two more scores, each with a lenient temporal check
///   (``HotPixelCalibration/temporalGate``): the demosaic footprint's regional z
///   (``DemosaicFootprint``) and a single mean residual's regional z, both
///   × ``HotPixelCalibration/regionalScoreScale``. They add evidence to a
///   sample another rule reports, whose kind stays; alone, their kind follows the sign.
/// Every threshold and gate above is stated for ``HotPixelDetectionParameters/referenceFrames`` (30) frames; with
/// fewer, each is raised to the score with the same Student-t tail probability at `n − 1` degrees of freedom
/// (``HotPixelDetectionParameters/frameAdjustedThreshold(_:frames:)``). Fewer than
/// ``HotPixelDetectionParameters/minimumFrames`` frames give no candidates and a note.
/// The score is the largest z that applies. Then non-maximum suppression keeps one candidate per defect, and
/// on demosaiced images a candidate within ``HotPixelCalibration/echoRadius`` or the same JPEG tile
/// (``CandidateSuppression/isJPEGEcho(defectX:defectY:x:y:)``) of one at least
/// ``HotPixelCalibration/echoRatio`` times stronger is taken as its JPEG echo.
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
                Quickselect.select($0.baseAddress!, count: $0.count, rank: $0.count / 2)
            }
        }
    }

    /// The residual method's detection. `screening` (the default) runs the per-pixel rules only on the pixels
    /// ``DetectionScreen`` flags, which gives the same candidates; the tests turn it off to check that. A
    /// score map needs every pixel's score, so it is made unscreened.
    static func residual<S: HotPixelSample>(_ state: HotPixelAccumulator<S>, parameters: HotPixelDetectionParameters,
                                            scoreMap: UnsafeMutableBufferPointer<Float>?,
                                            screening: Bool = true) -> HotPixelDetection {
        let rules = ResidualRules(state, parameters: parameters, scoreMap: scoreMap, screening: screening)
        let partials = Parallel.mapChunks(count: state.geometry.height, minimumChunk: 8) { rows in
            rules.candidates(rows: rows)
        }
        let all = partials.flatMap { $0 }
        let accepted = CandidateSuppression.select(all, geometry: state.geometry, parameters: parameters)
        return HotPixelDetection(candidates: accepted, samplesAboveThreshold: all.count, effectiveThreshold: rules.effectiveThreshold)
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
