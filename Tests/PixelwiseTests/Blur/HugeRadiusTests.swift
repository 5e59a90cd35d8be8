import Foundation
@testable import Pixelwise
import Testing

/// Radii and σ far beyond what an image can show (issue 15: `--radius 1e19` trapped converting to `Int`,
/// `--kernel gaussian --radius 1e9` asked for terabytes): the kernels clamp them, with the same or a
/// documented, tiny difference in the result, and bounded memory.
@Suite("Blur: huge radius and σ")
struct HugeRadiusTests {
    /// The untruncated Gaussian over the whole image, renormalised inside it: what the truncated reference is
    /// once 4σ covers the image. In `Double`, O(pixels × (width + height)).
    static func wideGaussian<S: PixelSample>(_ image: Image<S>, sigma: Double) -> [Double] {
        let w = image.width, h = image.height, c = image.channels
        func weights(_ n: Int) -> [[Double]] {
            (0..<n).map { i in (0..<n).map { j in exp(-0.5 * Double((i - j) * (i - j)) / (sigma * sigma)) } }
        }
        let gx = weights(w), gy = weights(h)
        var across = [Double](repeating: 0, count: w * h * c)  // rows blurred along x, not normalised
        for y in 0..<h { for x in 0..<w { for ch in 0..<c {
            var sum = 0.0
            for i in 0..<w { sum += gx[x][i] * image[i, y, ch].doubleValue }
            across[(y * w + x) * c + ch] = sum
        } } }
        var out = [Double](repeating: 0, count: w * h * c)
        for y in 0..<h { for x in 0..<w { for ch in 0..<c {
            var sum = 0.0
            for j in 0..<h { sum += gy[y][j] * across[(j * w + x) * c + ch] }
            out[(y * w + x) * c + ch] = sum / (gx[x].reduce(0, +) * gy[y].reduce(0, +))
        } } }
        return out
    }

    @Test(arguments: [(1, 1), (1, 9), (9, 1), (23, 17)])
    func boxRadiusBeyondTheImageIsTheWholeImage(size: (Int, Int)) throws {
        let (width, height) = size
        var rng = SplitMix64(seed: 15)
        let image = randomImage(UInt16.self, width: width, height: height, channels: 3, rng: &rng)
        let cap = Double(Swift.max(width, height))
        let expected = BlurReference.boxMean(image, radii: Array(repeating: cap, count: width * height))
        // Fractional radii at and past max(w, h) − 1 already cover the whole image.
        for r in [cap - 1, cap - 0.5, cap, cap + 0.25, 1e6, 9.3e18, 1e19, 1e20, 1e300, Double.greatestFiniteMagnitude] where r >= 0 {
            let out = try VariableBlur.boxMean(image, radii: UniformRadius(width: width, height: height, radius: r), as: Double.self)
            let worst = zip(out.samples, expected).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-9, "r \(r): \(worst)")
        }
        // A float map holding huge values (strip tables) and a uint16 one holding 65535 (streaming path).
        let huge = Image<Double>(width: width, height: height, samples: (0..<(width * height)).map { $0 % 2 == 0 ? 1e20 : 1e300 })
        let fromMap = try VariableBlur.boxMean(image, radii: try RadiusMap(huge), as: Double.self)
        #expect(zip(fromMap.samples, expected).allSatisfy { abs($0 - $1) < 1e-9 })
        let wide = Image<UInt16>(width: width, height: height, samples: Array(repeating: 65535, count: width * height))
        let fromUInt16 = try VariableBlur.boxMean(image, radii: try RadiusMap(wide), as: Double.self)
        #expect(zip(fromUInt16.samples, expected).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    @Test func distanceRadiusWithAHugeRatioIsTheWholeImage() throws {
        var rng = SplitMix64(seed: 16)
        let image = randomImage(UInt8.self, width: 19, height: 11, channels: 1, rng: &rng)
        var mask = Image<UInt8>(width: 19, height: 11)
        mask[3, 4] = 1
        let radii = try DistanceRadius(try DistanceTransform(mask: mask, sourceName: "mask"), perPixel: 1e20)
        let out = try VariableBlur.boxMean(image, radii: radii, as: Double.self)
        let field = radii.image()
        let expected = BlurReference.boxMean(image, radii: field.samples.map { Swift.min($0, 19) })
        #expect(zip(out.samples, expected).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    /// σ from a few times the image to far past ``GaussianLevel/sigmaLimit(width:height:)``: the result
    /// stays close to the exact (untruncated, renormalised) Gaussian of the σ asked for: within 2e-3 grey
    /// levels from 10× the diagonal up (the clamp's own bound, 3e-8 of the range, is far below `Float`
    /// rounding); at 2× the pipeline's own interpolation error shows (0.0025 measured).
    @Test(arguments: [2.0, 10.0, 100.0, 1e4, 1e6, 1e9])
    func hugeSigmaMatchesTheExactGaussian(timesDiagonal: Double) throws {
        var rng = SplitMix64(seed: 17)
        let width = 29, height = 13
        let image = randomImage(UInt8.self, width: width, height: height, channels: 2, rng: &rng)
        let diagonal = Double((width - 1) * (width - 1) + (height - 1) * (height - 1)).squareRoot()
        let sigma = timesDiagonal * diagonal
        let out = try VariableBlur.gaussian(image, sigmas: UniformRadius(width: width, height: height, radius: sigma), as: Double.self)
        let expected = Self.wideGaussian(image, sigma: sigma)
        let worst = zip(out.samples, expected).map { abs($0 - $1) }.max()!
        // Below 10× the diagonal this is the pipeline's own error (levels interpolated in σ²), not the clamp's.
        #expect(worst < (timesDiagonal < 10 ? 1e-2 : 2e-3), "σ \(sigma): \(worst)")
    }

