#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One level of the Gaussian stack: the image blurred with a fixed σ, zero outside the image and
/// renormalised by the same linear pipeline applied to the image's indicator.
///
/// Depth 0 levels (σ ≤ ~4) use the exact truncated Gaussian at full resolution (what the reference uses).
/// Deeper levels are computed on the image decimated `depth` times by 2 — each step the binomial
/// [1 3 3 1]/8 (variance 0.75 of that step's pixels, centred between two pixels) then every other sample —
/// blurred there by a sampled Gaussian of the residual σ that makes the total variance exactly σ², and read
/// back at full resolution by Keys' cubic interpolation (which reproduces quadratics, so adds no variance).
/// The residual σ stays ≥ 2 coarse pixels, so the coarse level is smooth where the cubic reads it.
@usableFromInline struct GaussianLevel: Sendable {
    /// The level's σ in image pixels: its kernel's variance, decimation filters included, is σ².
    @usableFromInline let sigma: Double
    /// 0: full resolution; j ≥ 1: computed on the image decimated j times by 2.
    @usableFromInline let depth: Int
    /// The sampled Gaussian (of σ at depth 0, of the residual σ deeper) at the level's resolution, truncated
    /// at ⌊4σ + 0.5⌋ and not normalised (the normaliser divides it out); `[1]` for σ = 0.
    @usableFromInline let weights: [Float]

    /// How far the level's own kernel reaches, in pixels of its resolution.
    @inlinable var reach: Int { weights.count / 2 }

    /// The smallest residual σ, in coarse pixels, a decimated level may have.
    @usableFromInline static let minimumResidualSigma = 2.0

    /// Variance, in image pixels², that `depth` decimation steps add: Σ 0.75·4^i for i < depth.
    @inlinable static func prefilterVariance(depth: Int) -> Double { (scale(depth) * scale(depth) - 1) / 4 }

    /// Image pixels per coarse pixel at `depth`.
    @inlinable static func scale(_ depth: Int) -> Double { Double(1 << depth) }

    /// The level of σ, as deep as the residual σ ≥ ``minimumResidualSigma`` allows.
    ///
    /// With `extent` (the image's larger side), the level is built for images no larger: its depth stops at
    /// ``maximumDepth(extent:)`` (where a line has only a few coarse samples left) and its kernel is cut at
    /// ``reachNeeded(extent:depth:)``, beyond which it would only multiply zeros (the pipeline and the
    /// normaliser read nothing further), so the result is the same and memory stays bounded for any σ.
    @usableFromInline init(sigma: Double, extent: Int? = nil) {
        self.sigma = sigma
        var depth = 0
        let deepest = extent.map(Self.maximumDepth(extent:)) ?? 62
        func residualVariance(_ j: Int) -> Double { (sigma * sigma - Self.prefilterVariance(depth: j)) / (Self.scale(j) * Self.scale(j)) }
        while depth < deepest, residualVariance(depth + 1) >= Self.minimumResidualSigma * Self.minimumResidualSigma { depth += 1 }
        self.depth = depth
        let s = residualVariance(depth).squareRoot()
        if s == 0 {
            weights = [1]
        } else {
            let cut = extent.map { Double(Self.reachNeeded(extent: $0, depth: depth)) } ?? .infinity
            let radius = Int(Swift.min(4 * s + 0.5, cut))
            weights = (-radius...radius).map { Float(exp(-0.5 * Double($0 * $0) / (s * s))) }
        }
    }

    /// The deepest level worth computing for lines of up to `extent` pixels: the first depth whose last
    /// nonzero coarse sample is 4 or less (a line of at most six coarse samples, −1 … 4).
    @inlinable static func maximumDepth(extent: Int) -> Int {
        var depth = 0
        while lastNonzero(count: extent, depth: depth) > 4 { depth += 1 }
        return depth
    }

    /// How far a level's kernel at `depth` can reach anything nonzero, in pixels of that depth, for lines of up
    /// to `extent` pixels: outputs are read at coarse indices −2 ..< ``coarseCount(imageCount:depth:)`` + 2 and the
    /// data are nonzero on −1 … last (full resolution: 0 ..< extent).
    @inlinable static func reachNeeded(extent: Int, depth: Int) -> Int {
        depth == 0 ? Swift.max(0, extent - 1) : coarseCount(imageCount: extent, depth: depth) + 4
    }

    /// The σ above which nothing changes any more for an image of `width`×`height`: 4096 × its diagonal D (at
    /// least 1). Every Gaussian weight between two pixels of the image, exp(−d²/2σ²) with d ≤ D, is then
    /// within 2⁻²⁵ of 1 (`Float` rounds it to 1), so a larger σ changes the exact result by less than
    /// 2⁻²⁵/(1 − 2⁻²⁵) ≈ 3·10⁻⁸ of the image's value range (see docs/blur.md): the kernel clamps σ there.
    @inlinable static func sigmaLimit(width: Int, height: Int) -> Double {
        let w = Double(Swift.max(0, width - 1)), h = Double(Swift.max(0, height - 1))
        return 4096 * Swift.max(1, (w * w + h * h).squareRoot())
    }

