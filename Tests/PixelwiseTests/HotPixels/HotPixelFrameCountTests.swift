import Foundation
import Testing
@testable import Pixelwise

/// How the decision depends on the number of frames: Student-t quantiles, the threshold stated for 30 frames
/// and carried to fewer, and stacks too short to judge.
@Suite("Hot-pixel detection: frame-count-aware threshold")
struct HotPixelFrameCountTests {
    @Test("Student t quantiles equal table values", arguments: [
        (0.025, 5.0, 2.5706), (0.005, 10.0, 3.1693), (0.05, 1.0, 6.3138), (0.025, 2.0, 4.3027),
        (0.001, 29.0, 3.3962), (0.1, 20.0, 1.3253), (0.0005, 3.0, 12.924),
    ])
    func quantileTable(p: Double, nu: Double, expected: Double) {
        let t = StudentT.upperQuantile(p, degreesOfFreedom: nu)
        #expect(abs(t - expected) <= 1e-4 * expected, "t(\(p), \(nu)) = \(t)")
        #expect(abs(StudentT.upperTail(t, degreesOfFreedom: nu) - p) <= 1e-9 * max(p, 1e-3))
        #expect(abs(StudentT.upperQuantile(1 - p, degreesOfFreedom: nu) + t) <= 1e-9 * t)
    }

    @Test("Closed forms: Cauchy (ν = 1) and ν = 2; large ν tends to the normal quantile")
    func closedFormsAndLimit() {
        for p in [0.3, 0.05, 1e-3, 1e-8] {
            let cauchy = tan(Double.pi * (0.5 - p))
            #expect(abs(StudentT.upperQuantile(p, degreesOfFreedom: 1) - cauchy) <= 1e-7 * cauchy)
            let a = 4 * p * (1 - p)                                    // ν = 2: t = (2p' − 1)·√(2/a), p' = 1 − p
            let two = (1 - 2 * p) * (2 / a).squareRoot()
            #expect(abs(StudentT.upperQuantile(p, degreesOfFreedom: 2) - two) <= 1e-7 * two)
        }
        #expect(abs(StudentT.upperQuantile(0.025, degreesOfFreedom: 1e7) - 1.959964) < 1e-5)
        #expect(abs(StudentT.upperQuantile(1e-6, degreesOfFreedom: 1e7) - 4.753424) < 1e-4)
        // A tiny tail, as the 30-frame threshold 9 has: P(T₂₉ > 9) = 3.405e-10 (scipy.stats.t.sf).
        #expect(abs(StudentT.upperTail(9, degreesOfFreedom: 29) / 3.4049523e-10 - 1) < 1e-6)
    }

    @Test("The threshold is unchanged from 30 frames on and grows as frames get fewer")
    func frameAdjustedThreshold() {
        for score in [4.0, 9.0, 12.5] {
            for frames in [30, 31, 40, 400] {
                #expect(HotPixelDetectionParameters.frameAdjustedThreshold(score, frames: frames) == score)
            }
            var previous = score
            for frames in stride(from: 29, through: 3, by: -1) {
                let adjusted = HotPixelDetectionParameters.frameAdjustedThreshold(score, frames: frames)
                #expect(adjusted > previous)
                previous = adjusted
            }
        }
        // The floored statistic's quantile from 5 frames on (scipy: brentq on E[Q(x·max(S, ¼))] = t.sf(9, 29)):
        // 17.8 at 10 frames, 20.7 at 6 (Student's: 26.8 and 122.7); Student's below 5: t.isf(t.sf(9, 29), 3).
        #expect(abs(HotPixelDetectionParameters.frameAdjustedThreshold(9, frames: 10) - 17.8) < 0.05)
        #expect(abs(HotPixelDetectionParameters.frameAdjustedThreshold(9, frames: 6) - 20.7) < 0.05)
        #expect(abs(HotPixelDetectionParameters.frameAdjustedThreshold(9, frames: 4) - 1479.5) < 0.5)
    }

    /// `P(Z / max(S, c) > x)` by a plain midpoint sum over S's density, a million steps: the obvious reference.
    static func flooredTailReference(_ x: Double, nu: Double, c: Double) -> Double {
        let steps = 1_000_000, top = 12.0
        let h = top / Double(steps)
        var sum = 0.0
        for i in 0..<steps {
            let s = (Double(i) + 0.5) * h
            let q = nu * s * s
            let logNormaliser: Double = -0.5 * nu * log(2.0) - lgamma(0.5 * nu)
            let logDensity: Double = log(2 * nu * s) + (0.5 * nu - 1) * log(q) - 0.5 * q + logNormaliser
            let normalTail: Double = 0.5 * erfc(x * max(s, c) / 2.0.squareRoot())
            sum += exp(logDensity) * normalTail * h
        }
        return sum
    }