    /// Past the limit nothing changes: σ = 1e9, 1e300 and the limit itself give the same output, the plain
    /// mean of each channel to `Float` rounding.
    @Test func sigmaPastTheLimitIsTheImageMean() throws {
        var rng = SplitMix64(seed: 18)
        let width = 40, height = 33
        let image = randomImage(UInt8.self, width: width, height: height, channels: 3, rng: &rng)
        let limit = GaussianLevel.sigmaLimit(width: width, height: height)
        let atLimit = try VariableBlur.gaussian(image, sigmas: UniformRadius(width: width, height: height, radius: limit), as: Double.self)
        for sigma in [limit * 2, 1e9, 1e300, Double.greatestFiniteMagnitude] {
            let out = try VariableBlur.gaussian(image, sigmas: UniformRadius(width: width, height: height, radius: sigma), as: Double.self)
            #expect(out == atLimit, "σ \(sigma)")
        }
        for channel in 0..<3 {
            var sum = 0.0
            for y in 0..<height { for x in 0..<width { sum += image[x, y, channel].doubleValue } }
            let mean = sum / Double(width * height)
            for y in 0..<height { for x in 0..<width { #expect(abs(atLimit[x, y, channel] - mean) < 1e-3) } }
        }
        // A σ map mixing small and huge values agrees with the uniform runs at those pixels.
        let sigmas = Image<Double>(width: width, height: height, samples: (0..<(width * height)).map { $0 % 3 == 0 ? 1e300 : ($0 % 3 == 1 ? 0 : 1e9) })
        let mixed = try VariableBlur.gaussian(image, sigmas: try RadiusMap(sigmas), as: Double.self)
        for y in 0..<height { for x in 0..<width where (y * width + x) % 3 != 1 {
            for c in 0..<3 { #expect(abs(mixed[x, y, c] - atLimit[x, y, c]) < 1e-4) }
        } }
    }

    /// Memory stays bounded whatever σ: the levels stop a few coarse samples short of nothing, their kernels
    /// are cut where they would only multiply zeros, so the rings are those of σ about the image's size.
    @Test func hugeSigmaTablesStaySmall() {
        for (width, height) in [(1, 1), (512, 512), (15000, 3)] {
            let tables = GaussianTables(width: width, height: height, maximumSigma: .greatestFiniteMagnitude)
            let extent = Swift.max(width, height)
            #expect(tables.maximumDepth <= GaussianLevel.maximumDepth(extent: extent))
            #expect(tables.levels.count < 200)
            #expect(tables.levels.allSatisfy { $0.reach <= Swift.max(GaussianLevel.reachNeeded(extent: extent, depth: $0.depth), 16) })
            // Ring rows held at depth 1: a small multiple of the image's extent, not of σ.
            #expect((tables.ringCapacity.max() ?? 0) <= 32 * extent + 64, "\(width)×\(height): \(tables.ringCapacity)")
        }
    }
}