    /// Levels spaced finely where the Gaussian's shape changes fast in σ (small σ) and by 2^(1/6) beyond,
    /// up to at least `maximumSigma`. Interpolating between neighbours in σ² keeps the variance exact.
    /// `extent`: see ``init(sigma:extent:)``.
    @usableFromInline static func ladder(upTo maximumSigma: Double, extent: Int? = nil) -> [GaussianLevel] {
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
        return sigmas.map { GaussianLevel(sigma: $0, extent: extent) }
    }

    /// The last nonzero index of a line after one decimation step, given the last nonzero index before
    /// (a line nonzero on [0, n) stays nonzero on [−1, last] at every depth).
    @inlinable static func decimatedLast(_ last: Int) -> Int { (last + 1) >> 1 }

    /// The last nonzero index at `depth` of a line of `count` pixels.
    @inlinable static func lastNonzero(count: Int, depth: Int) -> Int {
        var last = count - 1
        for _ in 0..<depth { last = decimatedLast(last) }
        return last
    }

    /// Keys' cubic (a = −0.5) reading the coarse line at image position `x`: coarse sample i sits at image
    /// position 2^depth·i + (2^depth − 1)/2; returns the first of the four coarse indices and their weights.
    @inlinable static func cubicTap(_ x: Int, depth: Int) -> (first: Int, weights: SIMD4<Double>) {
        let step = scale(depth)
        let u = (Double(x) - (step - 1) / 2) / step
        let i = u.rounded(.down), t = u - i
        let t2 = t * t, t3 = t2 * t
        return (Int(i) - 1, SIMD4(-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1,
                                  -1.5 * t3 + 2 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2))
    }

    /// The coarse columns (or rows) `0..<count` a deep level must hold so that every cubic read of a line of
    /// `imageCount` pixels, and every decimation read, stays inside (columns −2 and −1 are held too).
    @inlinable static func coarseCount(imageCount: Int, depth: Int) -> Int {
        Swift.max(cubicTap(imageCount - 1, depth: depth).first + 4, lastNonzero(count: imageCount, depth: depth) + 1)
    }

    /// The level's pipeline applied to the indicator of `0..<count`: what each position's in-bounds weights
    /// add up to (the renormalisation), in `Double`.
    @usableFromInline func normaliser(count: Int) -> [Double] { filter([Double](repeating: 1, count: count)) }

    /// The level's 1-D pipeline (zero outside the line, not renormalised) in `Double`, one step after the
    /// other: what the row pipeline computes along each axis. Gives the normalisers, and the tests' reference.
    @usableFromInline func filter(_ line: [Double]) -> [Double] {
        let w = weights.map(Double.init), radius = reach, count = line.count
        if depth == 0 {
            return (0..<count).map { x in
                var sum = 0.0
                for d in Swift.max(-radius, -x)...Swift.min(radius, count - 1 - x) { sum += w[d + radius] * line[x + d] }
                return sum
            }
        }
        // The line at each depth, indices first..<first + values.count, zero elsewhere.
        var values = line, first = 0, last = count - 1
        func at(_ i: Int) -> Double { i >= first && i - first < values.count ? values[i - first] : 0 }
        for _ in 0..<depth {
            let next = Self.decimatedLast(last)
            values = (-1...next).map { i in (at(2 * i - 1) + 3 * at(2 * i) + 3 * at(2 * i + 1) + at(2 * i + 2)) * 0.125 }
            first = -1
            last = next
        }
        let blurredFirst = -2, blurredCount = Self.coarseCount(imageCount: count, depth: depth) + 2
        let blurred = (0..<blurredCount).map { k in
            var sum = 0.0
            for d in 0..<w.count { sum += w[d] * at(blurredFirst + k - radius + d) }
            return sum
        }
        return (0..<count).map { x in
            let tap = Self.cubicTap(x, depth: depth)
            var sum = 0.0
            for t in 0..<4 { sum += tap.weights[t] * blurred[tap.first + t - blurredFirst] }
            return sum
        }
    }
}

/// Rows of one resolution, produced in order and kept in a ring: row i lives in slot i mod capacity.
/// Each row holds `columns` values plus `margin` zeros-or-values on each side.
@usableFromInline final class FloatRowRing {
    @usableFromInline let storage: UnsafeMutablePointer<Float>
    @usableFromInline let capacity: Int
    @usableFromInline let stride: Int
    @usableFromInline let margin: Int
    /// The next row to produce; rows next − capacity ..< next are held.
    @usableFromInline var next: Int

    @inlinable init(capacity: Int, columns: Int, margin: Int, firstRow: Int) {
        self.capacity = capacity
        self.margin = margin
        stride = columns + 2 * margin
        next = firstRow
        storage = .allocate(capacity: capacity * stride)
        storage.initialize(repeating: 0, count: capacity * stride)
    }

    deinit { storage.deallocate() }

    @inlinable func slot(_ i: Int) -> UnsafeMutablePointer<Float> {
        storage + (((i % capacity) + capacity) % capacity) * stride + margin
    }

