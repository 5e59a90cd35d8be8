import Testing
@testable import Pixelwise

/// The detection screen (``DetectionScreen``): its vector path equals its one-sample reference bit for bit, and
/// detection with it gives exactly the candidates of detection without it.
@Suite("Hot-pixel detection screen")
struct DetectionScreenTests {
    /// A state of random statistics that exercises every rule: mostly ordinary samples (mean residual ±1,
    /// spread 2–6, range 40–250), and a few of each kind the rules look for — large means (hot, warm, dead,
    /// with own spreads small or large, so the spread cap applies), narrow ranges (stuck), large spreads
    /// (flickering), zero spreads, and extreme values.
    static func randomState<S: HotPixelSample>(_: S.Type, width: Int, height: Int, channels: Int, cfa: CFAPattern? = nil,
                                               frames: Int = 30, seed: UInt64) -> HotPixelAccumulator<S> {
        let geometry = HotPixelGeometry(width: width, height: height, channels: channels, sampleType: S.sampleType,
                                        cfa: cfa, method: .residual)
        let state = HotPixelAccumulator<S>(geometry: geometry)
        state.setFrameCount(frames)
        var rng = SplitMix64(seed: seed)
        let full = S.sampleType.isInteger ? S.maximumValue.floatValue : 1
        let unit = full / 255
        for index in 0..<geometry.sampleCount {
            var mean = Float.random(in: -1...1, using: &rng) * unit
            var spread = Float.random(in: 2...6, using: &rng) * unit
            var low = Float.random(in: 0...0.2, using: &rng) * full
            var high = low + Float.random(in: 0.15...0.78, using: &rng) * full
            switch Int.random(in: 0..<40, using: &rng) {
            case 0: mean = Float.random(in: -40...40, using: &rng) * unit                      // hot, warm or dead
            case 1: mean = Float.random(in: -40...40, using: &rng) * unit; spread *= 8         // spread cap territory
            case 2: high = low + Float.random(in: 0...0.3, using: &rng) * full                  // maybe stuck
            case 3: spread *= Float.random(in: 3...12, using: &rng)                            // maybe flickering
            case 4: spread = 0                                                                 // constant residual
            case 5: mean = Float.random(in: 1.5...3, using: &rng) * unit * (Bool.random(using: &rng) ? 1 : -1)
            case 6: low = 0; high = full; mean = (Bool.random(using: &rng) ? 1 : -1) * full
            default: break
            }
            state.mean[index] = mean
            state.m2[index] = Float(frames - 1) * spread * spread
            state.minimum[index] = S(roundingClamping: Double(low))
            state.maximum[index] = S(roundingClamping: Double(Swift.min(high, full)))
        }
        return state
    }

    static let shapes: [(Int, Int, Int)] = [(1, 1, 3), (1, 37, 3), (37, 1, 3), (1, 1, 1), (23, 1, 1), (1, 19, 4),
                                            (53, 41, 3), (64, 48, 1), (45, 33, 4), (17, 16, 3)]

