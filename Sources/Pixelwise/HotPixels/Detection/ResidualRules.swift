#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The residual method's per-pixel rules (described on ``HotPixelDetector``) over one accumulated state: the
/// figures every pixel shares, computed once, and one method per rule. ``candidates(rows:)`` runs them over rows
/// of the image (one worker's share); ``DetectionScreen`` (and this type's screening extension) passes over the
/// pixels no rule can fire on.
///
/// `@unchecked Sendable`: the pointers read the state, which outlives the detection and is not written during
/// it; the score map is written at each worker's own pixels only.
struct ResidualRules<S: HotPixelSample>: @unchecked Sendable {
    let g: HotPixelGeometry
    let width: Int, height: Int, channels: Int
    /// The state's arrays: mean and M2 of the residual, lowest and highest value, per sample.
    let mean: UnsafePointer<Float>, m2: UnsafePointer<Float>
    let low: UnsafePointer<S>, high: UnsafePointer<S>
    /// Every pixel's strongest score (a heat map), when asked for.
    let map: UnsafeMutablePointer<Float>?

    // Counts and scales of the frame count n.
    let n: Int
    let rootN: Float
    /// `1 / (n − 1)`: M2 times this is the variance.
    let varianceScale: Float
    let stuckScale: Float
    let flickerScale: Float
    /// The threshold for this frame count (``HotPixelDetectionParameters/frameAdjustedThreshold(_:frames:)``).
    let effectiveThreshold: Double
    let threshold: Float

    // Per colour class (channel, or CFA colour).
    /// The smallest spread a t statistic divides by (`s₀`).
    let floors: [Float]
    /// The spread over which a sample is looked at for flickering.
    let flickerGate: [Float]
    /// `floors / √n`: the smallest regional spread of the mean residual.
    let meanFloors: [Float]

    // Calibration, in the types the rules compute in (see HotPixelCalibration).
    let quantum: Float
    let fullScale: Float
    let spreadCap: Float
    let minimumShift: Float
    let stuckRangeGate: Float
    let findFlickering: Bool
    /// Ring neighbours are this many pixels away: the same phase of any period-2 pattern.
    let compareStep: Int

    // Regional evidence (demosaiced images).
    /// Whether the regional gate applies (no CFA, at least 3 frames).
    let regional: Bool
    /// Whether the regional scores (single mean residual, footprint) are looked for.
    let regionalEvidence: Bool
    /// The footprint's regional scale, when regional evidence is looked for.
    let regionalFootprint: RegionalResidualScale?
    let regionalScale: Float
    let regionalGate: Float
    let temporalGate: Float

    // Screening (see DetectionScreen).
    /// Screened, the blocks where the footprint's z can reach the threshold: only there is it filtered again.
    let footprintBlocks: (blocksWide: Int, mayReach: [Bool])?
    let screen: DetectionScreen?
    /// RGB, screened: 16 pixels at a time are passed over on vectors (``quietPixels(_:blockRow:buffers:)``).
    let quickSkip: Bool

    // The combined t of demosaiced colour images.
    let combine: Bool
    let colourChannels: Int
    let combineScale: Float