    /// Column 0 of row `i`, which must have been produced and still be held.
    @inlinable func row(_ i: Int) -> UnsafeMutablePointer<Float> {
        precondition(i < next && i >= next - capacity, "row \(i) is not held (next \(next), capacity \(capacity))")
        return slot(i)
    }
}

/// The variable Gaussian of one channel, a row at a time, with every intermediate kept in rings a few dozen
/// rows tall: the input rows the full-resolution levels read, the image decimated 1, 2, … times, and the
/// last rows of each deep level.
@usableFromInline final class GaussianRowPipeline<S: PixelSample> {
    @usableFromInline let source: ImageBuffer<S>
    @usableFromInline let channel: Int
    @usableFromInline let levels: [GaussianLevel]
    @usableFromInline let tables: GaussianTables
    @usableFromInline let input: FloatRowRing
    /// Index j − 1 holds depth j.
    @usableFromInline let decimated: [FloatRowRing]
    /// Per level: a ring of its rows (deep levels only) and the row each slot holds.
    @usableFromInline let levelRows: [FloatRowRing?]
    @usableFromInline var levelTags: [[Int]]
    /// Per level: its value along the current image row (depth 0), or its coarse row interpolated to the
    /// current image row (deeper), at column 0 of a row with the level depth's margins.
    @usableFromInline let rowValues: [UnsafeMutablePointer<Float>]
    @usableFromInline let rowStorage: UnsafeMutablePointer<Float>
    /// A row of any depth, at column 0 of an allocation with `scratchMargin` columns before and after.
    @usableFromInline let scratch: UnsafeMutablePointer<Float>
    @usableFromInline let scratchMargin: Int
    @usableFromInline let sources: UnsafeMutablePointer<UnsafePointer<Float>>
    @usableFromInline let tapWeights: UnsafeMutablePointer<Float>

    @inlinable init(source: ImageBuffer<S>, channel: Int, tables: GaussianTables, firstRow: Int) {
        self.source = source
        self.channel = channel
        self.tables = tables
        levels = tables.levels
        let width = source.width
        input = FloatRowRing(capacity: 2 * tables.fineReach + 3, columns: width, margin: tables.fineReach + 3,
                             firstRow: firstRow - tables.fineReach)
        // The first row each depth produces: what its levels read for `firstRow`, and what the next depth's
        // first row reads.
        var firsts = [Int](repeating: 0, count: tables.maximumDepth + 1)
        for j in stride(from: tables.maximumDepth, through: 1, by: -1) {
            var first = GaussianLevel.cubicTap(firstRow, depth: j).first - tables.depthReach[j]
            if j < tables.maximumDepth { first = Swift.min(first, 2 * firsts[j + 1] - 1) }
            firsts[j] = first
        }
        decimated = (1..<(tables.maximumDepth + 1)).map { j in
            FloatRowRing(capacity: tables.ringCapacity[j], columns: tables.columns[j], margin: tables.margin[j], firstRow: firsts[j])
        }
        levelRows = levels.map { level in
            level.depth == 0 ? nil : FloatRowRing(capacity: 8, columns: tables.columns[level.depth], margin: tables.margin[level.depth], firstRow: 0)
        }
        levelTags = levels.map { _ in [Int](repeating: .min, count: 8) }
        let strides = levels.map { $0.depth == 0 ? width : tables.columns[$0.depth] + 2 * tables.margin[$0.depth] }
        rowStorage = .allocate(capacity: strides.reduce(0, +))
        rowStorage.initialize(repeating: 0, count: strides.reduce(0, +))
        var offset = 0
        var pointers = [UnsafeMutablePointer<Float>]()
        for (k, level) in levels.enumerated() {
            pointers.append(rowStorage + offset + (level.depth == 0 ? 0 : tables.margin[level.depth]))
            offset += strides[k]
        }
        rowValues = pointers
        scratchMargin = (tables.margin.max() ?? 0) + tables.fineReach + 4
        let scratchCount = (tables.columns.max() ?? 0) + 2 * scratchMargin
        let scratchStorage = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
        scratchStorage.initialize(repeating: 0, count: scratchCount)
        scratch = scratchStorage + scratchMargin
        let taps = Swift.max(4, levels.map(\.weights.count).max() ?? 1)
        sources = .allocate(capacity: taps)
        tapWeights = .allocate(capacity: taps)
        tapWeights.initialize(repeating: 0, count: taps)
    }

    deinit {
        rowStorage.deallocate()
        (scratch - scratchMargin).deallocate()
        sources.deallocate()
        tapWeights.deallocate()
    }

    /// out[x] = Σ_t weights[t]·sources[t][x] for x in 0..<count, eight lanes at a time.
    @inlinable static func weightedSum(_ sources: UnsafePointer<UnsafePointer<Float>>, _ weights: UnsafePointer<Float>,
                                       taps: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        var x = 0
        while x + 32 <= count {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            for t in 0..<taps {
                let p = UnsafeRawPointer(sources[t] + x), w = SIMD8<Float>(repeating: weights[t])
                a0 += w * p.loadUnaligned(as: SIMD8<Float>.self)
                a1 += w * p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                a2 += w * p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                a3 += w * p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
            }
            let o = UnsafeMutableRawPointer(out + x)
            o.storeBytes(of: a0, as: SIMD8<Float>.self)
            o.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
            o.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
            o.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
            x += 32
        }
        while x < count {
            var sum: Float = 0
            for t in 0..<taps { sum += weights[t] * sources[t][x] }
            out[x] = sum
            x += 1
        }
    }

