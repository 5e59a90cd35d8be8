#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One level of the Gaussian stack: the image blurred with a fixed σ, zero outside the image and
/// renormalised by the same filter applied to the image's indicator (so each level is exactly the
/// "renormalised over the in-bounds support" Gaussian for its σ, up to the kernel's own shape).
@usableFromInline struct GaussianLevel: Sendable {
    @usableFromInline enum Kind: Sendable {
        /// No blur (σ = 0).
        case identity
        /// The exact Gaussian truncated at ⌊4σ + 0.5⌋ (what the reference uses): for small σ.
        case exact(weights: [Double])
        /// A cascade of centred box filters of these odd widths: O(1) per pixel whatever σ.
        case boxes([Int])
    }
    @usableFromInline let sigma: Double
    @usableFromInline let kind: Kind
    /// How far the filter reaches, in pixels, on each side.
    @usableFromInline let reach: Int

    /// Levels spaced finely where the Gaussian's shape changes fast in σ (small σ) and geometrically beyond,
    /// up to at least `maximumSigma`. Interpolating between neighbours in σ² keeps the variance exact.
    @usableFromInline static func ladder(upTo maximumSigma: Double) -> [GaussianLevel] {
        var sigmas: [Double] = [0]
        var s = 0.2
        while s < 1 - 1e-9 { sigmas.append(s); s += 0.05 }
        s = 1
        while s < 2 - 1e-9 { sigmas.append(s); s += 0.1 }
        s = 2
        while true {
            sigmas.append(s)
            if s >= maximumSigma { break }
            s *= 1.122_462_048_309_373  // 2^(1/6)
        }
        var levels = [GaussianLevel]()
        for sigma in sigmas {
            let level = GaussianLevel(nominalSigma: sigma)
            if let last = levels.last, level.sigma <= last.sigma { continue }
            levels.append(level)
        }
        // The top level must cover the largest σ even if a box cascade fell a little short of its nominal σ.
        while let last = levels.last, last.sigma < maximumSigma {
            levels.append(GaussianLevel(nominalSigma: last.sigma * 1.122_462_048_309_373))
        }
        return levels
    }

    /// σ ≤ 4 uses the exact truncated kernel; above, six boxes whose widths (Kovesi's two-width rule) give a
    /// variance close to σ², and the level's σ is the cascade's actual one.
    @usableFromInline init(nominalSigma sigma: Double) {
        if sigma == 0 {
            self.sigma = 0
            kind = .identity
            reach = 0
        } else if sigma <= 4 {
            let radius = Int(4 * sigma + 0.5)
            let weights = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
            self.sigma = sigma
            kind = .exact(weights: weights)
            reach = radius
        } else {
            let n = 6.0
            let ideal = (12 * sigma * sigma / n + 1).squareRoot()
            var lower = Int(ideal)
            if lower % 2 == 0 { lower -= 1 }
            let l = Double(lower)
            let m = Int(((12 * sigma * sigma - n * l * l - 4 * n * l - 3 * n) / (-4 * l - 4)).rounded())
            let smallCount = Swift.min(Swift.max(m, 0), 6)
            let widths = Array(repeating: lower, count: smallCount) + Array(repeating: lower + 2, count: 6 - smallCount)
            self.sigma = (widths.map { Double($0 * $0 - 1) / 12 }.reduce(0, +)).squareRoot()
            kind = .boxes(widths)
            reach = widths.map { ($0 - 1) / 2 }.reduce(0, +)
        }
    }

    /// Filters `line[-reach ..< count + reach]` (zero outside `0..<count`) in place of nothing: writes the
    /// `count` filtered values to `output`. `scratch` holds `2 * (count + 2 * reach)` floats.
    @inlinable func filterLine(_ line: UnsafeMutablePointer<Double>, count: Int, output: UnsafeMutablePointer<Double>,
                               scratch: UnsafeMutablePointer<Double>) {
        switch kind {
        case .identity:
            output.update(from: line, count: count)
        case .exact(let weights):
            // line has `reach` zeros before and after the data.
            let padded = line - reach
            output.update(repeating: 0, count: count)
            weights.withUnsafeBufferPointer { w in
                for k in 0..<w.count {
                    let weight = w[k], source = padded + k
                    for x in 0..<count { output[x] += weight * source[x] }
                }
            }
        case .boxes(let widths):
            let length = count + 2 * reach
            var current = line - reach, next = scratch
            let other = scratch + length
            for width in widths {
                let half = (width - 1) / 2
                var sum = 0.0
                for i in 0..<Swift.min(half, length) { sum += current[i] }
                let scale = 1 / Double(width)
                for i in 0..<length {
                    if i + half < length { sum += current[i + half] }
                    next[i] = sum * scale
                    if i - half >= 0 { sum -= current[i - half] }
                }
                current = next
                next = (next == scratch) ? other : scratch
            }
            output.update(from: current + reach, count: count)
        }
    }