    /// The rules for `state`. `screening` runs them only on the pixels ``DetectionScreen`` flags; a score map
    /// needs every pixel's score, so it is made unscreened.
    init(_ state: HotPixelAccumulator<S>, parameters: HotPixelDetectionParameters,
         scoreMap: UnsafeMutableBufferPointer<Float>?, screening: Bool) {
        g = state.geometry
        n = state.frameCount
        width = g.width
        height = g.height
        channels = g.channels
        mean = UnsafePointer(state.mean.baseAddress!)
        m2 = UnsafePointer(state.m2.baseAddress!)
        low = UnsafePointer(state.minimum.baseAddress!)
        high = UnsafePointer(state.maximum.baseAddress!)
        map = scoreMap?.baseAddress
        let typical = HotPixelDetector.typicalDeviation(state)
        quantum = S.sampleType.isInteger ? 1 : 1e-6
        fullScale = S.sampleType.isInteger ? S.maximumValue.floatValue : 1
        let quantum = quantum
        floors = typical.map { Swift.max(HotPixelCalibration.spreadFloorFraction * $0, HotPixelCalibration.spreadFloorFraction * quantum) }
        flickerGate = typical.map { HotPixelCalibration.flickerGateFactor * $0 }
        spreadCap = Float(HotPixelCalibration.spreadCap)
        minimumShift = S.self == UInt8.self ? Float(HotPixelCalibration.minimumShift8Bit) : 0
        stuckRangeGate = HotPixelCalibration.stuckRangeFraction * fullScale
        findFlickering = parameters.findFlickering
        // Stated for 30 frames; as sure with fewer (see HotPixelDetectionParameters.frameAdjustedThreshold).
        effectiveThreshold = HotPixelDetectionParameters.frameAdjustedThreshold(parameters.threshold, frames: n)
        threshold = Float(effectiveThreshold)
        rootN = Float(n).squareRoot()
        varianceScale = 1 / Float(n - 1)
        stuckScale = Float(2 * (n - 1)).squareRoot()
        flickerScale = Float(Double(n - 1) / 2).squareRoot()
        compareStep = 2 * g.step
        // Demosaiced images: the regional scale of the mean residual (a gate for hot, warm and dead) and of its
        // matched-filter response (a detector of its own for defects that demosaicing and JPEG spread out).
        regional = g.cfa == nil && n >= 3
        let rootN = rootN
        meanFloors = floors.map { $0 / rootN }
        regionalEvidence = regional && parameters.useRegionalEvidence
        regionalFootprint = regionalEvidence ? Self.footprintScale(mean: mean, width: width, height: height, channels: channels,
                                                                    floors: meanFloors) : nil
        regionalScale = Float(HotPixelCalibration.regionalScoreScale)
        let threshold = threshold, regionalScale = regionalScale
        footprintBlocks = screening && scoreMap == nil ? regionalFootprint.map { scale in
            (scale.blocksWide, (0..<(scale.blocksWide * scale.blocksHigh)).map { scale.mayReach(threshold, scale: regionalScale, block: $0) })
        } : nil
        regionalGate = Float(HotPixelCalibration.regionalGate)
        temporalGate = Float(HotPixelDetectionParameters.frameAdjustedThreshold(HotPixelCalibration.temporalGate, frames: n))
        screen = screening && scoreMap == nil ? DetectionScreen(
            varianceScale: varianceScale, rootN: rootN, halfThreshold: 0.5 * threshold, spreadCap: spreadCap,
            minimumShift: minimumShift, temporalGate: regionalEvidence ? temporalGate : .infinity,
            stuckRangeGate: n >= 3 ? stuckRangeGate : -.infinity) : nil
        combine = g.cfa == nil && channels >= 3
        colourChannels = combine ? 3 : channels
        combineScale = 1 / Float(colourChannels).squareRoot()
        quickSkip = screen != nil && combine && channels == 3
    }