    /// ``weightedSum(_:_:taps:count:into:)`` for a symmetric kernel (an odd number of taps, weights[t] ==
    /// weights[taps − 1 − t]): the two sources of each pair are added before their one multiply.
    @inlinable static func symmetricSum(_ sources: UnsafePointer<UnsafePointer<Float>>, _ weights: UnsafePointer<Float>,
                                        taps: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let half = taps / 2
        var x = 0
        while x + 32 <= count {
            let c = UnsafeRawPointer(sources[half] + x), wc = SIMD8<Float>(repeating: weights[half])
            var a0 = wc * c.loadUnaligned(as: SIMD8<Float>.self)
            var a1 = wc * c.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            var a2 = wc * c.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
            var a3 = wc * c.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
            for t in 0..<half {
                let p = UnsafeRawPointer(sources[t] + x), q = UnsafeRawPointer(sources[taps - 1 - t] + x)
                let w = SIMD8<Float>(repeating: weights[t])
                a0 += w * (p.loadUnaligned(as: SIMD8<Float>.self) + q.loadUnaligned(as: SIMD8<Float>.self))
                a1 += w * (p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self) + q.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                a2 += w * (p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self) + q.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
                a3 += w * (p.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self) + q.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
            }
            let o = UnsafeMutableRawPointer(out + x)
            o.storeBytes(of: a0, as: SIMD8<Float>.self)
            o.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
            o.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self)
            o.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
            x += 32
        }
        while x < count {
            var sum = weights[half] * sources[half][x]
            for t in 0..<half { sum += weights[t] * (sources[t][x] + sources[taps - 1 - t][x]) }
            out[x] = sum
            x += 1
        }
    }

    /// Produces input rows (this channel, as `Float`, zero outside the image) up to `row`.
    @inlinable func ensureInput(upTo row: Int) {
        let width = source.width, channels = source.channels
        while input.next <= row {
            let y = input.next
            let out = input.slot(y)
            if y >= 0 && y < source.height {
                let samples = source.rowPointer(y) + channel
                for x in 0..<width { out[x] = Float(samples[x &* channels].doubleValue) }
            } else {
                out.update(repeating: 0, count: width)
            }
            input.next += 1
        }
    }

    /// Produces rows of the image decimated `depth` times up to `row`.
    @inlinable func ensureDecimated(_ depth: Int, upTo row: Int) {
        let ring = decimated[depth - 1]
        while ring.next <= row {
            let r = ring.next
            let out = ring.slot(r)
            (out - ring.margin).update(repeating: 0, count: ring.stride)
            if r >= -1 && r <= tables.lastRow[depth] {
                // Vertical [1 3 3 1]/8 of the finer rows 2r − 1 … 2r + 2 into the scratch row.
                let line = scratch
                if depth == 1 {
                    let width = source.width, channels = source.channels
                    (line - 3).update(repeating: 0, count: width + 6)
                    for (k, factor) in [(2 * r - 1, Float(0.125)), (2 * r, 0.375), (2 * r + 1, 0.375), (2 * r + 2, 0.125)]
                    where k >= 0 && k < source.height {
                        let samples = source.rowPointer(k) + channel
                        for x in 0..<width { line[x] += factor * Float(samples[x &* channels].doubleValue) }
                    }
                } else {
                    ensureDecimated(depth - 1, upTo: 2 * r + 2)
                    let finer = decimated[depth - 2]
                    for (t, factor) in [Float(0.125), 0.375, 0.375, 0.125].enumerated() {
                        sources[t] = UnsafePointer(finer.row(2 * r - 1 + t) - finer.margin)
                        tapWeights[t] = factor
                    }
                    Self.weightedSum(sources, tapWeights, taps: 4, count: finer.stride, into: line - finer.margin)
                }
                // Horizontal [1 3 3 1]/8, every other column.
                for c in -1...tables.lastColumn[depth] {
                    let p = line + 2 * c
                    out[c] = ((p[-1] + p[2]) + 3 * (p[0] + p[1])) * 0.125
                }
            }
            ring.next += 1
        }
    }

    /// Row `i` of deep level `k` (at its depth's resolution), computed on first use.
    @inlinable func levelRow(_ k: Int, _ i: Int) -> UnsafeMutablePointer<Float> {
        let ring = levelRows[k]!, slot = ((i % 8) + 8) % 8
        if levelTags[k][slot] == i { return ring.slot(i) }
        let level = levels[k], depth = level.depth, radius = level.reach
        ensureDecimated(depth, upTo: i + radius)
        let rows = decimated[depth - 1]
        level.weights.withUnsafeBufferPointer { w in
            // Vertical pass over every held column, then the horizontal pass on columns −2 ..< columns.
            for t in 0..<w.count { sources[t] = UnsafePointer(rows.row(i - radius + t) - rows.margin) }
            Self.symmetricSum(sources, w.baseAddress!, taps: w.count, count: rows.stride, into: scratch - rows.margin)
            for t in 0..<w.count { sources[t] = UnsafePointer(scratch - 2 - radius + t) }
            Self.symmetricSum(sources, w.baseAddress!, taps: w.count, count: tables.columns[depth] + 2, into: ring.slot(i) - 2)
        }
        levelTags[k][slot] = i
        return ring.slot(i)
    }

    /// Fills ``rowValues`` for level `k` at image row `y` (``ensureInput(upTo:)`` done for depth 0).
    @inlinable func prepare(_ k: Int, row y: Int) {
        let level = levels[k], out = rowValues[k], width = source.width
        if level.depth == 0 {
            let radius = level.reach
            if radius == 0 { out.update(from: input.row(y), count: width); return }
            level.weights.withUnsafeBufferPointer { w in
                for t in 0..<w.count { sources[t] = UnsafePointer(input.row(y - radius + t) - radius) }
                Self.symmetricSum(sources, w.baseAddress!, taps: w.count, count: width + 2 * radius, into: scratch - radius)
                for t in 0..<w.count { sources[t] = UnsafePointer(scratch - radius + t) }
                Self.symmetricSum(sources, w.baseAddress!, taps: w.count, count: width, into: out)
            }
            let inverseX = tables.inverseNormaliserX[k], inverseY = tables.inverseNormaliserY[k][y]
            for x in 0..<width { out[x] *= inverseX[x] * inverseY }
        } else {
            let depth = level.depth
            let tap = tables.cubicY[depth][y]
            let inverseY = tables.inverseNormaliserY[k][y]
            for t in 0..<4 { _ = levelRow(k, Int(tap.first) + t) }
            for t in 0..<4 {
                sources[t] = UnsafePointer(levelRow(k, Int(tap.first) + t) - 2)
                tapWeights[t] = tap.weights[t] * inverseY
            }
            Self.weightedSum(sources, tapWeights, taps: 4, count: tables.columns[depth] + 2, into: out - 2)
        }
    }

    /// Full-resolution level `k` at one pixel, directly: (2r+1)² taps over the held input rows.
    @inlinable func fineValue(_ k: Int, _ x: Int, _ y: Int) -> Float {
        let level = levels[k], radius = level.reach
        return level.weights.withUnsafeBufferPointer { w in
            var sum: Float = 0
            for t in 0..<w.count {
                let row = input.slot(y - radius + t) + (x - radius)
                var across: Float = 0
                for u in 0..<w.count { across += w[u] * row[u] }
                sum += w[t] * across
            }
            return sum * tables.inverseNormaliserX[k][x] * tables.inverseNormaliserY[k][y]
        }
    }

    /// Blurs rows `rows` of this channel into `target`.
    @inlinable func run<Out: PixelSample, Field: RadiusField>(rows: Range<Int>, sigmas: Field, target: MutableImageBuffer<Out>,
                                                          progress: (@Sendable (Int) -> Void)?) {
        let width = source.width, channels = source.channels, levelCount = levels.count
        let sigmaRow = UnsafeMutablePointer<Double>.allocate(capacity: width)
        let lower = UnsafeMutablePointer<Int32>.allocate(capacity: width)
        let upperWeight = UnsafeMutablePointer<Float>.allocate(capacity: width)
        // Pixels of the row using each level, and whether a full-resolution level is computed only at those
        // pixels (a few pixels: a row of it costs more than (2r+1)² taps at each of them).
        var uses = [Int](repeating: 0, count: levelCount)
        var sparse = [Bool](repeating: false, count: levelCount)
        defer { sigmaRow.deallocate(); lower.deallocate(); upperWeight.deallocate() }
        let levelSigmas = tables.levelSigmas
        let sigmaLimit = tables.sigmaLimit
        var reported = rows.lowerBound
        for y in rows {
            sigmas.loadRow(y, into: sigmaRow)
            // The pair of levels around each pixel's σ and the upper one's weight (in σ², so the variance is σ²).
            tables.bucketStart.withUnsafeBufferPointer { buckets in
                levelSigmas.withUnsafeBufferPointer { ladder in
                    for x in 0..<width {
                        let sigma = Swift.min(sigmaRow[x], sigmaLimit)
                        var l: Int
                        let bucket = sigma * GaussianTables.bucketsPerUnit
                        if bucket < Double(buckets.count) {
                            l = buckets[Int(bucket)]
                            while l + 1 < levelCount && ladder[l + 1] <= sigma { l += 1 }
                        } else {
                            var low = 0, high = levelCount - 1
                            while high - low > 1 {
                                let mid = (low + high) / 2
                                if ladder[mid] <= sigma { low = mid } else { high = mid }
                            }
                            l = low
                        }
                        var w = 0.0
                        if l + 1 < levelCount {
                            let a = ladder[l], b = ladder[l + 1]
                            w = Swift.min(1, Swift.max(0, (sigma * sigma - a * a) / (b * b - a * a)))
                        }
                        lower[x] = Int32(l)
                        upperWeight[x] = Float(w)
                        if w < 1 { uses[l] &+= 1 }
                        if w > 0 { uses[l + 1] &+= 1 }
                    }
                }
            }
            ensureInput(upTo: y + tables.fineReach)
            // Every depth advances with the rows, whether this row uses it or not: a depth first used far below
            // the band's first row would otherwise catch up from finer rows its ring no longer holds (a σ map
            // rising down the image trapped there). The targets are what a row using every level requests,
            // which the ring capacities are built for; decimated rows depend only on the input, so results
            // are unchanged.
            for depth in stride(from: tables.maximumDepth, through: 1, by: -1) {
                ensureDecimated(depth, upTo: Int(tables.cubicY[depth][y].first) + 3 + tables.depthReach[depth])
            }
            for k in 0..<levelCount {
                let level = levels[k]
                sparse[k] = level.depth == 0 && level.reach > 0 && uses[k] * level.weights.count * 4 < width
                if uses[k] > 0 && !sparse[k] { prepare(k, row: y) }
                uses[k] = 0
            }
            // Each pixel: its two levels' values at x (deep levels through the horizontal cubic).
            let out = target.rowPointer(y) + channel
            let samples = source.rowPointer(y) + channel
            rowValues.withUnsafeBufferPointer { values in
                tables.levelDepths.withUnsafeBufferPointer { depths in
                    tables.inverseNormaliserX.withUnsafeBufferPointer { inverseX in
                        tables.cubicX.withUnsafeBufferPointer { cubic in
                            @inline(__always) func value(_ k: Int, _ x: Int) -> Float {
                                let depth = Int(depths[k])
                                if depth == 0 { return sparse[k] ? fineValue(k, x, y) : values[k][x] }
                                let tap = cubic[depth][x]
                                let near = UnsafeRawPointer(values[k] + Int(tap.first)).loadUnaligned(as: SIMD4<Float>.self)
                                return (tap.weights * near).sum() * inverseX[k][x]
                            }
                            for x in 0..<width {
                                let l = Int(lower[x]), w = upperWeight[x]
                                if l == 0 && w == 0 {
                                    out[x &* channels] = VariableBlur.sample(samples[x &* channels].doubleValue)
                                    continue
                                }
                                var v: Float = 0
                                if w < 1 { v += (1 - w) * value(l, x) }
                                if w > 0 { v += w * value(l + 1, x) }
                                out[x &* channels] = VariableBlur.sample(Double(v))
                            }
                        }
                    }
                }
            }
            if let progress, y + 1 - reported >= 64 || y + 1 == rows.upperBound {
                progress(y + 1 - reported)
                reported = y + 1
            }
        }
    }
}

