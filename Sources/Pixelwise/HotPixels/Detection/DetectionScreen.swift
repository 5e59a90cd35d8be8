/// A cheap first look at every sample of a residual state that tells which pixels the detector's per-pixel
/// rules (``HotPixelDetector``) can possibly report, so that only those run them.
///
/// The per-pixel rules cost about 40 ns per sample (ring medians, regional look-ups, branches); on a
/// 3872×2592 RGB stack they took ~1.2 s of CPU, a third of a whole 40-frame scan, although fewer than 1 % of
/// the pixels come anywhere near a threshold. The screen evaluates, 16 samples at a time, exactly the figures
/// the rules start from — the t statistic before the ring corrections, the range, the spread — and flags a
/// sample unless every rule is sure to stay silent:
/// - **t rules** (hot, warm, dead, and the ring-median correction that precedes them): they run only when
///   `|t| ≥ threshold/2` for some channel or for the combined t; `t` here is the detector's own first `t`,
///   with the same operations, whenever the spread cap cannot apply. Where it could apply (it needs the ring's
///   spreads) the sample is flagged.
/// - **regional evidence of one sample**: `|m| ≥` the minimum shift and `|t| ≥` the temporal gate.
/// - **stuck**: range at most a quarter of full scale and spread over half the range.
/// - **flickering** (when asked): spread over the flicker gate.
/// Every test is written as "not below", so that a NaN flags the sample rather than hiding it. The combined
/// t and the footprint are per pixel: ``HotPixelDetector`` checks them from ``t`` and its footprint row.
/// A pixel none of whose samples is flagged gives no candidate, so screening changes no result (tested
/// against the unscreened detector).
struct DetectionScreen: Sendable {
    /// `1 / (n − 1)`: M2 times this is the variance.
    var varianceScale: Float
    /// `√n`.
    var rootN: Float
    /// Half the (frame-adjusted) threshold, `0.5 * threshold` as the detector computes it: its `anyNear` bound,
    /// and the bound in the spread cap's condition.
    var halfThreshold: Float
    /// How many times the ring's spread a sample's own spread may count (``HotPixelDetectionParameters/spreadCap``).
    var spreadCap: Float
    /// The minimum shift of the mean residual (8-bit images; 0 otherwise).
    var minimumShift: Float
    /// The temporal gate of the single-sample regional rule, or +∞ when that rule is off.
    var temporalGate: Float
    /// The stuck rule's largest range, or −∞ when it cannot apply (fewer than 3 frames).
    var stuckRangeGate: Float