    /// The regional scale of the demosaic footprint's response over the mean-residual map. (The mean residual's
    /// own regional scale is made only for the blocks around the samples that ask for it: each worker keeps a
    /// ``RegionalResidualScale/BlockCache``; by a numpy estimate, about a hundred pixels of the 40-frame
    /// 3872×2592 bench stack.)
    static func footprintScale(mean: UnsafePointer<Float>, width: Int, height: Int, channels: Int,
                               floors meanFloors: [Float]) -> RegionalResidualScale {
        let source = SendableConstPointer(mean)
        return RegionalResidualScale(width: width, height: height, channels: channels,
                                     floors: meanFloors.map { $0 * DemosaicFootprint.norm }) { y, row in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * width * channels)
            defer { scratch.deallocate() }
            DemosaicFootprint.row(source.pointer!, width: width, height: height, channels: channels, y: y, into: row, scratch: scratch)
        }
    }

    /// The colour class of sample `c` of pixel (`x`, `y`).
    @inline(__always) func colour(x: Int, y: Int, channel c: Int) -> Int {
        HotPixelDetector.colour(g, x: x, y: y, channel: c)
    }

    // MARK: Rows

    /// The candidate samples of `rows` (one per pixel at most), writing their scores into the score map.
    func candidates(rows: Range<Int>) -> [SampleCandidate] {
        var found: [SampleCandidate] = []
        var meanScale = RegionalResidualScale.BlockCache(map: mean, width: width, height: height, channels: channels)
        let buffers = DetectionRowBuffers(self)
        defer { buffers.deallocate() }
        let blockSize = RegionalResidualScale.blockSize
        for y in rows {
            // Screened, the footprint is filtered only in the blocks where it can reach the threshold.
            let blockRow = (y / blockSize) * (footprintBlocks?.blocksWide ?? 0)
            filterFootprint(y: y, blockRow: blockRow, buffers: buffers)
            if screen != nil { screenRow(y, buffers: buffers) }
            var quietUntil = 0
            for x in 0..<width {
                if x < quietUntil { continue }
                if quickSkip, x & 15 == 0, x &+ 17 <= width, quietPixels(x, blockRow: blockRow, buffers: buffers) {
                    quietUntil = x &+ 16
                    continue
                }
                // Nothing here can reach a threshold (see DetectionScreen): the pixel gives no candidate.
                if screen != nil, !needsRules(x, blockRow: blockRow, buffers: buffers) { continue }
                if let candidate = evaluate(x: x, y: y, blockRow: blockRow, buffers: buffers, meanScale: &meanScale) {
                    found.append(candidate)
                }
            }
        }
        return found
    }

    /// The footprint's matched-filter response of row `y` and its strongest regional z per pixel, into `buffers`;
    /// screened, only in the runs of blocks where it can reach the threshold.
    func filterFootprint(y: Int, blockRow: Int, buffers: DetectionRowBuffers) {
        guard let regionalFootprint else { return }
        let blockSize = RegionalResidualScale.blockSize
        let footprintRow = buffers.footprintRow
        guard let footprintBlocks else {
            DemosaicFootprint.row(mean, width: width, height: height, channels: channels, y: y, into: footprintRow,
                                  scratch: footprintRow + width * channels)
            regionalFootprint.strongestZ(row: footprintRow, y: y, width: width, z: buffers.footprintZ, channel: buffers.footprintChannel)
            return
        }
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
            regionalFootprint.strongestZ(row: footprintRow, y: y, width: width, z: buffers.footprintZ,
                                         channel: buffers.footprintChannel, blocks: run..<end)
            run = end
        }
    }

    // MARK: One pixel

    /// Every rule at pixel (`x`, `y`): its candidate sample, if any (the best-scoring rule's, relabelled stuck
    /// where its value does not follow the scene), and its strongest score into the score map.
    @inline(__always)
    func evaluate(x: Int, y: Int, blockRow: Int, buffers: DetectionRowBuffers,
                  meanScale: inout RegionalResidualScale.BlockCache) -> SampleCandidate? {
        var evidence = PixelEvidence()
        if firstT(x: x, y: y, &evidence) { subtractRingMedian(x: x, y: y, &evidence) }
        sampleRules(x: x, y: y, &evidence, meanScale: &meanScale)
        if combine { combinedRule(x: x, y: y, &evidence, meanScale: &meanScale) }
        // (Where the screen found that the footprint cannot reach the threshold it was not filtered.)
        if regionalFootprint != nil, footprintBlocks?.mayReach[blockRow + x / RegionalResidualScale.blockSize] ?? true {
            footprintRule(x: x, y: y, buffers: buffers, &evidence)
        }
        let chosen = evidence.best.map { relabelled($0, x: x, y: y) }
        if let map { map[y * width + x] = evidence.pixelScore }
        return chosen
    }

    /// Median of the 8-sample ring ``compareStep`` pixels away, of `value(index)`: the same phase of any period-2
    /// pattern (demosaicing makes photosite and interpolated pixels differ systematically in mean and noise).
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

    /// How far a sample's value moved over the frames (the stuck rule and the stuck relabelling).
    @inline(__always) func valueRange(_ index: Int) -> Float { high[index].floatValue - low[index].floatValue }

    /// The t statistic of each sample's mean residual, with its mean, spread and noise spread, into `evidence`.
    /// Whether any t (or the combined t) comes near the threshold, which calls for the ring correction.
    func firstT(x: Int, y: Int, _ evidence: inout PixelEvidence) -> Bool {
        var anyNear = false
        for c in 0..<channels {
            let index = (y * width + x) * channels + c
            let m = mean[index]
            let s = (m2[index] * varianceScale).squareRoot()
            let floor = floors[colour(x: x, y: y, channel: c)]
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
            evidence.tValues[c] = m / noise
            evidence.means[c] = m
            evidence.deviations[c] = s
            evidence.noiseDeviations[c] = noiseDeviation
            if Swift.abs(evidence.tValues[c]) >= 0.5 * threshold { anyNear = true }
        }
        if combine, !anyNear {
            var total: Float = 0
            for c in 0..<colourChannels { total += evidence.tValues[c] }
            anyNear = Swift.abs(total * combineScale) >= 0.5 * threshold
        }
        return anyNear
    }

    /// Each t taken relative to the ring's median mean residual: removes slow biases of the scene and of
    /// demosaicing that every pixel around shares.
    func subtractRingMedian(x: Int, y: Int, _ evidence: inout PixelEvidence) {
        for c in 0..<channels {
            let noise = Swift.max(evidence.noiseDeviations[c], floors[colour(x: x, y: y, channel: c)]) / rootN
            evidence.tValues[c] = (evidence.means[c] - ringMedian(x, y, c) { mean[$0] }) / noise
        }
    }

    /// Whether the mean residual stands out against its region's spread (demosaiced images only).
    func standsOutInRegion(x: Int, y: Int, _ evidence: PixelEvidence,
                           meanScale: inout RegionalResidualScale.BlockCache) -> Bool {
        guard regional else { return true }
        for c in 0..<channels where Swift.abs(meanScale.z(evidence.means[c], x: x, y: y, channel: c, floor: meanFloors[c])) >= regionalGate {
            return true
        }
        return false
    }

    /// The rules of each sample on its own: stuck, hot / warm / dead from t, the single mean residual against
    /// its region, flickering.
    func sampleRules(x: Int, y: Int, _ evidence: inout PixelEvidence, meanScale: inout RegionalResidualScale.BlockCache) {
        for c in 0..<channels {
            let index = (y * width + x) * channels + c
            let colourClass = colour(x: x, y: y, channel: c)
            let m = evidence.means[c], s = evidence.deviations[c], t = evidence.tValues[c]
            let shifted = Swift.abs(m) >= minimumShift
            let stuck = stuckRule(index: index, x: x, y: y, c: c, t: t, m: m, s: s, &evidence)
            if !stuck, t >= threshold, shifted, standsOutInRegion(x: x, y: y, evidence, meanScale: &meanScale) {
                evidence.consider(index, m >= s ? .hot : .warm, t, threshold: threshold)
            }
            if !stuck, t <= -threshold, shifted, standsOutInRegion(x: x, y: y, evidence, meanScale: &meanScale) {
                evidence.consider(index, .dead, -t, threshold: threshold)
            }
            // A mean residual far out of line with its region's, whose own spread is large (the
            // residual follows the scene: a stuck or gain defect) so that t alone stays short; t must
            // still pass the lenient temporal check.
            if regionalEvidence, !stuck, shifted, Swift.abs(t) >= temporalGate {
                let z = meanScale.z(m, x: x, y: y, channel: c, floor: meanFloors[c])
                if z * t > 0 {
                    evidence.consider(index, t < 0 ? .dead : m >= s ? .hot : .warm, Swift.abs(z) * regionalScale, threshold: threshold)
                }
            }
            evidence.pixelScore = Swift.max(evidence.pixelScore, Swift.abs(t))
            if findFlickering, s > flickerGate[colourClass], n >= 3 {
                let neighbours = ringMedian(x, y, c) { (m2[$0] * varianceScale).squareRoot() }
                let ratio = s / Swift.max(neighbours, floors[colourClass])
                if ratio >= HotPixelCalibration.flickerRatio {
                    evidence.consider(index, .flickering, 2 * logf(ratio) * flickerScale, threshold: threshold)
                }
            }
        }
    }

    /// The stuck rule of one sample: whether it fired (then no other rule of the sample applies).
    @inline(__always)
    func stuckRule(index: Int, x: Int, y: Int, c: Int, t: Float, m: Float, s: Float, _ evidence: inout PixelEvidence) -> Bool {
        let range = valueRange(index)
        // A stuck value spans little of the scale; most pixels of a varied stack span much more,
        // so the neighbours' ranges are only looked at for the few that could be stuck.
        guard n >= 3, range <= stuckRangeGate, s > 0.5 * range else { return false }
        let neighbours = ringMedian(x, y, c, valueRange)
        let z = logf(neighbours / Swift.max(range, quantum)) * stuckScale
        // A constant value is stuck even when its residual's mean is also sure (the spread
        // cap can make that t the larger score): the kind follows the cause.
        let stuck = z >= threshold
        evidence.consider(index, high[index].floatValue <= 0.1 * fullScale && m < 0 ? .dead : .stuck,
                          stuck ? Swift.max(z, Swift.abs(t)) : z, threshold: threshold)
        evidence.pixelScore = Swift.max(evidence.pixelScore, z)
        return stuck
    }

    /// JPEG carries fine detail in luma only, so a one-photosite defect shows in all three colour channels at
    /// once: Stouffer's sum of the three t values.
    func combinedRule(x: Int, y: Int, _ evidence: inout PixelEvidence, meanScale: inout RegionalResidualScale.BlockCache) {
        var total: Float = 0
        for c in 0..<colourChannels { total += evidence.tValues[c] }
        let combined = total * combineScale
        var strongest = 0
        for c in 1..<colourChannels where evidence.tValues[c] * combined > evidence.tValues[strongest] * combined { strongest = c }
        let index = (y * width + x) * channels + strongest
        var largestShift: Float = 0
        for c in 0..<colourChannels { largestShift = Swift.max(largestShift, Swift.abs(evidence.means[c])) }
        if largestShift < minimumShift || Swift.abs(combined) < threshold
            || !standsOutInRegion(x: x, y: y, evidence, meanScale: &meanScale) {
            // Too small a shift to be a defect (see HotPixelCalibration.minimumShift8Bit),
            // too little evidence, or no more than the region's own texture.
        } else if combined >= threshold {
            evidence.consider(index, evidence.means[strongest] >= evidence.deviations[strongest] ? .hot : .warm, combined,
                              threshold: threshold)
        } else if combined <= -threshold {
            evidence.consider(index, .dead, -combined, threshold: threshold)
        }
        evidence.pixelScore = Swift.max(evidence.pixelScore, Swift.abs(combined))
    }

    /// The defect's footprint in the mean-residual map, against the region's spread of it (its z was filtered
    /// into `buffers` for the row).
    func footprintRule(x: Int, y: Int, buffers: DetectionRowBuffers, _ evidence: inout PixelEvidence) {
        let strongest = Int(buffers.footprintChannel[x])
        let strongestZ = buffers.footprintZ[x]
        let score = Swift.abs(strongestZ) * regionalScale
        if score >= threshold, footprintIsSure(x, y, strongest, buffers.footprintRow[x * channels + strongest]) {
            if evidence.best != nil {
                // Already a defect by another rule, whose kind names the cause; the footprint
                // only adds evidence.
                evidence.best!.score = Swift.max(evidence.best!.score, score)
            } else {
                let kind: DefectKind = strongestZ < 0 ? .dead
                    : evidence.means[strongest] >= evidence.deviations[strongest] ? .hot : .warm
                evidence.consider((y * width + x) * channels + strongest, kind, score, threshold: threshold)
            }
        }
        evidence.pixelScore = Swift.max(evidence.pixelScore, score)
    }

    /// The footprint's checks besides its regional z: the temporal spreads of the samples under it
    /// (the 3×3 window, taken as independent) must not explain it, and on 8-bit images some sample of
    /// the window must be shifted by the minimum shift.
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

    /// A bright stuck photosite has a positive mean residual like a hot one; what tells them apart is that its
    /// value does not follow the scene: its range over the frames is a small part of its neighbours' (a hot
    /// one's follows theirs). A clipped value proves nothing.
    func relabelled(_ candidate: SampleCandidate, x: Int, y: Int) -> SampleCandidate {
        var chosen = candidate
        let c = chosen.index % channels
        if chosen.kind == .hot || chosen.kind == .warm, high[chosen.index].floatValue < fullScale {
            let range = valueRange(chosen.index)
            let neighbours = ringMedian(x, y, c, valueRange)
            if neighbours >= HotPixelCalibration.stuckRangeRatio * Swift.max(range, quantum) { chosen.kind = .stuck }
        }
        return chosen
    }
}

/// What the rules found at one pixel so far: each sample's t, mean residual, spread and noise spread, the best
/// candidate sample and the strongest score.
struct PixelEvidence {
    var tValues = ChannelValues()
    var means = ChannelValues()
    var deviations = ChannelValues()
    var noiseDeviations = ChannelValues()
    var best: SampleCandidate? = nil
    var pixelScore: Float = 0

    /// Keeps sample `index` as the pixel's candidate when `score` reaches `threshold` and beats the best so far.
    @inline(__always)
    mutating func consider(_ index: Int, _ kind: DefectKind, _ score: Float, threshold: Float) {
        if score >= threshold, score > (best?.score ?? 0) { best = SampleCandidate(index: index, kind: kind, score: score) }
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
