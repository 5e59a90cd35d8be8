@testable import Pixelwise
import Testing

@Suite("Variable Gaussian")
struct VariableGaussianTests {
    /// A smooth, photo-like 8-bit test image: gradients, a disc with a hard edge, and a little texture.
    static func photoLike(width: Int, height: Int, rng: inout SplitMix64) -> Image<UInt8> {
        var samples = [UInt8]()
        for y in 0..<height {
            for x in 0..<width {
                let fx = Double(x) / Double(width), fy = Double(y) / Double(height)
                var v = 60 + 120 * fx + 40 * (fy * 6).squareRoot() + 15 * Double.random(in: -1...1, using: &rng)
                if (fx - 0.5) * (fx - 0.5) + (fy - 0.45) * (fy - 0.45) < 0.06 { v = 230 }
                if x % 11 == 0 { v -= 40 }
                samples.append(UInt8(roundingClamping: v))
            }
        }
        return Image(width: width, height: height, samples: samples)
    }

    @Test func sigmaZeroKeepsEveryPixel() throws {
        var rng = SplitMix64(seed: 1)
        let image = randomImage(Float.self, width: 9, height: 7, channels: 3, rng: &rng)
        let out = try VariableBlur.gaussian(image, sigmas: UniformRadius(width: 9, height: 7, radius: 0), as: Float.self)
        #expect(out == image)
    }

    /// On a level's own σ (≤ 4, the exact kernel) the result is the reference to rounding.
    @Test(arguments: [0.5, 1.0, 2.0, 3.174802103936399])
    func ladderSigmasAreExact(sigma: Double) throws {
        var rng = SplitMix64(seed: 2)
        for (width, height) in [(1, 1), (1, 17), (17, 1), (23, 19)] {
            let image = randomImage(UInt8.self, width: width, height: height, channels: 1, rng: &rng)
            let out = try VariableBlur.gaussian(image, sigmas: UniformRadius(width: width, height: height, radius: sigma), as: Double.self)
            let expected = BlurReference.gaussian(image, sigmas: Array(repeating: sigma, count: width * height))
            let worst = zip(out.samples, expected).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-9, "σ \(sigma) \(width)×\(height): \(worst)")
        }
    }

    @Test func constantImageStaysConstant() throws {
        let image = Image<Double>(width: 31, height: 12, channels: 2, repeating: 7.25)
        var rng = SplitMix64(seed: 5)
        let sigmas = (0..<(31 * 12)).map { _ in Double.random(in: 0..<40, using: &rng) }
        let out = try VariableBlur.gaussian(image, sigmas: RadiusMap(Image(width: 31, height: 12, samples: sigmas)), as: Double.self)
        #expect(out.samples.allSatisfy { abs($0 - 7.25) < 1e-9 })
    }

    /// Random per-pixel σ up to 64 on a photo-like 8-bit image: within the documented error budget
    /// (mean ≤ 0.5, max ≤ 4 grey levels) of the exact per-pixel truncated Gaussian. Strips are forced small.
    @Test(arguments: [1, 3])
    func variableSigmaErrorIsWithinBudget(channels: Int) throws {
        var rng = SplitMix64(seed: 9 &+ UInt64(channels))
        let width = 48, height = 37
        let gray = Self.photoLike(width: width, height: height, rng: &rng)
        let image = channels == 1 ? gray : Image(width: width, height: height, channels: 3,
                                                 samples: gray.samples.flatMap { [$0, 255 - $0, $0 / 2] })
        // A smooth σ field (like a distance map) plus a random one.
        let smooth = (0..<(width * height)).map { i in 64 * Double(i % width) / Double(width - 1) * Double(i / width) / Double(height - 1) }
        let noisy = (0..<(width * height)).map { _ in Double.random(in: 0...64, using: &rng) }
        for sigmas in [smooth, noisy] {
            let out = try VariableBlur.gaussian(image, sigmas: RadiusMap(Image(width: width, height: height, samples: sigmas)),
                                                as: Double.self, memoryBudget: 1)
            let expected = BlurReference.gaussian(image, sigmas: sigmas)
            let errors = zip(out.samples, expected).map { abs($0 - $1) }
            let mean = errors.reduce(0, +) / Double(errors.count)
            #expect(mean <= 0.5 && errors.max()! <= 4, "mean \(mean), max \(errors.max()!)")
        }
    }

    @Test func ladderIsIncreasingAndReachesTheTop() {
        for top in [0.0, 0.3, 4.0, 4.1, 64, 300] {
            let levels = GaussianLevel.ladder(upTo: top)
            #expect(zip(levels, levels.dropFirst()).allSatisfy { $0.sigma < $1.sigma })
            #expect(levels.last!.sigma >= top && levels.count >= 2)
        }
    }
}
