import Testing
@testable import Pixelwise

/// The detector's scoring rules on hand-made statistics: every sample gets a known residual mean and
/// spread, so each rule is checked on its own, away from any scene.
@Suite("Hot-pixel scoring rules")
struct HotPixelScoringTests {
    /// A one-channel state of 30 frames where every residual has mean 0 and standard deviation
    /// `spread`, and every value spans 0…200 (so nothing looks stuck).
    private func state<S: HotPixelSample>(_: S.Type, width: Int = 40, height: Int = 30, spread: Float,
                                          sampleType: SampleType) -> HotPixelAccumulator<S> {
        let geometry = HotPixelGeometry(width: width, height: height, channels: 1, sampleType: sampleType, cfa: nil, method: .residual)
        let state = HotPixelAccumulator<S>(geometry: geometry)
        state.setFrameCount(30)
        for index in 0..<geometry.sampleCount {
            state.mean[index] = 0
            state.m2[index] = 29 * spread * spread
            state.minimum[index] = S(roundingClamping: 0)
            state.maximum[index] = S(roundingClamping: 200)
        }
        return state
    }

    private func set<S: HotPixelSample>(_ state: HotPixelAccumulator<S>, x: Int, y: Int, mean: Float, spread: Float) {
        let index = y * state.geometry.width + x
        state.mean[index] = mean
        state.m2[index] = 29 * spread * spread
    }

    @Test("A gain defect whose residual follows the scene is scored against its neighbours' spread", arguments: [15, 29])
    func spreadCap(row: Int) {
        let state = state(UInt8.self, spread: 2, sampleType: .uint8)
        // Mean −20 with its own spread 30: t = 20·√30/30 ≈ 3.7 on its own spread, ≈ 18 on 3 × 2.
        set(state, x: 17, y: row, mean: -20, spread: 30)
        // The t rule on its own: the footprint filter, which this flat state makes certain, adds to the score.
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(useRegionalEvidence: false))
        #expect(result.candidates.map { "\($0.x),\($0.y),\($0.kind)" } == ["17,\(row),dead"])
        let expected = 20 * Double(30).squareRoot() / (HotPixelCalibration.spreadCap * 2)
        #expect(abs(result.candidates[0].score - expected) <= 1e-3 * expected)
        let withFootprints = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters()).candidates
        #expect(withFootprints.map { "\($0.x),\($0.y),\($0.kind)" } == ["17,\(row),dead"])
    }

    @Test("A sample whose spread is high for its own reasons (an outlier frame) is not lifted above threshold")
    func spreadCapNeedsAShift() {
        let state = state(UInt8.self, spread: 2, sampleType: .uint8)
        // One frame 100 levels off, the others 0: mean 3.3, spread 18.3; t on 3 × 2 = 3.0.
        set(state, x: 10, y: 10, mean: 100 / 30, spread: 18.26)
        #expect(HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters()).candidates.isEmpty)
    }

    @Test("One saturated outlier frame on a 16-bit mosaic-like state is not a defect")
    func saturatedOutlierFrame() {
        let state = state(UInt16.self, spread: 450, sampleType: .uint16)
        // 29 frames near 0 and one at +65 000: mean 2167, spread 11 867 (|m|/s ≈ 1/√30).
        set(state, x: 12, y: 12, mean: 65_000 / 30, spread: 11_867)
        #expect(HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters()).candidates.isEmpty)
    }

    @Test("On 8-bit images a mean shift under the minimum is not a defect, however sure; on 16-bit it is")
    func minimumShift() {
        let bytes = state(UInt8.self, spread: 1, sampleType: .uint8)
        set(bytes, x: 10, y: 10, mean: 1.5, spread: 0.5)    // t = 1.5·√30 / 0.5 ≈ 16, but only 1.5 levels
        set(bytes, x: 30, y: 20, mean: 2.5, spread: 0.5)    // 2.5 levels: a defect
        let found = HotPixelDetector.detect(bytes, parameters: HotPixelDetectionParameters()).candidates
        #expect(found.map { "\($0.x),\($0.y)" } == ["30,20"])
        #expect(Double(1.5) < HotPixelCalibration.minimumShift8Bit)

        let words = state(UInt16.self, spread: 1, sampleType: .uint16)
        set(words, x: 10, y: 10, mean: 1.5, spread: 0.5)
        #expect(HotPixelDetector.detect(words, parameters: HotPixelDetectionParameters()).candidates.map { "\($0.x),\($0.y)" } == ["10,10"])
    }
}