    /// Screens `count` consecutive samples: `t[i]` receives the detector's first t statistic of sample `i`
    /// (when the spread cap does not apply), `flags[i]` 1 when the sample needs the per-sample rules, else 0.
    /// `floors` and `flickerGates` hold each sample's floor and flicker gate (its colour's); a flicker gate of
    /// +∞ turns that rule off.
    @inlinable
    func screen<S: HotPixelSample>(mean: UnsafePointer<Float>, m2: UnsafePointer<Float>,
                                   low: UnsafePointer<S>, high: UnsafePointer<S>,
                                   floors: UnsafePointer<Float>, flickerGates: UnsafePointer<Float>, count: Int,
                                   t: UnsafeMutablePointer<Float>, flags: UnsafeMutablePointer<Float>) {
        typealias F = SIMD16<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>, _ i: Int) -> F { UnsafeRawPointer(p + i).loadUnaligned(as: F.self) }
        @inline(__always) func magnitude(_ v: F) -> F {
            unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: F.self)
        }
        @inline(__always) func block(_ i: Int) {
            let m = load(mean, i), floor = load(floors, i)
            let s = (load(m2, i) * varianceScale).squareRoot()
            // Swift.max(s, floor) is `floor >= s ? floor : s`: the same selection, NaN included.
            let noise = s.replacing(with: floor, where: floor .>= s) / rootN
            let value = m / noise
            let absM = magnitude(m), absT = magnitude(value)
            let range = S.floats(UnsafeRawPointer(high + i).loadUnaligned(as: SIMD16<S>.self))
                - S.floats(UnsafeRawPointer(low + i).loadUnaligned(as: SIMD16<S>.self))
            let capMayApply = (s .> spreadCap * floor) .& (absM .>= 0.5 * s) .& (absM * rootN .>= halfThreshold * floor)
            let near = .!(absT .< halfThreshold)
            let regional = .!(absM .< minimumShift) .& .!(absT .< temporalGate)
            let stuck = .!(range .> stuckRangeGate) .& .!(s .<= 0.5 * range)
            let flicker = .!(s .<= load(flickerGates, i))
            let flagged = capMayApply .| near .| regional .| stuck .| flicker
            UnsafeMutableRawPointer(t + i).storeBytes(of: value, as: F.self)
            UnsafeMutableRawPointer(flags + i).storeBytes(of: F(repeating: 0).replacing(with: 1, where: flagged), as: F.self)
        }
        guard count >= 16 else {
            for i in 0..<count {
                (t[i], flags[i]) = screenSample(mean: mean[i], m2: m2[i], low: low[i], high: high[i],
                                                floor: floors[i], flickerGate: flickerGates[i])
            }
            return
        }
        var i = 0
        while i &+ 16 <= count {
            block(i)
            i &+= 16
        }
        // The last block overlaps the previous one: those samples are computed twice, identically.
        if i < count { block(count &- 16) }
    }

    /// One sample of ``screen(mean:m2:low:high:floors:flickerGates:count:t:flags:)``: its first t and its flag
    /// (1 or 0). Also the reference the tests compare the vector path with.
    @inlinable
    func screenSample<S: HotPixelSample>(mean m: Float, m2: Float, low: S, high: S, floor: Float,
                                         flickerGate: Float) -> (Float, Float) {
        let s = (m2 * varianceScale).squareRoot()
        let value = m / (Swift.max(s, floor) / rootN)
        let range = high.floatValue - low.floatValue
        let capMayApply = s > spreadCap * floor && Swift.abs(m) >= 0.5 * s && Swift.abs(m) * rootN >= halfThreshold * floor
        let near = !(Swift.abs(value) < halfThreshold)
        let regional = !(Swift.abs(m) < minimumShift) && !(Swift.abs(value) < temporalGate)
        let stuck = !(range > stuckRangeGate) && !(s <= 0.5 * range)
        let flicker = !(s <= flickerGate)
        return (value, capMayApply || near || regional || stuck || flicker ? 1 : 0)
    }
}

/// One worker's row buffers: the footprint's response, strongest z and channel for the row at hand, and the
/// screen's per-sample floors and flicker gates for even and odd rows (a mosaic's colours alternate by row), its
/// first t and its flags for the row at hand.
struct DetectionRowBuffers {
    /// The footprint's response (`width × channels`), then the filter's scratch (`2 × width × channels`).
    let footprintRow: UnsafeMutablePointer<Float>
    let footprintZ: UnsafeMutablePointer<Float>
    let footprintChannel: UnsafeMutablePointer<Int32>
    /// Six rows of `width × channels`: floors (even, odd rows), flicker gates (even, odd), first t, flags.
    let screenRows: UnsafeMutablePointer<Float>
    let rowLength: Int

    init<S>(_ rules: ResidualRules<S>) {
        let width = rules.width, channels = rules.channels
        let footprint = rules.regionalFootprint != nil
        footprintRow = .allocate(capacity: footprint ? 3 * width * channels : 0)
        footprintZ = .allocate(capacity: footprint ? width : 0)
        footprintChannel = .allocate(capacity: footprint ? width : 0)
        rowLength = width * channels
        screenRows = .allocate(capacity: rules.screen != nil ? 6 * rowLength : 0)
        guard rules.screen != nil else { return }
        for parity in 0..<2 {
            for x in 0..<width {
                for c in 0..<channels {
                    let colourClass = rules.colour(x: x, y: parity, channel: c)
                    screenRows[parity * rowLength + x * channels + c] = rules.floors[colourClass]
                    screenRows[(2 + parity) * rowLength + x * channels + c] = rules.findFlickering ? rules.flickerGate[colourClass] : .infinity
                }
            }
        }
    }