    /// The filter applied to the indicator of `0..<count`: what each position's in-bounds weights add up to.
    @usableFromInline func normaliser(count: Int) -> [Double] {
        let line = UnsafeMutablePointer<Double>.allocate(capacity: count + 2 * reach)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * (count + 2 * reach))
        defer { line.deallocate(); scratch.deallocate() }
        line.update(repeating: 0, count: count + 2 * reach)
        (line + reach).update(repeating: 1, count: count)
        var result = [Double](repeating: 0, count: count)
        result.withUnsafeMutableBufferPointer { filterLine(line + reach, count: count, output: $0.baseAddress!, scratch: scratch) }
        return result
    }
}

extension VariableBlur {
    /// Gaussian blur with a per-pixel σ, renormalised over the in-bounds part of each pixel's kernel
    /// (σ = 0 leaves the pixel as it is).
    ///
    /// The image is blurred at a ladder of fixed σ levels (the exact truncated Gaussian for σ ≤ 4, a cascade of
    /// six box filters above, each renormalised at the borders), and each pixel interpolates, in σ², between
    /// the two levels around its σ: the result has exactly the requested variance and, measured against the
    /// exact per-pixel Gaussian truncated at 4σ, stays within the error documented in docs/blur.md. Work per
    /// pixel grows only with the number of levels between the strip's smallest and largest σ.
    @inlinable public static func gaussian<S: PixelSample, Out: PixelSample, Field: RadiusField>(
        _ image: Image<S>, sigmas: Field, as output: Out.Type, imageName: String = "image",
        memoryBudget: Int? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(BlurError) -> Image<Out> {
        guard !image.isEmpty else { throw .emptyImage(source: imageName) }
        try sigmas.checkSize(imageWidth: image.width, imageHeight: image.height)
        let maxima = try sigmas.validatedRowMaxima()
        let width = image.width, height = image.height, channels = image.channels
        let levels = GaussianLevel.ladder(upTo: maxima.max() ?? 0)
        let levelSigmas = levels.map(\.sigma)
        // Reach of the highest level a row's largest σ needs.
        let reach = maxima.map { top in levels[levelSigmas.firstIndex { $0 >= top } ?? levels.count - 1].reach }
        let budget = Swift.max(memoryBudget ?? defaultMemoryBudget(imageBytes: image.sampleCount * MemoryLayout<S>.size,
                                                                    outputBytes: image.sampleCount * MemoryLayout<Out>.size),
                               memoryBudget == nil ? 256 << 20 : 0)
        // Per input row: a level row and a horizontal-pass row (Double); per output row an accumulator too.
        let strips = plan(height: height, maximumInputRows: Swift.max(1, budget / (width * 24))) { reach[$0] }
        let normalisersX = levels.map { $0.normaliser(count: width) }
        let normalisersY = levels.map { $0.normaliser(count: height) }
        var result = Image<Out>(uninitializedWidth: width, height: height, channels: channels)
        image.withUnsafeBuffer { source in
            result.withUnsafeMutableBuffer { target in
                for strip in strips {
                    gaussianStrip(source, target: target, strip: strip, sigmas: sigmas, levels: levels,
                                  normalisersX: normalisersX, normalisersY: normalisersY)
                    progress?(strip.rows.count)
                }
            }
        }
        return result
    }

    /// One strip: per pixel the pair of levels around its σ, then per channel and per needed level the
    /// level's rows, weighted into an accumulator.
    @inlinable static func gaussianStrip<S: PixelSample, Out: PixelSample, Field: RadiusField>(
        _ source: ImageBuffer<S>, target: MutableImageBuffer<Out>, strip: Strip, sigmas: Field,
        levels: [GaussianLevel], normalisersX: [[Double]], normalisersY: [[Double]]
    ) {
        let width = source.width, channels = source.channels
        let rows = strip.rows, count = rows.count * width
        let levelSigmas = levels.map(\.sigma)
        // Lower level index and weight of the upper one, per pixel of the strip.
        let lowerLevel = UnsafeMutablePointer<Int32>.allocate(capacity: count)
        let upperWeight = UnsafeMutablePointer<Double>.allocate(capacity: count)
        let accumulator = UnsafeMutablePointer<Double>.allocate(capacity: count)
        defer { lowerLevel.deallocate(); upperWeight.deallocate(); accumulator.deallocate() }
        let lowerP = SendablePointer(lowerLevel), weightP = SendablePointer(upperWeight), accP = SendablePointer(accumulator)
        let usedFlags = Parallel.mapChunks(count: rows.count, minimumChunk: 4) { chunk -> [Bool] in
            var used = [Bool](repeating: false, count: levels.count)
            let row = UnsafeMutablePointer<Double>.allocate(capacity: width)
            defer { row.deallocate() }
            for i in chunk {
                sigmas.loadRow(rows.lowerBound + i, into: row)
                for x in 0..<width {
                    let sigma = row[x]
                    // Largest level with σ_k ≤ σ (binary search), capped so that k + 1 exists.
                    var low = 0, high = levelSigmas.count - 1
                    while high - low > 1 {
                        let mid = (low + high) / 2
                        if levelSigmas[mid] <= sigma { low = mid } else { high = mid }
                    }
                    let a = levelSigmas[low], b = levelSigmas[low + 1 < levelSigmas.count ? low + 1 : low]
                    let w = b > a ? Swift.min(1, Swift.max(0, (sigma * sigma - a * a) / (b * b - a * a))) : 0
                    lowerP.pointer![i * width + x] = Int32(low)
                    weightP.pointer![i * width + x] = w
                    used[low] = used[low] || w < 1
                    if low + 1 < levels.count { used[low + 1] = used[low + 1] || w > 0 }
                }
            }
            return used
        }
        let used = (0..<levels.count).map { k in usedFlags.contains { $0[k] } }
        for channel in 0..<channels {
            accumulator.update(repeating: 0, count: count)
            for (k, level) in levels.enumerated() where used[k] {
                let levelRows = levelRowsFor(source, channel: channel, rows: rows, level: level,
                                             normaliserX: normalisersX[k], normaliserY: normalisersY[k])
                defer { levelRows.deallocate() }
                let levelP = SendableConstPointer(UnsafePointer(levelRows))
                Parallel.forEachChunk(count: rows.count, minimumChunk: 4) { chunk in
                    let acc = accP.pointer!, lower = lowerP.pointer!, weight = weightP.pointer!, value = levelP.pointer!
                    for i in (chunk.lowerBound * width)..<(chunk.upperBound * width) {
                        let l = Int(lower[i])
                        if l == k { acc[i] += (1 - weight[i]) * value[i] } else if l + 1 == k { acc[i] += weight[i] * value[i] }
                    }
                }
            }
            Parallel.forEachChunk(count: rows.count, minimumChunk: 4) { chunk in
                let acc = accP.pointer!
                for i in chunk {
                    let out = target.rowPointer(rows.lowerBound + i) + channel
                    for x in 0..<width { out[x * channels] = Out(roundingClamping: acc[i * width + x]) }
                }
            }
        }
    }

    /// The level's values on the strip's rows (row-major, `rows.count × width`, caller deallocates).
    @inlinable static func levelRowsFor<S: PixelSample>(_ source: ImageBuffer<S>, channel: Int, rows: Range<Int>, level: GaussianLevel,
                                             normaliserX: [Double], normaliserY: [Double]) -> UnsafeMutablePointer<Double> {
        let width = source.width, height = source.height, channels = source.channels
        let reach = level.reach
        let output = UnsafeMutablePointer<Double>.allocate(capacity: rows.count * width)
        if case .identity = level.kind {
            for (i, y) in rows.enumerated() {
                let row = source.rowPointer(y)
                for x in 0..<width { output[i * width + x] = row[x * channels + channel].doubleValue }
            }
            return output
        }
        // Horizontal pass over the rows the vertical pass reads: the strip ± reach, zero outside the image.
        let domain = (rows.lowerBound - reach)..<(rows.upperBound + reach)
        let horizontal = UnsafeMutablePointer<Double>.allocate(capacity: domain.count * width)
        defer { horizontal.deallocate() }
        let hP = SendablePointer(horizontal)
        Parallel.forEachChunk(count: domain.count, minimumChunk: 4) { chunk in
            let line = UnsafeMutablePointer<Double>.allocate(capacity: width + 2 * reach)
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * (width + 2 * reach))
            defer { line.deallocate(); scratch.deallocate() }
            for i in chunk {
                let y = domain.lowerBound + i
                let out = hP.pointer! + i * width
                guard y >= 0 && y < height else { out.update(repeating: 0, count: width); continue }
                line.update(repeating: 0, count: width + 2 * reach)
                let row = source.rowPointer(y)
                for x in 0..<width { line[reach + x] = row[x * channels + channel].doubleValue }
                level.filterLine(line + reach, count: width, output: out, scratch: scratch)
                for x in 0..<width { out[x] /= normaliserX[x] }
            }
        }
        // Vertical pass, column chunks walked row by row (contiguous), the same 1-D filter.
        let oP = SendablePointer(output)
        Parallel.forEachChunk(count: width, minimumChunk: 64) { columns in
            let line = UnsafeMutablePointer<Double>.allocate(capacity: domain.count)
            let result = UnsafeMutablePointer<Double>.allocate(capacity: rows.count)
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * domain.count)
            defer { line.deallocate(); result.deallocate(); scratch.deallocate() }
            for x in columns {
                for i in 0..<domain.count { line[i] = hP.pointer![i * width + x] }
                level.filterLine(line + reach, count: rows.count, output: result, scratch: scratch)
                for i in 0..<rows.count { oP.pointer![i * width + x] = result[i] / normaliserY[rows.lowerBound + i] }
            }
        }
        return output
    }
}