/// What every row pipeline shares: the levels, their normalisers, the cubic taps and the layout of each depth.
@usableFromInline final class GaussianTables: @unchecked Sendable {
    @usableFromInline let levels: [GaussianLevel]
    @usableFromInline let levelSigmas: [Double]
    @usableFromInline let levelDepths: [Int32]
    @usableFromInline let maximumDepth: Int
    /// The largest reach of the depth-0 levels.
    @usableFromInline let fineReach: Int
    /// Per depth (index j; index 0 unused): largest level reach, held columns, margin, last nonzero row and
    /// column, ring rows.
    @usableFromInline let depthReach: [Int]
    @usableFromInline let columns: [Int]
    @usableFromInline let margin: [Int]
    @usableFromInline let lastRow: [Int]
    @usableFromInline let lastColumn: [Int]
    @usableFromInline let ringCapacity: [Int]
    /// Per depth: the cubic taps of every image column and row (first index, weights).
    @usableFromInline let cubicX: [UnsafeMutablePointer<CubicTap>]
    @usableFromInline let cubicY: [UnsafeMutablePointer<CubicTap>]
    /// Per level: 1 / normaliser along x and along y.
    @usableFromInline let inverseNormaliserX: [UnsafeMutablePointer<Float>]
    @usableFromInline let inverseNormaliserY: [UnsafeMutablePointer<Float>]
    /// For σ·8 below the table's length: the largest level with σ_k ≤ that bucket's lower end.
    @usableFromInline let bucketStart: [Int]
    @usableFromInline static let bucketsPerUnit = 8.0

