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

    /// On a full-resolution level's own σ (≤ 4, the exact kernel) the result is the reference to `Float`
    /// rounding (levels are held in `Float`: about 1e-5 grey levels on 0…255).
    @Test(arguments: [0.5, 1.0, 2.0, 3.174802103936399])
    func ladderSigmasAreExact(sigma: Double) throws {
        var rng = SplitMix64(seed: 2)
        for (width, height) in [(1, 1), (1, 17), (17, 1), (23, 19)] {
            let image = randomImage(UInt8.self, width: width, height: height, channels: 1, rng: &rng)
            let out = try VariableBlur.gaussian(image, sigmas: UniformRadius(width: width, height: height, radius: sigma), as: Double.self)
            let expected = BlurReference.gaussian(image, sigmas: Array(repeating: sigma, count: width * height))
            let worst = zip(out.samples, expected).map { abs($0 - $1) }.max()!
            #expect(worst < 2e-4, "σ \(sigma) \(width)×\(height): \(worst)")
        }
    }

    /// A full-resolution level used by a few pixels of a row is computed at those pixels only ((2r+1)² taps):
    /// on the levels' own σ it equals the reference like the whole-row path does, rows of both kinds mixed.
    @Test func fewPixelsOfALevelAreExactToo() throws {
        var rng = SplitMix64(seed: 7)
        let width = 150, height = 11
        let image = randomImage(UInt8.self, width: width, height: height, channels: 1, rng: &rng)
        let levelSigmas = [0.5, 1.0, 2.0, 3.174802103936399, 4.0]
        var sigmas = [Double](repeating: 0, count: width * height)
        for y in 0..<height {
            if y == 5 {
                for x in 0..<width { sigmas[y * width + x] = levelSigmas[x % levelSigmas.count] }  // every level, whole rows
            } else {
                for (i, sigma) in levelSigmas.enumerated() { sigmas[y * width + (y * 13 + i * 29) % width] = sigma }
            }
        }
        let out = try VariableBlur.gaussian(image, sigmas: RadiusMap(Image(width: width, height: height, samples: sigmas)), as: Double.self)
        let expected = BlurReference.gaussian(image, sigmas: sigmas)
        let worst = zip(out.samples, expected).map { abs($0 - $1) }.max()!
        #expect(worst < 2e-4, "worst \(worst)")
    }

    /// A level applied the slow way: its 1-D pipeline (``GaussianLevel/filter(_:)``, in `Double`) along every
    /// row, then along every column, divided by the product of the two normalisers.
    static func separableLevel<S: PixelSample>(_ image: Image<S>, level: GaussianLevel) -> [Double] {
        let width = image.width, height = image.height, channels = image.channels
        var result = [Double](repeating: 0, count: width * height * channels)
        let normaliserX = level.normaliser(count: width), normaliserY = level.normaliser(count: height)
        for c in 0..<channels {
            let rows = (0..<height).map { y in level.filter((0..<width).map { image[$0, y, c].doubleValue }) }
            for x in 0..<width {
                let column = level.filter((0..<height).map { rows[$0][x] })
                for y in 0..<height { result[(y * width + x) * channels + c] = column[y] / (normaliserX[x] * normaliserY[y]) }
            }
        }
        return result
    }

    /// Decimated levels (depth 1 to 6, σ up to 4× the image): the row pipeline (rings of decimated rows,
    /// margins, cubic reads, bands started afresh) equals the level's separable 1-D pipeline to `Float`
    /// rounding, on 1×1, 1×N, N×1 and odd sizes, 1 and 3 channels.
    @Test(arguments: [1, 3])
    func decimatedLevelsMatchTheirSeparablePipeline(channels: Int) throws {
        var rng = SplitMix64(seed: 3 &+ UInt64(channels))
        let ladder = GaussianLevel.ladder(upTo: 200)
        let deep = [1, 2, 3, 6].map { depth in ladder.first { $0.depth == depth }! } + [ladder.last!]
        for (width, height) in [(1, 1), (1, 37), (37, 1), (45, 29), (50, 3)] {
            let image = randomImage(UInt8.self, width: width, height: height, channels: channels, rng: &rng)
            for ladderLevel in deep {
                // The kernel builds its levels for the image's extent (depth and reach capped: see
                // GaussianLevel.init(sigma:extent:)); compare with that level's own pipeline.
                let level = GaussianLevel(sigma: ladderLevel.sigma, extent: Swift.max(width, height))
                let expected = Self.separableLevel(image, level: level)
                for budget in [nil, 1] as [Int?] {
                    let out = try VariableBlur.gaussian(image, sigmas: UniformRadius(width: width, height: height, radius: level.sigma),
                                                        as: Double.self, memoryBudget: budget)
                    let worst = zip(out.samples, expected).map { abs($0 - $1) }.max()!
                    #expect(worst < 1e-3, "σ \(level.sigma) depth \(level.depth) \(width)×\(height): \(worst)")
                }
            }
        }
    }

    /// Every level's 1-D kernel (σ ≥ 1: below, the sampled Gaussian's variance is not σ²), read at each cubic
    /// phase well inside a line, has mean 0 (no shift: the coarse pixel centres are where the pipeline says)
    /// and variance σ² (decimation and residual variances add up; the cubic adds none) up to the truncation
    /// at 4σ, which removes about 0.1% of the variance, as in the reference.
    @Test func levelKernelsHaveTheirVarianceAndNoShift() {
        let count = 700
        for level in GaussianLevel.ladder(upTo: 64) where level.sigma >= 1 {
            let responses = (0..<count).map { source in
                level.filter((0..<count).map { $0 == source ? 1.0 : 0.0 })
            }
            for x in 340..<356 {
                var total = 0.0, mean = 0.0, second = 0.0
                for source in 0..<count {
                    let k = responses[source][x], d = Double(source - x)
                    total += k; mean += k * d; second += k * d * d
                }
                mean /= total
                let variance = second / total - mean * mean
                #expect(abs(mean) < 1e-9, "σ \(level.sigma) x \(x): mean \(mean)")
                #expect(abs(variance - level.sigma * level.sigma) < 2e-3 * level.sigma * level.sigma,
                        "σ \(level.sigma) depth \(level.depth) x \(x): variance \(variance)")
            }
        }
    }

    @Test func constantImageStaysConstant() throws {
        let image = Image<Double>(width: 31, height: 12, channels: 2, repeating: 7.25)
        var rng = SplitMix64(seed: 5)
        let sigmas = (0..<(31 * 12)).map { _ in Double.random(in: 0..<40, using: &rng) }
        let out = try VariableBlur.gaussian(image, sigmas: RadiusMap(Image(width: 31, height: 12, samples: sigmas)), as: Double.self)
        #expect(out.samples.allSatisfy { abs($0 - 7.25) < 1e-5 })
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

    /// σ rising down the image: a deep level first used far below a band's first row (it trapped in the ring
    /// check, reading finer rows no longer held, before every depth advanced with the rows). Within the error
    /// budget of the exact per-pixel Gaussian, in one band and in default bands.
    @Test func sigmaRisingDownTheImageStaysWithinBudget() throws {
        var rng = SplitMix64(seed: 17)
        for (width, height, low, high) in [(1, 100, 7.0, 8.01), (5, 300, 0.0, 9.0), (3, 400, 0.0, 40.0)] {
            let image = Self.photoLike(width: width, height: height, rng: &rng)
            let sigmas = (0..<(width * height)).map { i in low + (high - low) * Double(i / width) / Double(height - 1) }
            let expected = BlurReference.gaussian(image, sigmas: sigmas)
            for budget in [nil, 1 << 20] as [Int?] {
                let out = try VariableBlur.gaussian(image, sigmas: RadiusMap(Image(width: width, height: height, samples: sigmas)),
                                                    as: Double.self, memoryBudget: budget)
                let errors = zip(out.samples, expected).map { abs($0 - $1) }
                let mean = errors.reduce(0, +) / Double(errors.count)
                #expect(mean <= 0.5 && errors.max()! <= 4, "\(width)×\(height) σ \(low)…\(high): mean \(mean), max \(errors.max()!)")
            }
        }
    }

    /// Random σ up to 64 on 1×1, 1×N, N×1 and thin images (σ far larger than the image): within the error
    /// budget of the exact per-pixel Gaussian, bands of one row and default bands alike.
    @Test func thinImagesWithRandomSigmaStayWithinBudget() throws {
        var rng = SplitMix64(seed: 13)
        for (width, height) in [(1, 1), (1, 40), (40, 1), (3, 31), (29, 2)] {
            let image = Self.photoLike(width: width, height: height, rng: &rng)
            let sigmas = (0..<(width * height)).map { _ in Double.random(in: 0...64, using: &rng) }
            let expected = BlurReference.gaussian(image, sigmas: sigmas)
            for budget in [nil, 1] as [Int?] {
                let out = try VariableBlur.gaussian(image, sigmas: RadiusMap(Image(width: width, height: height, samples: sigmas)),
                                                    as: Double.self, memoryBudget: budget)
                let errors = zip(out.samples, expected).map { abs($0 - $1) }
                let mean = errors.reduce(0, +) / Double(errors.count)
                #expect(mean <= 0.5 && errors.max()! <= 4, "\(width)×\(height): mean \(mean), max \(errors.max()!)")
            }
        }
    }

    @Test func ladderIsIncreasingAndReachesTheTop() {
        for top in [0.0, 0.3, 4.0, 4.1, 64, 300] {
            let levels = GaussianLevel.ladder(upTo: top)
            #expect(zip(levels, levels.dropFirst()).allSatisfy { $0.sigma < $1.sigma })
            #expect(levels.last!.sigma >= top && levels.count >= 2)
            // Full resolution (the exact kernel) up to σ = 4; deeper levels keep a residual σ ≥ 2 coarse pixels.
            #expect(levels.allSatisfy { $0.sigma > 4.0000001 || $0.depth == 0 })
            #expect(levels.allSatisfy { $0.depth == 0 || $0.weights.count >= 2 * Int(4 * GaussianLevel.minimumResidualSigma + 0.5) + 1 })
        }
    }

    /// One σ everywhere, from full resolution to decimated levels and between levels: within the documented
    /// error budget of the exact truncated Gaussian on a photo-like image.
    @Test(arguments: [1.5, 4.3, 6, 9.7, 17, 40])
    func uniformSigmaErrorIsWithinBudget(sigma: Double) throws {
        var rng = SplitMix64(seed: 11)
        let width = 61, height = 47
        let image = Self.photoLike(width: width, height: height, rng: &rng)
        let out = try VariableBlur.gaussian(image, sigmas: UniformRadius(width: width, height: height, radius: sigma), as: Double.self)
        let expected = BlurReference.gaussian(image, sigmas: Array(repeating: sigma, count: width * height))
        let errors = zip(out.samples, expected).map { abs($0 - $1) }
        let mean = errors.reduce(0, +) / Double(errors.count)
        #expect(mean <= 0.5 && errors.max()! <= 4, "σ \(sigma): mean \(mean), max \(errors.max()!)")
    }
}