    @Test("Screened detection reports exactly the unscreened candidates (odd shapes, 1, 3, 4 channels)", arguments: shapes)
    func screenedEqualsUnscreened(shape: (Int, Int, Int)) {
        for seed in UInt64(1)...3 {
            let state = Self.randomState(UInt8.self, width: shape.0, height: shape.1, channels: shape.2,
                                         seed: seed * 100 + UInt64(shape.0 * shape.1))
            for threshold in [9.0, 4.0, 20.0] {
                for flickering in [false, true] {
                    for regional in [true, false] {
                        let parameters = HotPixelDetectionParameters(threshold: threshold, top: 1000, suppressionRadius: 2,
                                                                     findFlickering: flickering, useRegionalEvidence: regional)
                        let screened = HotPixelDetector.residual(state, parameters: parameters, scoreMap: nil)
                        let full = HotPixelDetector.residual(state, parameters: parameters, scoreMap: nil, screening: false)
                        #expect(screened.candidates == full.candidates, "shape \(shape) seed \(seed) threshold \(threshold)")
                        #expect(screened.samplesAboveThreshold == full.samplesAboveThreshold)
                        if threshold == 4, shape.0 * shape.1 >= 500 { #expect(!full.candidates.isEmpty, "the state must exercise the rules") }
                    }
                }
            }
        }
    }

    @Test("RGB pixels passed over 16 at a time: quiet states with a few loud pixels at block edges, combined-t-only pixels, odd widths",
          arguments: [17, 32, 33, 48, 49, 80, 95])
    func quietBlocksEqualUnscreened(width: Int) {
        let height = 19, channels = 3
        for seed in UInt64(1)...3 {
            let geometry = HotPixelGeometry(width: width, height: height, channels: channels, sampleType: .uint8, cfa: nil, method: .residual)
            let frames = 30
            let state = HotPixelAccumulator<UInt8>(geometry: geometry)
            state.setFrameCount(frames)
            var rng = SplitMix64(seed: seed * 31 + UInt64(width))
            for index in 0..<geometry.sampleCount {
                let spread = Float.random(in: 3...5, using: &rng)
                state.mean[index] = Float.random(in: -0.4...0.4, using: &rng)
                state.m2[index] = Float(frames - 1) * spread * spread
                let low = UInt8.random(in: 10...60, using: &rng)
                state.minimum[index] = low
                state.maximum[index] = low + UInt8.random(in: 100...180, using: &rng)
            }
            // Loud pixels where a 16-pixel block starts, ends, and just past it; one channel far off, or all
            // three moderately off so that only their combined t reaches half the threshold.
            let columns = [0, 1, 14, 15, 16, 17, 31, 32, width - 17, width - 16, width - 1].filter { $0 >= 0 && $0 < width }
            for _ in 0..<6 {
                let x = columns.randomElement(using: &rng)!, y = Int.random(in: 0..<height, using: &rng)
                let base = (y * width + x) * channels
                if Bool.random(using: &rng) {
                    state.mean[base + Int.random(in: 0..<3, using: &rng)] = Float.random(in: 6...15, using: &rng) * (Bool.random(using: &rng) ? 1 : -1)
                } else {
                    let shift = Float.random(in: 1.6...2.6, using: &rng) * (Bool.random(using: &rng) ? 1 : -1)
                    for c in 0..<3 { state.mean[base + c] = shift }
                }
            }
            for threshold in [9.0, 5.0, 14.0] {
                for regional in [true, false] {
                    let parameters = HotPixelDetectionParameters(threshold: threshold, top: 1000, suppressionRadius: 1,
                                                                 useRegionalEvidence: regional)
                    let screened = HotPixelDetector.residual(state, parameters: parameters, scoreMap: nil)
                    let full = HotPixelDetector.residual(state, parameters: parameters, scoreMap: nil, screening: false)
                    #expect(screened.candidates == full.candidates, "width \(width) seed \(seed) threshold \(threshold) regional \(regional)")
                    #expect(screened.samplesAboveThreshold == full.samplesAboveThreshold)
                }
            }
        }
    }

    @Test("Screened detection equals unscreened on 16-bit, float and double states, on mosaics, and with few frames",
          arguments: [SampleType.uint16, .float32, .float64])
    func screenedEqualsUnscreenedOtherTypes(type: SampleType) {
        func check<S: HotPixelSample>(_: S.Type) {
            for (cfa, channels) in [(CFAPattern?.none, 3), (.rggb, 1), (.gbrg, 1)] {
                for frames in [30, 6] {
                    let state = Self.randomState(S.self, width: 38, height: 27, channels: channels, cfa: cfa, frames: frames, seed: 7)
                    for threshold in [9.0, 3.0] {
                        let parameters = HotPixelDetectionParameters(threshold: threshold, top: 1000, suppressionRadius: 1,
                                                                     findFlickering: true)
                        let screened = HotPixelDetector.residual(state, parameters: parameters, scoreMap: nil)
                        let full = HotPixelDetector.residual(state, parameters: parameters, scoreMap: nil, screening: false)
                        #expect(screened.candidates == full.candidates, "\(type) cfa \(String(describing: cfa)) frames \(frames)")
                        #expect(screened.samplesAboveThreshold == full.samplesAboveThreshold)
                    }
                }
            }
        }
        switch type {
        case .uint16: check(UInt16.self)
        case .float32: check(Float.self)
        case .float64: check(Double.self)
        case .uint8: check(UInt8.self)
        }
    }

    @Test("Screened detection equals unscreened on a scanned textured stack with planted defects")
    func screenedEqualsUnscreenedOnAScan() {
        let geometry = HotPixelGeometry(width: 61, height: 47, channels: 3, sampleType: .uint8, cfa: nil, method: .residual)
        let state = HotPixelAccumulator<UInt8>(geometry: geometry)
        for frame in 0..<30 {
            var image = scene(width: 61, height: 47, channels: 3, seed: UInt64(frame) * 31 + 5)
            image[10, 12, 0] = UInt8(min(255, Int(image[10, 12, 0]) + 40))
            image[40, 30, 2] = 0
            image[50, 8, 1] = 120
            state.add(image)
        }
        for threshold in [9.0, 5.0, 2.0] {
            let parameters = HotPixelDetectionParameters(threshold: threshold, top: 1000, suppressionRadius: 4)
            let screened = HotPixelDetector.residual(state, parameters: parameters, scoreMap: nil)
            let full = HotPixelDetector.residual(state, parameters: parameters, scoreMap: nil, screening: false)
            #expect(screened.candidates == full.candidates)
            #expect(!full.candidates.isEmpty)
        }
    }

    @Test("Vector screen equals the one-sample screen bit for bit, every length, extremes and NaN",
          arguments: [1, 2, 15, 16, 17, 31, 33, 100])
    func vectorEqualsScalar(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        let specials: [Float] = [0, -0, 1e-30, -1e-30, 1e30, -1e30, .infinity, -.infinity, .nan, 255, -255, .leastNonzeroMagnitude]
        func pick(_ range: ClosedRange<Float>) -> Float {
            Int.random(in: 0..<6, using: &rng) == 0 ? specials.randomElement(using: &rng)! : Float.random(in: range, using: &rng)
        }
        let mean = (0..<count).map { _ in pick(-30...30) }
        let m2 = (0..<count).map { _ in pick(0...3000) }
        let low = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let high = low.map { UInt8.random(in: $0...255, using: &rng) }
        let floors = (0..<count).map { _ in pick(0...5) }
        let gates = (0..<count).map { _ in Bool.random(using: &rng) ? Float.infinity : pick(0...20) }
        for screen in [DetectionScreen(varianceScale: 1 / 29, rootN: Float(30).squareRoot(), halfThreshold: 4.5, spreadCap: 3,
                                       minimumShift: 1.75, temporalGate: 4, stuckRangeGate: 63.75),
                       DetectionScreen(varianceScale: 1 / 5, rootN: Float(6).squareRoot(), halfThreshold: 61, spreadCap: 3,
                                       minimumShift: 0, temporalGate: .infinity, stuckRangeGate: -.infinity)] {
            var t = [Float](repeating: -1, count: count), flags = [Float](repeating: -1, count: count)
            t.withUnsafeMutableBufferPointer { t in
                flags.withUnsafeMutableBufferPointer { flags in
                    screen.screen(mean: mean, m2: m2, low: low, high: high, floors: floors, flickerGates: gates, count: count,
                                  t: t.baseAddress!, flags: flags.baseAddress!)
                }
            }
            for i in 0..<count {
                let (expectedT, expectedFlag) = screen.screenSample(mean: mean[i], m2: m2[i], low: low[i], high: high[i],
                                                                    floor: floors[i], flickerGate: gates[i])
                #expect(t[i].bitPattern == expectedT.bitPattern || (t[i].isNaN && expectedT.isNaN), "t at \(i) of \(count)")
                #expect(flags[i] == expectedFlag, "flag at \(i) of \(count)")
                if mean[i].isNaN || m2[i].isNaN { #expect(flags[i] == 1, "a NaN must be flagged, not hidden") }
            }
        }
    }
    @Test("The footprint filtered over a range of columns equals the whole row there, bit for bit",
          arguments: [(1, 1, 1), (2, 3, 3), (4, 5, 1), (5, 4, 3), (7, 6, 4), (37, 9, 3), (50, 7, 1)])
    func footprintColumnsEqualWholeRow(width: Int, height: Int, channels: Int) {
        var rng = SplitMix64(seed: UInt64(width * 131 + height * 7 + channels))
        let map = (0..<(width * height * channels)).map { _ in Float.random(in: -50...50, using: &rng) }
        let rowLength = width * channels
        var whole = [Float](repeating: .nan, count: rowLength), part = whole
        var scratch = [Float](repeating: .nan, count: 2 * rowLength)
        map.withUnsafeBufferPointer { source in
            for y in 0..<height {
                scratch.withUnsafeMutableBufferPointer { scratch in
                    whole.withUnsafeMutableBufferPointer {
                        DemosaicFootprint.row(source.baseAddress!, width: width, height: height, channels: channels, y: y,
                                              into: $0.baseAddress!, scratch: scratch.baseAddress!)
                    }
                }
                for start in 0..<width {
                    for end in (start + 1)...width {
                        part = [Float](repeating: .nan, count: rowLength)
                        scratch = [Float](repeating: .nan, count: 2 * rowLength)
                        scratch.withUnsafeMutableBufferPointer { scratch in
                            part.withUnsafeMutableBufferPointer {
                                DemosaicFootprint.row(source.baseAddress!, width: width, height: height, channels: channels, y: y,
                                                      into: $0.baseAddress!, scratch: scratch.baseAddress!, columns: start..<end)
                            }
                        }
                        for i in 0..<rowLength {
                            let inside = (start..<end).contains(i / channels)
                            #expect(inside ? part[i].bitPattern == whole[i].bitPattern : part[i].isNaN,
                                    "width \(width) y \(y) columns \(start)..<\(end) sample \(i)")
                        }
                    }
                }
            }
        }
    }

    @Test("Block extremes equal brute-force minima and maxima per channel (partial blocks, NaNs passed over)",
          arguments: [(1, 1, 1), (16, 16, 3), (17, 33, 3), (40, 5, 1), (23, 20, 4), (3, 40, 2)])
    func blockExtremes(width: Int, height: Int, channels: Int) {
        var rng = SplitMix64(seed: UInt64(width * 17 + height + channels))
        var map = (0..<(width * height * channels)).map { _ in Float.random(in: -9...9, using: &rng) }
        for _ in 0..<(map.count / 50) { map[Int.random(in: 0..<map.count, using: &rng)] = .nan }
        let scale = RegionalResidualScale(width: width, height: height, channels: channels,
                                          floors: [Float](repeating: 0.1, count: channels)) { [map] y, row in
            for i in 0..<(width * channels) { row[i] = map[y * width * channels + i] }
        }
        let size = RegionalResidualScale.blockSize
        for by in 0..<scale.blocksHigh {
            for bx in 0..<scale.blocksWide {
                for c in 0..<channels {
                    var low = Float.infinity, high = -Float.infinity
                    for y in (by * size)..<min(height, by * size + size) {
                        for x in (bx * size)..<min(width, bx * size + size) {
                            let v = map[(y * width + x) * channels + c]
                            if v < low { low = v }
                            if v > high { high = v }
                        }
                    }
                    let index = 2 * ((by * scale.blocksWide + bx) * channels + c)
                    #expect(scale.extremes[index] == low && scale.extremes[index + 1] == high, "block \(bx),\(by) channel \(c)")
                }
            }
        }
    }

    @Test("A block the footprint screen passes over has no pixel whose |z| reaches the threshold",
          arguments: [(70, 45, 3), (33, 64, 1), (40, 20, 4)])
    func blocksPassedOverCannotReach(width: Int, height: Int, channels: Int) {
        var rng = SplitMix64(seed: UInt64(width * height))
        var map = (0..<(width * height * channels)).map { _ in Float.random(in: -1...1, using: &rng) }
        for _ in 0..<6 { map[Int.random(in: 0..<map.count, using: &rng)] = Float.random(in: -30...30, using: &rng) }
        let scale = RegionalResidualScale(width: width, height: height, channels: channels,
                                          floors: [Float](repeating: 0.05, count: channels)) { [map] y, row in
            for i in 0..<(width * channels) { row[i] = map[y * width * channels + i] }
        }
        let size = RegionalResidualScale.blockSize
        var passedOver = 0, reaching = 0
        for threshold: Float in [3, 6, 12] {
            for y in 0..<height {
                for x in 0..<width {
                    let block = (y / size) * scale.blocksWide + x / size
                    let reaches = (0..<channels).contains { c in
                        abs(scale.z(map[(y * width + x) * channels + c], x: x, y: y, channel: c)) * 0.85 >= threshold
                    }
                    if reaches { reaching += 1 }
                    if !scale.mayReach(threshold, scale: 0.85, block: block) {
                        passedOver += 1
                        #expect(!reaches, "pixel \(x),\(y) at threshold \(threshold)")
                    }
                }
            }
        }
        #expect(passedOver > 0 && reaching > 0, "the map must exercise both outcomes")
    }

    @Test("The typical spread is the middle element of the sorted subsample")
    func typicalDeviationIsTheSortedMiddle() {
        let state = Self.randomState(UInt8.self, width: 97, height: 61, channels: 3, seed: 5)
        let typical = HotPixelDetector.typicalDeviation(state)
        let g = state.geometry
        let stride = max(1, g.width * g.height / 200_000)
        for c in 0..<3 {
            var values: [Float] = []
            for pixel in Swift.stride(from: 0, to: g.width * g.height, by: stride) {
                values.append((state.m2[pixel * 3 + c] * (1 / Float(state.frameCount - 1))).squareRoot())
            }
            values.sort()
            #expect(typical[c] == values[values.count / 2])
        }
    }
    @Test("The 32-value sorting network sorts every 0/1 input it is given and random values; 191 exchanges")
    func sortingNetworkSorts() {
        #expect(RegionalResidualScale.sortingNetwork32.count == 191)
        var rng = SplitMix64(seed: 9)
        for trial in 0..<3000 {
            // 0/1 inputs (a network that sorts all of them sorts everything), then random values with ties.
            var values: [Float] = trial < 2000 ? (0..<32).map { _ in Float(Int.random(in: 0...1, using: &rng)) }
                                               : (0..<32).map { _ in Float(Int.random(in: -6...6, using: &rng)) }
            let sorted = values.sorted()
            _ = values.withUnsafeMutableBufferPointer { RegionalResidualScale.middleOfThirtyTwo($0.baseAddress!) }
            #expect(values == sorted)
        }
    }

    @Test("Median of 32 by the network equals quickselect's (ties, extremes, both zeros); nil with a NaN",
          arguments: Array(UInt64(1)...40))
    func middleOfThirtyTwoEqualsQuickselect(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let pool: [Float] = [0, -0, 1, -1, 2.5, .infinity, -.infinity, 1e30, -1e-30, .greatestFiniteMagnitude]
        let values: [Float] = (0..<32).map { _ in
            switch seed % 4 {
            case 0: Float.random(in: -5...5, using: &rng)
            case 1: pool.randomElement(using: &rng)!
            case 2: Float(Int.random(in: -2...2, using: &rng))            // many ties
            default: Bool.random(using: &rng) ? pool.randomElement(using: &rng)! : Float.random(in: -1...1, using: &rng)
            }
        }
        var copy = values, network = values
        let expected = copy.withUnsafeMutableBufferPointer { Quickselect.median($0.baseAddress!, count: 32) }
        let ranked = network.withUnsafeMutableBufferPointer { RegionalResidualScale.middleOfThirtyTwo($0.baseAddress!) }
        // Zeros of either sign compare equal (the sign of a zero median changes no decision); all else bit for bit.
        #expect(ranked.map { $0 == expected && ($0 == 0 || $0.bitPattern == expected.bitPattern) || ($0.isNaN && expected.isNaN) } == true,
                "\(values): \(String(describing: ranked)) vs \(expected)")
        var withNaN = values
        withNaN[Int(seed % 32)] = .nan
        let before = withNaN
        #expect(withNaN.withUnsafeMutableBufferPointer { RegionalResidualScale.middleOfThirtyTwo($0.baseAddress!) } == nil)
        #expect(zip(withNaN, before).allSatisfy { $0.bitPattern == $1.bitPattern }, "left untouched")
    }
}