    @usableFromInline struct CubicTap: Sendable {
        @usableFromInline var first: Int32
        @usableFromInline var weights: SIMD4<Float>
    }

    /// σ values above this are computed as this (``GaussianLevel/sigmaLimit(width:height:)``).
    @usableFromInline let sigmaLimit: Double

    /// The shape of every depth's rows and rings for `levels` on rows `width` wide: what the tables and each
    /// row pipeline allocate, computed without allocating (the memory estimate uses it too).
    @usableFromInline struct Layout {
        @usableFromInline let maximumDepth: Int, fineReach: Int
        @usableFromInline let depthReach: [Int], columns: [Int], margin: [Int], ringCapacity: [Int]

        @usableFromInline init(levels: [GaussianLevel], width: Int) {
            let depth = levels.map(\.depth).max() ?? 0
            maximumDepth = depth
            fineReach = levels.filter { $0.depth == 0 }.map(\.reach).max() ?? 0
            var depthReach = [Int](repeating: 0, count: depth + 1)
            for level in levels where level.depth > 0 { depthReach[level.depth] = Swift.max(depthReach[level.depth], level.reach) }
            self.depthReach = depthReach
            columns = (0...depth).map { $0 == 0 ? width : GaussianLevel.coarseCount(imageCount: width, depth: $0) }
            margin = depthReach.map { $0 + 4 }
            // How far ahead of an image row's position the rows of each depth get produced (the deeper depths
            // pull their finer rows ahead), and how far behind they are still read.
            var ahead = [Int](repeating: 0, count: depth + 2)
            for j in stride(from: depth, through: 1, by: -1) { ahead[j] = Swift.max(depthReach[j] + 4, 2 * ahead[j + 1] + 4) }
            ringCapacity = (0...depth).map { ahead[$0] + depthReach[$0] + 12 }
        }