    @Test("The floored t tail equals a brute-force integral, is Student's at c = 0, and its quantile inverts it",
          arguments: [(4.0, 5.0, 0.25), (12.0, 5.0, 0.25), (20.0, 5.0, 0.25), (8.0, 9.0, 0.25), (15.0, 2.0, 0.5),
                      (6.0, 29.0, 0.25), (3.0, 4.0, 0.0), (2.5, 40.0, 0.1)])
    func flooredTail(x: Double, nu: Double, c: Double) {
        let tail = FlooredT.upperTail(x, degreesOfFreedom: nu, floorRatio: c)
        let reference = Self.flooredTailReference(x, nu: nu, c: c)
        #expect(abs(tail / reference - 1) < 1e-4, "P(T > \(x)) ν \(nu) c \(c): \(tail) vs \(reference)")
        if c == 0 {
            #expect(abs(tail / StudentT.upperTail(x, degreesOfFreedom: nu) - 1) < 1e-4)
        }
        #expect(tail <= StudentT.upperTail(x, degreesOfFreedom: nu) * (1 + 1e-6))   // a floor only lightens the tail
        let back = FlooredT.upperQuantile(tail, degreesOfFreedom: nu, floorRatio: c)
        #expect(abs(back - x) < 1e-6 * x)
        #expect(FlooredT.upperTail(x * 1.05, degreesOfFreedom: nu, floorRatio: c) < tail)
    }

    /// A 3-channel 8-bit stack of `frames` different scenes with extra frame-to-frame noise of ±`noise` levels.
    private func noisyStack(frames: Int, noise: Double, seed: UInt64, width: Int = 128, height: Int = 96,
                            plant: (inout Image<UInt8>) -> Void = { _ in }) -> HotPixelAccumulator<UInt8> {
        let geometry = HotPixelGeometry(width: width, height: height, channels: 3, sampleType: .uint8, cfa: nil, method: .residual)
        let state = HotPixelAccumulator<UInt8>(geometry: geometry)
        var rng = SplitMix64(seed: seed)
        for frame in 0..<frames {
            var image = scene(width: width, height: height, channels: 3, seed: seed &+ UInt64(frame) &* 7919)
            if noise > 0 {
                for y in 0..<height {
                    for x in 0..<width {
                        for c in 0..<3 {
                            let v = Double(image[x, y, c]) + Double.random(in: -noise...noise, using: &rng)
                            image[x, y, c] = UInt8(max(0, min(255, v.rounded())))
                        }
                    }
                }
            }
            plant(&image)
            state.add(image)
        }
        return state
    }

    @Test("A clean, noisy 6-frame stack gives no candidates", arguments: [UInt64(3), 4, 5])
    func cleanShortStack(seed: UInt64) {
        let state = noisyStack(frames: 6, noise: 20, seed: seed * 100)
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4))
        #expect(result.candidates.isEmpty, "\(result.candidates)")
        #expect(result.effectiveThreshold > 20)
        #expect(result.note != nil)
    }

    @Test("A strong hot pixel in a 6-frame stack is still found, alone")
    func strongHotPixelInShortStack() {
        // Scenes at half brightness, so that +150 levels never clip: the residual is 150 in every frame.
        let state = noisyStack(frames: 6, noise: 0, seed: 42) { image in
            for y in 0..<image.height { for x in 0..<image.width { for c in 0..<3 { image[x, y, c] /= 2 } } }
            image[40, 30, 1] += 150
        }
        let scores = UnsafeMutableBufferPointer<Float>.allocate(capacity: 128 * 96)
        defer { scores.deallocate() }
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4), scoreMap: scores)
        #expect(result.candidates.map { "\($0.x),\($0.y),\($0.kind)" } == ["40,30,hot"], "\(result.candidates) \(scores[30 * 128 + 40]) m \(state.mean[(30 * 128 + 40) * 3 + 1]) m2 \(state.m2[(30 * 128 + 40) * 3 + 1]) typical \(HotPixelDetector.typicalDeviation(state))")
    }

    @Test("At 30 frames the threshold and the candidates are those of the plain threshold, with no note")
    func thirtyFramesUnchanged() {
        let state = noisyStack(frames: 30, noise: 0, seed: 43) { image in
            image[40, 30, 1] = UInt8(min(255, Int(image[40, 30, 1]) + 40))
        }
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4))
        #expect(result.effectiveThreshold == HotPixelDetectionParameters.defaultThreshold)
        #expect(result.note == nil)
        #expect(result.candidates.map { "\($0.x),\($0.y)" } == ["40,30"])
    }

    @Test("One or two frames cannot give spreads: no candidates and a note saying so", arguments: [1, 2])
    func tooFewFrames(frames: Int) {
        let state = noisyStack(frames: frames, noise: 20, seed: 7) { image in
            image[40, 30, 1] = 255
        }
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 4))
        #expect(result.candidates.isEmpty)
        #expect(result.note?.contains("at least 3") == true)
    }
}