    /// The screen's first t of each sample of the row at hand.
    var firstT: UnsafeMutablePointer<Float> { screenRows + 4 * rowLength }
    /// The screen's flags (1: the sample needs the rules) of the row at hand.
    var flagged: UnsafeMutablePointer<Float> { screenRows + 5 * rowLength }

    func deallocate() {
        footprintRow.deallocate()
        footprintZ.deallocate()
        footprintChannel.deallocate()
        screenRows.deallocate()
    }
}

/// The per-pixel side of the screen: which pixels of a screened row need the rules.
extension ResidualRules {
    /// Screens row `y` into `buffers` (first t and flags per sample).
    func screenRow(_ y: Int, buffers: DetectionRowBuffers) {
        guard let screen else { return }
        let rowLength = buffers.rowLength, screenRows = buffers.screenRows
        let offset = y * rowLength
        screen.screen(mean: mean + offset, m2: m2 + offset, low: low + offset, high: high + offset,
                      floors: screenRows + (y & 1) * rowLength, flickerGates: screenRows + (2 + (y & 1)) * rowLength,
                      count: rowLength, t: buffers.firstT, flags: buffers.flagged)
    }

    /// Whether pixel `x` of the screened row needs the rules: a flagged sample, the combined t at least half the
    /// threshold, or the footprint's z able to reach it.
    @inline(__always)
    func needsRules(_ x: Int, blockRow: Int, buffers: DetectionRowBuffers) -> Bool {
        let flagged = buffers.flagged, firstT = buffers.firstT
        var needed = false
        for c in 0..<channels where flagged[x &* channels &+ c] != 0 { needed = true }
        if combine, !needed {
            var total: Float = 0
            for c in 0..<colourChannels { total += firstT[x &* channels &+ c] }
            needed = !(Swift.abs(total * combineScale) < 0.5 * threshold)
        }
        if let footprintBlocks, !needed, footprintBlocks.mayReach[blockRow + x / RegionalResidualScale.blockSize] {
            needed = !(Swift.abs(buffers.footprintZ[x]) * regionalScale < threshold)
        }
        return needed
    }

    /// RGB, screened: whether none of the 16 pixels from `x` (a multiple of 16, with a 17th pixel after them) can
    /// give a candidate by ``needsRules(_:blockRow:buffers:)``, checked on vectors so that the 99 % of pixels that
    /// give nothing are passed over without the scalar loop (~0.1 s of CPU on the 40-frame 3872×2592 stack): no
    /// flagged sample, and the combined t under half the threshold — tested at every sample position (a pixel's
    /// sum starts at its first sample; the positions between pixels only add lanes that can fail, never hide
    /// one) — and, when the footprint is screened, a footprint block where it cannot reach the threshold.
    /// `(a + b) + c` has the magnitude of the scalar `((0 + a) + b) + c` (they differ at most in the sign of a zero).
    @inline(__always)
    func quietPixels(_ x: Int, blockRow: Int, buffers: DetectionRowBuffers) -> Bool {
        typealias F = SIMD16<Float>
        let firstT = buffers.firstT, flagged = buffers.flagged
        let halfThreshold = 0.5 * threshold
        var loud = SIMDMask<SIMD16<Int32>>(repeating: false)
        for k in 0..<3 {
            let i = x &* 3 &+ 16 &* k
            let total = (Self.load(firstT, i) + Self.load(firstT, i &+ 1)) + Self.load(firstT, i &+ 2)
            let scaled = total * combineScale
            let magnitude = unsafeBitCast(unsafeBitCast(scaled, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: F.self)
            loud = loud .| (Self.load(flagged, i) .!= 0) .| .!(magnitude .< halfThreshold)
        }
        if any(loud) { return false }
        if let footprintBlocks {
            let blockSize = RegionalResidualScale.blockSize
            guard x / blockSize == (x &+ 15) / blockSize else { return false }
            if footprintBlocks.mayReach[blockRow + x / blockSize] { return false }
        }
        return true
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
    }
}