        /// Bytes of one ``GaussianRowPipeline`` (one per core): its input ring, the decimated rings, the
        /// deep levels' row rings and the per-level row values, all `Float`.
        func pipelineBytes(levels: [GaussianLevel]) -> MemoryNeed {
            let width = columns[0]
            var floats = MemoryNeed(count: 2 * fineReach + 3, size: width + 2 * (fineReach + 3))
            for j in stride(from: 1, through: maximumDepth, by: 1) {
                floats = floats + MemoryNeed(count: ringCapacity[j], size: columns[j] + 2 * margin[j])
            }
            for level in levels {
                let stride = level.depth == 0 ? width : columns[level.depth] + 2 * margin[level.depth]
                floats = floats + MemoryNeed(count: level.depth == 0 ? 1 : 9, size: stride)
            }
            return floats * MemoryLayout<Float>.size
        }

        /// Bytes of the shared tables: cubic taps per depth and inverse normalisers per level, for every
        /// column and row of a `width` × `height` image.
        func tableBytes(levelCount: Int, width: Int, height: Int) -> MemoryNeed {
            MemoryNeed(count: (maximumDepth + 1) * MemoryLayout<CubicTap>.stride + levelCount * MemoryLayout<Float>.size,
                       size: width + height)
        }
    }

    @usableFromInline init(width: Int, height: Int, maximumSigma: Double) {
        sigmaLimit = GaussianLevel.sigmaLimit(width: width, height: height)
        let levels = GaussianLevel.ladder(upTo: Swift.min(maximumSigma, sigmaLimit), extent: Swift.max(width, height))
        self.levels = levels
        levelSigmas = levels.map(\.sigma)
        levelDepths = levels.map { Int32($0.depth) }
        let layout = Layout(levels: levels, width: width)
        let depth = layout.maximumDepth
        maximumDepth = depth
        fineReach = layout.fineReach
        depthReach = layout.depthReach
        columns = layout.columns
        margin = layout.margin
        ringCapacity = layout.ringCapacity
        lastRow = (0...depth).map { GaussianLevel.lastNonzero(count: height, depth: $0) }
        lastColumn = (0...depth).map { GaussianLevel.lastNonzero(count: width, depth: $0) }
        func taps(_ count: Int, _ j: Int) -> UnsafeMutablePointer<CubicTap> {
            let table = UnsafeMutablePointer<CubicTap>.allocate(capacity: count)
            for i in 0..<count {
                let tap = GaussianLevel.cubicTap(i, depth: j)
                table[i] = CubicTap(first: Int32(tap.first), weights: SIMD4<Float>(tap.weights))
            }
            return table
        }
        cubicX = (0...depth).map { taps(width, $0) }
        cubicY = (0...depth).map { taps(height, $0) }
        func inverse(_ normaliser: [Double]) -> UnsafeMutablePointer<Float> {
            let table = UnsafeMutablePointer<Float>.allocate(capacity: normaliser.count)
            for (i, n) in normaliser.enumerated() { table[i] = Float(1 / n) }
            return table
        }
        inverseNormaliserX = levels.map { inverse($0.normaliser(count: width)) }
        inverseNormaliserY = levels.map { inverse($0.normaliser(count: height)) }
        let buckets = Int(Swift.min(maximumSigma * Self.bucketsPerUnit + 1, 65536))
        var start = [Int](), l = 0
        for b in 0..<buckets {
            let low = Double(b) / Self.bucketsPerUnit
            while l + 1 < levels.count && levels[l + 1].sigma <= low { l += 1 }
            start.append(l)
        }
        bucketStart = start
    }

    deinit {
        for table in cubicX + cubicY { table.deallocate() }
        for table in inverseNormaliserX + inverseNormaliserY { table.deallocate() }
    }
}

