import Foundation
import Testing
@testable import Pixelwise

/// The detection stage on demosaiced images: the regional scale of the mean residual, the demosaic-footprint
/// matched filter and JPEG echo suppression, checked on their kernels and on planted stacks through the API.
@Suite("Hot-pixel detection: regional scale, footprint filter, echoes")
struct HotPixelDetectionTests {
    @Test("Separable footprint filter equals the direct 5×5 correlation",
          arguments: [(1, 1, 1), (1, 9, 3), (9, 1, 3), (2, 2, 3), (4, 3, 1), (37, 23, 3), (16, 5, 4)])
    func footprintMatchesReference(width: Int, height: Int, channels: Int) {
        var rng = SplitMix64(seed: UInt64(width * 977 + height * 31 + channels))
        let map = (0..<(width * height * channels)).map { _ in Float.random(in: -50...50, using: &rng) }
        var row = [Float](repeating: .nan, count: width * channels)
        var scratch = [Float](repeating: .nan, count: 2 * width * channels)
        map.withUnsafeBufferPointer { source in
            for y in 0..<height {
                row.withUnsafeMutableBufferPointer { output in
                    scratch.withUnsafeMutableBufferPointer {
                        DemosaicFootprint.row(source.baseAddress!, width: width, height: height, channels: channels, y: y,
                                              into: output.baseAddress!, scratch: $0.baseAddress!)
                    }
                }
                let reference = DemosaicFootprint.referenceRow(source.baseAddress!, width: width, height: height,
                                                               channels: channels, y: y)
                for i in row.indices { #expect(abs(row[i] - reference[i]) <= 1e-4 * 50 * 25) }
            }
        }
    }

    @Test("The footprint kernel sums to zero: a uniform shift of the map is no evidence")
    func footprintIsHighPass() {
        #expect(abs(DemosaicFootprint.kernel.reduce(0, +)) < 1e-6)
        #expect(DemosaicFootprint.kernel[12] > 0)
    }

    @Test("Median by quickselect equals the sorted median", arguments: [1, 2, 3, 8, 9, 255, 256])
    func medianMatchesSort(count: Int) {
        var rng = SplitMix64(seed: UInt64(count))
        for duplicates in [false, true] {
            var values = (0..<count).map { _ in duplicates ? Float(Int.random(in: 0...3, using: &rng)) : Float.random(in: -1...1, using: &rng) }
            let sorted = values.sorted()
            let expected = count % 2 == 1 ? sorted[count / 2] : 0.5 * (sorted[count / 2 - 1] + sorted[count / 2])
            let median = values.withUnsafeMutableBufferPointer { Quickselect.median($0.baseAddress!, count: count) }
            #expect(median == expected)
        }
    }

    @Test("Regional scale: centre and spread of a region, widened over neighbouring blocks, never under the floor")
    func regionalScale() {
        // Left half: values 0 or ±2 around 10; right half: constant 0.
        let width = 64, height = 32
        let scale = RegionalResidualScale(width: width, height: height, channels: 1, floors: [0.25]) { y, row in
            for x in 0..<width { row[x] = x < 32 ? 10 + Float((x + y) % 3 - 1) * 2 : 0 }
        }
        #expect(scale.blocksWide == 4 && scale.blocksHigh == 2)
        // Block 0 (left): centre 10, spread 1.4826 · 2; block 3 (right) borders only right-half blocks: floor.
        #expect(abs(scale.z(10, x: 0, y: 0, channel: 0)) < 1e-6)
        #expect(abs(scale.z(10 + 2 * 1.4826, x: 0, y: 0, channel: 0) - 1) < 1e-4)
        #expect(abs(scale.z(1, x: 63, y: 31, channel: 0) - 4) < 1e-4)
    }

    @Test("The regional z of one sample, computed for its block alone, equals the whole map's bit for bit",
          arguments: [(70, 45, 3), (16, 16, 1), (5, 3, 2), (33, 17, 3)])
    func regionalZOfOneSample(width: Int, height: Int, channels: Int) {
        var rng = SplitMix64(seed: UInt64(width * height))
        let map = (0..<(width * height * channels)).map { _ in Float.random(in: -3...3, using: &rng) }
        let floors = [Float](repeating: 0.01, count: channels)
        let whole = RegionalResidualScale(width: width, height: height, channels: channels, floors: floors) { y, row in
            for i in 0..<(width * channels) { row[i] = map[y * width * channels + i] }
        }
        map.withUnsafeBufferPointer { source in
            for y in stride(from: 0, to: height, by: 3) {
                for x in stride(from: 0, to: width, by: 5) {
                    for c in 0..<channels {
                        let value = source[(y * width + x) * channels + c]
                        let one = RegionalResidualScale.z(value, x: x, y: y, channel: c, map: source.baseAddress!, width: width,
                                                          height: height, channels: channels, floor: 0.01)
                        #expect(one.bitPattern == whole.z(value, x: x, y: y, channel: c).bitPattern)
                    }
                }
            }
        }
    }

    /// Textured frames: the smooth random scene plus fine stripes of a random period and phase per frame,
    /// so that the neighbourhood varies a lot from frame to frame.
    private func texturedStack(frames: Int, width: Int = 96, height: Int = 80, seed: UInt64,
                               plant: (inout Image<UInt8>) -> Void = { _ in }) -> HotPixelAccumulator<UInt8> {
        let geometry = HotPixelGeometry(width: width, height: height, channels: 3, sampleType: .uint8, cfa: nil, method: .residual)
        let state = HotPixelAccumulator<UInt8>(geometry: geometry)
        var rng = SplitMix64(seed: seed)
        for frame in 0..<frames {
            var image = scene(width: width, height: height, channels: 3, seed: seed &+ UInt64(frame))
            let period = Double.random(in: 4...9, using: &rng), phase = Double.random(in: 0...7, using: &rng)
            for y in 0..<height {
                for x in 0..<width {
                    let stripe = 12 * sin(2 * Double.pi * (Double(x + y) + phase) / period)
                    for c in 0..<3 { image[x, y, c] = UInt8(max(0, min(255, (Double(image[x, y, c]) * 0.8 + stripe).rounded()))) }
                }
            }
            plant(&image)
            state.add(image)
        }
        return state
    }

    @Test("A clean, noisy, textured stack gives no candidates", arguments: [UInt64(11), 12, 13])
    func cleanStack(seed: UInt64) {
        let state = texturedStack(frames: 30, seed: seed * 1000)
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4))
        #expect(result.candidates.isEmpty, "\(result.candidates)")
    }

    @Test("A stuck-low pixel on a textured background is found and classified stuck; a warm one is found")
    func stuckLowAndWarm() {
        let state = texturedStack(frames: 30, seed: 77) { image in
            image[30, 20, 1] = 38                                            // stuck at a dark constant
            image[70, 60, 0] = UInt8(min(255, Int(image[70, 60, 0]) + 12))    // warm: +12 levels
        }
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4))
        let found = Dictionary(result.candidates.map { ("\($0.x),\($0.y)", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(result.candidates.count == 2, "\(result.candidates)")
        #expect(found["30,20"]?.kind == .stuck && found["30,20"]?.channel == 1)
        #expect(found["70,60"].map { $0.kind == .warm || $0.kind == .hot } == true && found["70,60"]?.channel == 0)
    }

    @Test("A positive defect whose value does not follow the scene (range ≤ ⅓ of its neighbours', never clipped) is stuck")
    func brightStuckIsNotHot() {
        let state = flatState(seed: 31)
        // Three samples with the same strong positive mean residual (t ≈ 21) and a range (65 levels) too wide for
        // the stuck rule's own gate: the neighbours span 200.
        for (x, y, low, high) in [(10, 10, 150, 215), (24, 24, 190, 255), (38, 38, 0, 200)] as [(Int, Int, UInt8, UInt8)] {
            state.mean[y * 48 + x] = 40
            state.m2[y * 48 + x] = 29 * 100
            state.minimum[y * 48 + x] = low
            state.maximum[y * 48 + x] = high
        }
        let found = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4)).candidates
        let kinds = Dictionary(found.map { ("\($0.x),\($0.y)", $0.kind) }, uniquingKeysWith: { a, _ in a })
        #expect(found.count == 3, "\(found)")
        #expect(kinds["10,10"] == .stuck)   // 200 / 65 ≥ 3: the value stays put while the scene moves
        #expect(kinds["24,24"] == .hot)     // the same range, but clipped at full scale: it may be a hot pixel
        #expect(kinds["38,38"] == .hot)     // the range follows the neighbours'
    }

    /// A one-channel 8-bit state of 30 frames: mean residuals scattered ±0.5 around 0, spread 2, values 0…200.
    private func flatState(width: Int = 48, height: Int = 48, seed: UInt64) -> HotPixelAccumulator<UInt8> {
        let geometry = HotPixelGeometry(width: width, height: height, channels: 1, sampleType: .uint8, cfa: nil, method: .residual)
        let state = HotPixelAccumulator<UInt8>(geometry: geometry)
        state.setFrameCount(30)
        var rng = SplitMix64(seed: seed)
        for index in 0..<geometry.sampleCount {
            state.mean[index] = Float.random(in: -0.5...0.5, using: &rng)
            state.m2[index] = 29 * 4
            state.minimum[index] = 0
            state.maximum[index] = 200
        }
        return state
    }

    @Test("A smeared defect whose own spread follows the scene is found by its footprint, not by its t")
    func smearedDefectFoundByFootprint() {
        // What a stuck photosite leaves after demosaicing: its footprint in the mean-residual map (6 × the
        // kernel: 3.75 levels at the centre) and a large spread of its own (12, the scene's), so its t is 1.7.
        let state = flatState(seed: 9)
        for ky in 0..<5 {
            for kx in 0..<5 { state.mean[(18 + ky) * 48 + 18 + kx] += 6 * DemosaicFootprint.kernel[ky * 5 + kx] }
        }
        state.m2[20 * 48 + 20] = 29 * 144
        let parameters = HotPixelDetectionParameters(suppressionRadius: 4)
        let found = HotPixelDetector.detect(state, parameters: parameters).candidates
        #expect(found.map { "\($0.x),\($0.y)" } == ["20,20"])
        var alone = parameters
        alone.useRegionalEvidence = false
        #expect(HotPixelDetector.detect(state, parameters: alone).candidates.isEmpty)
        // The same mean residuals with a large spread under the whole footprint (an outlier frame, not a
        // defect) fail the temporal check.
        for ky in 0..<3 { for kx in 0..<3 { state.m2[(19 + ky) * 48 + 19 + kx] = 29 * 144 } }
        #expect(HotPixelDetector.detect(state, parameters: parameters).candidates.isEmpty)
    }

    @Test("A mean residual far out of line with its region's is a defect even when its own spread keeps t short")
    func regionalEvidenceForAScatteredResidual() {
        // Mean 6 with its own spread 8 (a residual that follows the scene): t = 6·√30/8 ≈ 4.1, short of 9 but past
        // the temporal gate; against the region's ±0.5 scatter it is ~20 robust standard deviations out.
        let state = flatState(seed: 21)
        state.mean[30 * 48 + 12] = 6
        state.m2[30 * 48 + 12] = 29 * 64
        let found = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4)).candidates
        #expect(found.map { "\($0.x),\($0.y)" } == ["12,30"])
        let alone = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4,
                                                                                          useRegionalEvidence: false))
        #expect(alone.candidates.isEmpty)
        // One frame 100 levels off, the others 0 (mean 3.3, spread 18.3, t ≈ 1): an outlier frame, not a defect,
        // though its mean is as far out of line with the region.
        state.mean[30 * 48 + 12] = 100 / 30
        state.m2[30 * 48 + 12] = 29 * 18.26 * 18.26
        #expect(HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4)).candidates.isEmpty)
    }

    @Test("A much weaker candidate within a JPEG block of a strong defect is its echo; a comparable one is not")
    func echoSuppression() {
        func state(second: Float) -> HotPixelAccumulator<UInt8> {
            let state = flatState(seed: 5)
            state.mean[20 * 48 + 20] = 40                       // strong: t ≈ 110
            state.mean[20 * 48 + 26] = second                   // 6 pixels away, beyond suppression radius 4
            return state
        }
        let parameters = HotPixelDetectionParameters(suppressionRadius: 4)
        let echo = HotPixelDetector.detect(state(second: 5), parameters: parameters).candidates   // t ≈ 14
        #expect(echo.map { "\($0.x),\($0.y)" } == ["20,20"])
        let pair = HotPixelDetector.detect(state(second: 30), parameters: parameters).candidates  // t ≈ 82
        #expect(pair.map { "\($0.x),\($0.y)" } == ["20,20", "26,20"])
    }
    @Test("A much weaker candidate in a 16×16 JPEG tile the defect touches is its echo, however far; past the tile it is not")
    func echoInSameTile() {
        // Defect at (18, 20): its ±1 footprint touches only the tile x 16…31, y 16…31; the decoder's chroma reaches
        // 2 pixels further. (29, 31) is 11 rows away (beyond the 8-pixel radius) in the same tile; (18, 34) is past it.
        func state(second index: Int, value: Float) -> HotPixelAccumulator<UInt8> {
            let state = flatState(seed: 7)
            state.mean[20 * 48 + 18] = 40
            state.mean[index] = value
            return state
        }
        let parameters = HotPixelDetectionParameters(suppressionRadius: 4)
        let sameTile = HotPixelDetector.detect(state(second: 31 * 48 + 29, value: 5), parameters: parameters).candidates
        #expect(sameTile.map { "\($0.x),\($0.y)" } == ["18,20"])
        let pastTile = HotPixelDetector.detect(state(second: 34 * 48 + 18, value: 5), parameters: parameters).candidates
        #expect(pastTile.map { "\($0.x),\($0.y)" } == ["18,20", "18,34"])
        let comparable = HotPixelDetector.detect(state(second: 31 * 48 + 29, value: 30), parameters: parameters).candidates
        #expect(comparable.map { "\($0.x),\($0.y)" } == ["18,20", "29,31"])
    }

    @Test("The JPEG echo region is the 8-pixel square or the 16×16 tiles the defect's footprint touches, widened by 2")
    func echoRegionMatchesItsDefinition() {
        // Brute force: the tiles of every pixel of the 3×3 footprint, each widened by the margin, or Chebyshev ≤ 8.
        func reference(_ dx: Int, _ dy: Int, _ x: Int, _ y: Int) -> Bool {
            if abs(x - dx) <= 8 && abs(y - dy) <= 8 { return true }
            var inside = false
            for fy in dy - 1...dy + 1 where fy >= 0 {
                for fx in dx - 1...dx + 1 where fx >= 0 {
                    let tx = fx / 16 * 16, ty = fy / 16 * 16
                    if (tx - 2...tx + 17).contains(x) && (ty - 2...ty + 17).contains(y) { inside = true }
                }
            }
            return inside
        }
        var rng = SplitMix64(seed: 99)
        for _ in 0..<20_000 {
            let dx = Int.random(in: 0..<80, using: &rng), dy = Int.random(in: 0..<80, using: &rng)
            let x = Int.random(in: max(0, dx - 40)...(dx + 40), using: &rng)
            let y = Int.random(in: max(0, dy - 40)...(dy + 40), using: &rng)
            #expect(CandidateSuppression.isJPEGEcho(defectX: dx, defectY: dy, x: x, y: y) == reference(dx, dy, x, y),
                    "defect \(dx),\(dy) candidate \(x),\(y)")
        }
        #expect(CandidateSuppression.isJPEGEcho(defectX: 888, defectY: 324, x: 889, y: 335))   // the 120-frame echo
        #expect(!CandidateSuppression.isJPEGEcho(defectX: 888, defectY: 324, x: 889, y: 338))
    }
}