extension VariableBlur {
    /// Gaussian blur with a per-pixel σ, renormalised over the in-bounds part of each pixel's kernel
    /// (σ = 0 leaves the pixel as it is).
    ///
    /// The image is blurred at a ladder of fixed σ levels — the exact truncated Gaussian at full resolution
    /// for σ ≤ 4; above, a Gaussian on the image decimated by 2^j (binomial prefilters whose variance is
    /// counted), read back by cubic interpolation — each renormalised at the borders by the same pipeline
    /// applied to the image's indicator. Each pixel interpolates, in σ², between the two levels around its
    /// σ: the result has exactly the requested variance and, measured against the exact per-pixel Gaussian
    /// truncated at 4σ, stays within the error documented in docs/blur.md. Everything runs a row at a time
    /// with a few dozen rows of each resolution held per core, so working memory is a few MB per core.
    ///
    /// - Parameters:
    ///   - memoryBudget: when given, the rows are cut into bands of about `memoryBudget / (width × 64)` rows,
    ///     each started afresh (tests use it to exercise band edges); working memory does not depend on it.
    @inlinable public static func gaussian<S: PixelSample, Out: PixelSample, Field: RadiusField>(
        _ image: Image<S>, sigmas: Field, as output: Out.Type, imageName: String = "image",
        memoryBudget: Int? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(BlurError) -> Image<Out> {
        guard !image.isEmpty else { throw .emptyImage(source: imageName) }
        try sigmas.checkSize(imageWidth: image.width, imageHeight: image.height)
        let maxima = try sigmas.validatedRowMaxima()
        var result = Image<Out>(uninitializedWidth: image.width, height: image.height, channels: image.channels)
        result.withUnsafeMutableBuffer { target in
            gaussian(image, sigmas: sigmas, maximumSigma: maxima.max() ?? 0, into: target, memoryBudget: memoryBudget, progress: progress)
        }
        return result
    }

    /// ``gaussian(_:sigmas:as:imageName:memoryBudget:progress:)`` into memory the caller provides (an output
    /// array, say), which must have the image's width, height and channels. Everything is checked before
    /// `target` is touched.
    @inlinable public static func gaussian<S: PixelSample, Out: PixelSample, Field: RadiusField>(
        _ image: Image<S>, sigmas: Field, into target: MutableImageBuffer<Out>, imageName: String = "image",
        memoryBudget: Int? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(BlurError) {
        precondition(target.width == image.width && target.height == image.height && target.channels == image.channels,
                     "Gaussian target of another size")
        guard !image.isEmpty else { throw .emptyImage(source: imageName) }
        try sigmas.checkSize(imageWidth: image.width, imageHeight: image.height)
        let maxima = try sigmas.validatedRowMaxima()
        gaussian(image, sigmas: sigmas, maximumSigma: maxima.max() ?? 0, into: target, memoryBudget: memoryBudget, progress: progress)
    }

    @inlinable static func gaussian<S: PixelSample, Out: PixelSample, Field: RadiusField>(
        _ image: Image<S>, sigmas: Field, maximumSigma: Double, into target: MutableImageBuffer<Out>,
        memoryBudget: Int?, progress: (@Sendable (Int) -> Void)?
    ) {
        let width = image.width, height = image.height, channels = image.channels
        let tables = GaussianTables(width: width, height: height, maximumSigma: maximumSigma)
        // Bands: a few per core (each pays a short start-up of the deep rings), or smaller when asked.
        let bandRows = memoryBudget.map { Swift.max(1, $0 / (width * 64)) }
            ?? Swift.max(64, (height + 4 * Parallel.coreCount - 1) / (4 * Parallel.coreCount))
        let bandCount = (height + bandRows - 1) / bandRows
        image.withUnsafeBuffer { source in
            Parallel.forEachChunk(count: bandCount) { bands in
                for band in bands {
                    let rows = (band * bandRows)..<Swift.min(height, (band + 1) * bandRows)
                    for channel in 0..<channels {
                        let pipeline = GaussianRowPipeline(source: source, channel: channel, tables: tables, firstRow: rows.lowerBound)
                        pipeline.run(rows: rows, sigmas: sigmas, target: target, progress: channel == channels - 1 ? progress : nil)
                    }
                }
            }
        }
    }
}

extension VariableBlur {
    /// Peak memory of ``gaussian(_:sigmas:as:imageName:memoryBudget:progress:)`` besides its input, for σ up to
    /// `maximumSigma`: the output (of `outputType`; nil when the caller provides the target), the tables every
    /// row shares and one row pipeline per core. Allocates nothing; callers check it against a limit first.
    public static func gaussianMemory(width: Int, height: Int, channels: Int, outputType: SampleType?,
                                      maximumSigma: Double) -> MemoryNeed {
        guard width > 0, height > 0 else { return .zero }
        let limit = GaussianLevel.sigmaLimit(width: width, height: height)
        let sigma = maximumSigma.isNaN ? limit : Swift.min(Swift.max(0, maximumSigma), limit)
        let levels = GaussianLevel.ladder(upTo: sigma, extent: Swift.max(width, height))
        let layout = GaussianTables.Layout(levels: levels, width: width)
        let output = outputType.map { MemoryNeed.image(width: width, height: height, channels: channels, sampleType: $0) } ?? .zero
        return output + layout.tableBytes(levelCount: levels.count, width: width, height: height)
            + layout.pipelineBytes(levels: levels) * Parallel.coreCount
    }
}
