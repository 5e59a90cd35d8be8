/// How far a map of mean residuals wanders within a region of the image, per colour channel: the robust
/// centre and spread of the map over blocks of ``blockSize``² pixels, each block then widened to its 3×3
/// neighbourhood of blocks (median of the centres, second largest spread), so that a region's scale is
/// never taken from a single block that happens to be flat, nor from the one block a strong defect inflates.
///
/// Used by ``HotPixelDetector`` on demosaiced images (no CFA): JPEG and demosaicing leave fixed biases in
/// the mean residual that depend on the region's texture (edges, fine detail, 8×8 block boundaries), which a
/// sample's own temporal spread does not see. A defect must stand out against its region's spread too.
struct RegionalResidualScale: Sendable {
    /// Side of a block in pixels.
    static let blockSize = 16
    /// Column within each 4×4 tile sampled on tile row `y mod 4`: (0,0), (2,1), (1,2), (3,3) as (x, y).
    static let tileColumn = [0, 2, 1, 3]

    let blocksWide: Int
    let blocksHigh: Int
    let channels: Int
    /// Robust centre (median) per block and channel, `(by * blocksWide + bx) * channels + c`.
    private(set) var centre: [Float]
    /// Robust spread (1.4826 × median absolute deviation) per block and channel, at least the floor given.
    private(set) var spread: [Float]
    /// `1 / spread`.
    private let inverseSpread: [Float]
    /// Smallest and largest value of the map over each block (every pixel, not the sample the statistics
    /// take), per channel: `2 * ((by * blocksWide + bx) * channels + c)` and the next. NaNs are passed over.
    let extremes: [Float]

    /// Statistics of the map `value(x, y, c)` over a `width` × `height` image. `floors[c]` is the smallest
    /// spread accepted for channel `c` (a map that is flat by construction must not make any wiggle sure).
    init(width: Int, height: Int, channels: Int, floors: [Float],
         rows value: @Sendable (_ y: Int, _ into: UnsafeMutablePointer<Float>) -> Void) {
        let size = RegionalResidualScale.blockSize
        let wide = Swift.max(1, (width + size - 1) / size), high = Swift.max(1, (height + size - 1) / size)
        blocksWide = wide
        blocksHigh = high
        self.channels = channels
        // One band of block rows per task: the map's rows are made once, into a band buffer.
        let bands = Parallel.mapChunks(count: high, minimumChunk: 1) { blockRows -> ([(Float, Float)], [Float]) in
            var stats: [(Float, Float)] = []
            stats.reserveCapacity(blockRows.count * wide * channels)
            var extremes: [Float] = []
            extremes.reserveCapacity(2 * blockRows.count * wide * channels)
            let rowLength = width * channels
            let band = UnsafeMutablePointer<Float>.allocate(capacity: size * rowLength)
            defer { band.deallocate() }
            let gathered = UnsafeMutablePointer<Float>.allocate(capacity: size * size)
            defer { gathered.deallocate() }
            for by in blockRows {
                let y0 = by * size, rows = Swift.min(size, height - y0)
                for r in 0..<rows { value(y0 + r, band + r * rowLength) }
                for bx in 0..<wide {
                    let x0 = bx * size, columns = Swift.min(size, width - x0)
                    for c in 0..<channels {
                        stats.append(RegionalResidualScale.blockStatistics(x0: x0, columns: columns, y0: y0, rows: rows, channel: c,
                                                                           channels: channels, gathered: gathered) {
                            UnsafePointer(band + $0 * rowLength)
                        })
                    }
                    RegionalResidualScale.appendExtremes(of: UnsafePointer(band + x0 * channels), rows: rows, rowLength: rowLength,
                                                         samples: columns * channels, channels: channels, to: &extremes)
                }
            }
            return (stats, extremes)
        }
        extremes = bands.flatMap { $0.1 }
        let raw = bands.flatMap { $0.0 }
        // Each block's region, in parallel (every entry depends on the block statistics only).
        let regions = raw.withUnsafeBufferPointer { raw in
            let blocks = SendableConstPointer(raw.baseAddress!)
            return Parallel.mapChunks(count: high, minimumChunk: 8) { blockRows -> [(Float, Float)] in
                var regions: [(Float, Float)] = []
                regions.reserveCapacity(blockRows.count * wide * channels)
                for by in blockRows {
                    for bx in 0..<wide {
                        for c in 0..<channels {
                            regions.append(RegionalResidualScale.region(bx: bx, by: by, channel: c, blocksWide: wide, blocksHigh: high,
                                                                        floor: floors[c]) { blocks.pointer![$0 * channels + c] })
                        }
                    }
                }
                return regions
            }.flatMap { $0 }
        }
        centre = regions.map(\.0)
        spread = regions.map(\.1)
        inverseSpread = spread.map { 1 / $0 }
    }

    /// Appends, per channel, the smallest and the largest of the `samples` interleaved values starting at
    /// `start` in each of `rows` rows `rowLength` apart (NaNs passed over). Sixteen lanes at a time: the lane
    /// at offset `o` holds channel `o % channels`, since `start` is a pixel's first sample.
    static func appendExtremes(of start: UnsafePointer<Float>, rows: Int, rowLength: Int, samples: Int, channels: Int,
                               to extremes: inout [Float]) {
        typealias F = SIMD16<Float>
        var low = ChannelValues(), high = ChannelValues()
        for c in 0..<channels {
            low[c] = .infinity
            high[c] = -.infinity
        }
        var offset = 0
        while offset < samples {
            let lanes = Swift.min(16, samples - offset)
            if lanes == 16 {
                var lowest = F(repeating: .infinity), highest = F(repeating: -.infinity)
                for r in 0..<rows {
                    let v = UnsafeRawPointer(start + (r &* rowLength &+ offset)).loadUnaligned(as: F.self)
                    lowest = lowest.replacing(with: v, where: v .< lowest)
                    highest = highest.replacing(with: v, where: v .> highest)
                }
                for lane in 0..<16 {
                    let c = (offset + lane) % channels
                    low[c] = Swift.min(low[c], lowest[lane])
                    high[c] = Swift.max(high[c], highest[lane])
                }
            } else {
                for r in 0..<rows {
                    for lane in 0..<lanes {
                        let v = start[r &* rowLength &+ offset &+ lane], c = (offset + lane) % channels
                        if v < low[c] { low[c] = v }
                        if v > high[c] { high[c] = v }
                    }
                }
            }
            offset += lanes
        }
        for c in 0..<channels {
            extremes.append(low[c])
            extremes.append(high[c])
        }
    }

    /// Whether some pixel of block `block` (`by * blocksWide + bx`) can have `|z| · scale ≥ threshold` in some
    /// channel: z is monotone in the value, so the block's extremes bound it (exactly, rounding included).
    func mayReach(_ threshold: Float, scale: Float, block: Int) -> Bool {
        for c in 0..<channels {
            let index = block * channels + c
            let low = (extremes[2 * index] - centre[index]) * inverseSpread[index]
            let high = (extremes[2 * index + 1] - centre[index]) * inverseSpread[index]
            // Written as "not below", so that a NaN counts as reaching.
            if !(Swift.abs(low) * scale < threshold) || !(Swift.abs(high) * scale < threshold) { return true }
        }
        return false
    }

    /// The centre and spread of the region of block (`bx`, `by`), channel `c`: the median of the centres of the
    /// block and its in-bounds neighbours (row by row), and the second largest of their spreads
    /// (``widenedSpread(_:count:)``), at least `floor`. `block(b)` gives block `b`'s (median, spread).
    @inline(__always)
    static func region(bx: Int, by: Int, channel c: Int, blocksWide wide: Int, blocksHigh high: Int, floor: Float,
                       block: (Int) -> (Float, Float)) -> (Float, Float) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 18) { buffer in
            let centres = buffer.baseAddress!, spreads = centres + 9
            var count = 0
            for ny in Swift.max(0, by - 1)...Swift.min(high - 1, by + 1) {
                for nx in Swift.max(0, bx - 1)...Swift.min(wide - 1, bx + 1) {
                    (centres[count], spreads[count]) = block(ny * wide + nx)
                    count += 1
                }
            }
            let largest = widenedSpread(spreads, count: count)
            return (Quickselect.median(centres, count: count), Swift.max(largest, floor))
        }
    }

    /// Median and robust spread (1.4826 × median absolute deviation) of channel `c` over the block at
    /// (`x0`, `y0`) of `columns` × `rows` pixels; `row(r)` is the block's `r`-th image row (all channels).
    /// `gathered` holds `blockSize²` values.
    static func blockStatistics(x0: Int, columns: Int, y0: Int, rows: Int, channel c: Int, channels: Int,
                                gathered: UnsafeMutablePointer<Float>, row: (Int) -> UnsafePointer<Float>) -> (Float, Float) {
        var count = 0
        // An eighth of the block is enough for robust statistics and keeps selection cheap (it dominated the
        // detection pass; on the 18 accuracy stacks the results equal those from a quarter of it): one sample
        // per row and column of each 4×4 tile, (0,0), (2,1), (1,2), (3,3) as (x, y), which covers the four
        // phases of a 2×2 Bayer pattern alike, on every other group of four rows.
        for r in 0..<rows where (y0 + r) & 4 == 0 || rows <= 4 {
            let source = row(r)
            var x = x0 + tileColumn[(y0 + r) & 3]
            while x < x0 + columns {
                gathered[count] = source[x * channels + c]
                count += 1
                x += 4
            }
        }
        if count == 0 {
            // A sliver of a block (under four columns): take what there is.
            for r in 0..<rows {
                let source = row(r)
                for x in x0..<(x0 + columns) {
                    gathered[count] = source[x * channels + c]
                    count += 1
                }
            }
        }
        if count == 32, let median = middleOfThirtyTwo(gathered) {
            // A whole block (the usual case): both medians by a sorting network, without branches.
            for i in 0..<count { gathered[i] = Swift.abs(gathered[i] - median) }
            if let spread = middleOfThirtyTwo(gathered) { return (median, 1.4826 * spread) }
        }
        let median = Quickselect.median(gathered, count: count)
        for i in 0..<count { gathered[i] = Swift.abs(gathered[i] - median) }
        return (median, 1.4826 * Quickselect.median(gathered, count: count))
    }

    /// The compare-exchanges of Batcher's odd-even merge sort of 32 values (191 of them).
    static let sortingNetwork32: [(Int32, Int32)] = {
        var pairs: [(Int32, Int32)] = []
        let n = 32
        var p = 1
        while p < n {
            var k = p
            while k >= 1 {
                var j = k % p
                while j + k < n {
                    for i in 0..<Swift.min(k, n - j - k) where (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        pairs.append((Int32(i + j), Int32(i + j + k)))
                    }
                    j += 2 * k
                }
                k /= 2
            }
            p *= 2
        }
        return pairs
    }()

    /// ``Quickselect/median(_:count:)`` of exactly 32 values, `½ (16th + 17th smallest)`, sorted by a fixed network of
    /// minima and maxima instead of quickselect, whose unpredictable branches made the block statistics the
    /// detection's largest cost: the same two values as a sort's, so the same median. Sorts the values in
    /// place. Nil (values untouched) when one is NaN, which has no place in an order: the caller then uses
    /// quickselect as before.
    static func middleOfThirtyTwo(_ values: UnsafeMutablePointer<Float>) -> Float? {
        for i in 0..<32 where values[i].isNaN { return nil }
        sortingNetwork32.withUnsafeBufferPointer { pairs in
            for (i, j) in pairs {
                // A two-lane select, so that the exchange compiles to a compare and blends, not a branch
                // (a scalar `b < a ? b : a` became one, mispredicted half the time).
                let pair = SIMD2(values[Int(i)], values[Int(j)]), swapped = SIMD2(pair[1], pair[0])
                values[Int(i)] = pair.replacing(with: swapped, where: swapped .< pair)[0]
                values[Int(j)] = pair.replacing(with: swapped, where: pair .< swapped)[0]
            }
        }
        return 0.5 * (values[15] + values[16])
    }

    /// The robust z of `value` against the region around pixel (`x`, `y`) of channel `c` of the map `map`
    /// (`width` × `height` × `channels`), computed for that one block and its neighbours: the same figure, bit
    /// for bit, as ``z(_:x:y:channel:)`` of a scale made over the whole map, for the few samples that need it.
    static func z(_ value: Float, x: Int, y: Int, channel c: Int, map: UnsafePointer<Float>, width: Int, height: Int,
                  channels: Int, floor: Float) -> Float {
        var blocks = BlockCache(map: map, width: width, height: height, channels: channels)
        return blocks.z(value, x: x, y: y, channel: c, floor: floor)
    }

    /// The regional scale of a map computed only where samples ask for it, keeping every block's statistics
    /// once made: the figures of a scale made over the whole map (same blocks, same order, same arithmetic).
    /// The mean-residual map needs it for the few samples that near a threshold (by a numpy estimate, about a
    /// hundred pixels of the 40-frame 3872×2592 bench stack), where the whole map's scale took ~0.2 s of CPU.
    struct BlockCache {
        let map: UnsafePointer<Float>
        let width: Int, height: Int, channels: Int
        let blocksWide: Int, blocksHigh: Int
        private var blocks: [Int: (Float, Float)] = [:]

        init(map: UnsafePointer<Float>, width: Int, height: Int, channels: Int) {
            self.map = map
            self.width = width
            self.height = height
            self.channels = channels
            blocksWide = Swift.max(1, (width + blockSize - 1) / blockSize)
            blocksHigh = Swift.max(1, (height + blockSize - 1) / blockSize)
        }

        /// Robust z of `value` at pixel (`x`, `y`), channel `c`, with `floor` the channel's smallest spread.
        mutating func z(_ value: Float, x: Int, y: Int, channel c: Int, floor: Float) -> Float {
            let size = blockSize
            let (centre, spread) = RegionalResidualScale.region(bx: x / size, by: y / size, channel: c, blocksWide: blocksWide,
                                                                blocksHigh: blocksHigh, floor: floor) { block($0, channel: c) }
            return (value - centre) * (1 / spread)
        }

        private mutating func block(_ index: Int, channel c: Int) -> (Float, Float) {
            let key = index * channels + c
            if let known = blocks[key] { return known }
            let size = blockSize
            let x0 = (index % blocksWide) * size, y0 = (index / blocksWide) * size
            let map = map, rowLength = width * channels
            let statistics = withUnsafeTemporaryAllocation(of: Float.self, capacity: size * size) { gathered in
                blockStatistics(x0: x0, columns: Swift.min(size, width - x0), y0: y0, rows: Swift.min(size, height - y0),
                                channel: c, channels: channels, gathered: gathered.baseAddress!) { map + (y0 + $0) * rowLength }
            }
            blocks[key] = statistics
            return statistics
        }
    }

    /// The spread of a region from the spreads of its (up to 9) blocks: the second largest, not the largest,
    /// because a strong defect inflates its own block's spread.
    static func widenedSpread(_ spreads: UnsafePointer<Float>, count: Int) -> Float {
        var largest: Float = 0, secondLargest: Float = 0
        for i in 0..<count {
            let spread = spreads[i]
            if spread > largest {
                secondLargest = largest
                largest = spread
            } else {
                secondLargest = Swift.max(secondLargest, spread)
            }
        }
        return count >= 4 ? secondLargest : largest
    }

    /// For every pixel of row `y` of `map` (`width` pixels, channels interleaved), the robust z of the channel
    /// whose |z| is largest, and that channel. One pass per block: the pixels of a block share its scale.
    /// `blocks`, when given, limits this to the pixels of those blocks (columns of blocks of the row).
    func strongestZ(row: UnsafePointer<Float>, y: Int, width: Int, z: UnsafeMutablePointer<Float>,
                    channel: UnsafeMutablePointer<Int32>, blocks: Range<Int>? = nil) {
        let size = RegionalResidualScale.blockSize
        let blockRow = (y / size) * blocksWide
        centre.withUnsafeBufferPointer { centre in
            inverseSpread.withUnsafeBufferPointer { inverse in
                for bx in blocks ?? 0..<blocksWide {
                    let start = bx * size, end = Swift.min(width, start + size)
                    let block = (blockRow + bx) * channels
                    var middle = ChannelValues(), scale = ChannelValues()
                    for c in 0..<channels {
                        middle[c] = centre[block + c]
                        scale[c] = inverse[block + c]
                    }
                    for x in start..<end {
                        // Selects rather than branches: which channel wins is unpredictable.
                        var best: Float = 0, bestChannel: Int32 = 0
                        for c in 0..<channels {
                            let value = (row[x &* channels &+ c] - middle[c]) * scale[c]
                            let better = Swift.abs(value) > Swift.abs(best)
                            best = better ? value : best
                            bestChannel = better ? Int32(c) : bestChannel
                        }
                        z[x] = best
                        channel[x] = bestChannel
                    }
                }
            }
        }
    }

    /// Robust z of `value` at pixel (`x`, `y`), channel `c`.
    @inline(__always) func z(_ value: Float, x: Int, y: Int, channel c: Int) -> Float {
        let size = RegionalResidualScale.blockSize
        let index = ((y / size) * blocksWide + x / size) * channels + c
        return (value - centre[index]) * inverseSpread[index]
    }
}

/// A matched filter for one defective photosite as a demosaiced image shows it in the mean-residual map.
///
/// Bilinear demosaicing spreads a photosite's excess over its 3×3 neighbourhood as the tent
/// `[½ 1 ½]ᵀ[½ 1 ½]`; the residual against the ring median then removes, at each pixel, about the ring's mean of
/// that blob. The footprint in the mean-residual map is therefore `b − R∗b` (`b` the tent, `R` the mean of
/// the 8-pixel ring), a 5×5 kernel with a positive centre and a negative surround. Correlating the map with
/// it sums the evidence that demosaicing and JPEG spread over the neighbours, which a single sample's
/// t statistic leaves out.
enum DemosaicFootprint {
    /// The 5×5 kernel, row-major.
    static let kernel: [Float] = {
        var blob = [Float](repeating: 0, count: 25)
        let tent: [Float] = [0.5, 1, 0.5]
        for dy in 0..<3 { for dx in 0..<3 { blob[(dy + 1) * 5 + dx + 1] = tent[dy] * tent[dx] } }
        var kernel = blob
        for y in 0..<5 {
            for x in 0..<5 {
                var ring: Float = 0
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let ny = y + dy, nx = x + dx
                        if ny >= 0, ny < 5, nx >= 0, nx < 5 { ring += blob[ny * 5 + nx] }
                    }
                }
                kernel[y * 5 + x] -= ring / 8
            }
        }
        return kernel
    }()

    /// Euclidean norm of the kernel: the filtered map's noise for independent unit noise in the map.
    static let norm: Float = kernel.reduce(0) { $0 + $1 * $1 }.squareRoot()

    /// Row `y` of the filtered map (all channels, interleaved) of the `width` × `height` × `channels` map
    /// `map`, borders extended with the nearest value, at the pixels of `columns` (all of them by default; the
    /// rest of `output` is left as it was). `scratch` holds `2 · width · channels` values.
    ///
    /// Separable: with `t = [½ 1 ½]` and `u = box₃ ∗ t = [½ 3⁄2 2 3⁄2 ½]`, `R∗b = (box₃∗b − b)/8`, so the kernel
    /// is `9⁄8 (t⊗t) − 1⁄8 (u⊗u)`: two separable passes of 3 and 5 taps instead of 25 taps. Every pixel gets
    /// the same value whatever `columns` is.
    static func row(_ map: UnsafePointer<Float>, width: Int, height: Int, channels: Int, y: Int,
                    into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                    columns: Range<Int>? = nil) -> Void {
        let columns = columns ?? 0..<width
        guard !columns.isEmpty else { return }
        let rowLength = width * channels
        func source(_ dy: Int) -> UnsafePointer<Float> { map + Swift.min(height - 1, Swift.max(0, y + dy)) * rowLength }
        let above2 = source(-2), above = source(-1), centre = source(0), below = source(1), below2 = source(2)
        let narrow = scratch, wide = scratch + rowLength
        // Wrapping index arithmetic (indices stay in range): overflow checks would keep these loops scalar.
        // The vertical pass covers the columns and the two beside them on either side.
        var i = Swift.max(0, columns.lowerBound - 2) * channels
        let verticalEnd = Swift.min(width, columns.upperBound + 2) * channels
        while i < verticalEnd {
            narrow[i] = 0.5 * (above[i] + below[i]) + centre[i]
            wide[i] = 0.5 * (above2[i] + below2[i]) + 1.5 * (above[i] + below[i]) + 2 * centre[i]
            i &+= 1
        }
        @inline(__always) func at(_ row: UnsafeMutablePointer<Float>, _ x: Int, _ c: Int) -> Float {
            row[Swift.min(width - 1, Swift.max(0, x)) * channels + c]
        }
        // Interior pixels as one flat loop over the interleaved samples (neighbours are ±channels apart).
        let interiorStart = Swift.max(2, columns.lowerBound), interiorEnd = Swift.min(width - 2, columns.upperBound)
        if interiorStart < interiorEnd {
            let one = channels, two = 2 * channels
            var j = interiorStart * channels
            let end = interiorEnd * channels
            while j < end {
                let t = 0.5 * (narrow[j &- one] + narrow[j &+ one]) + narrow[j]
                let u = 0.5 * (wide[j &- two] + wide[j &+ two]) + 1.5 * (wide[j &- one] + wide[j &+ one]) + 2 * wide[j]
                output[j] = 1.125 * t - 0.125 * u
                j &+= 1
            }
        }
        // The two pixels at either end, whose taps are clamped to the row.
        func border(_ pixels: Range<Int>) {
            for x in pixels.clamped(to: columns) {
                for c in 0..<channels {
                    let t = 0.5 * (at(narrow, x - 1, c) + at(narrow, x + 1, c)) + at(narrow, x, c)
                    let u = 0.5 * (at(wide, x - 2, c) + at(wide, x + 2, c))
                        + 1.5 * (at(wide, x - 1, c) + at(wide, x + 1, c)) + 2 * at(wide, x, c)
                    output[x * channels + c] = 1.125 * t - 0.125 * u
                }
            }
        }
        let left = 0..<Swift.min(2, width)
        border(left)
        border(Swift.max(left.upperBound, width - 2)..<width)
    }

    /// The same row by direct 5×5 correlation with ``kernel``: the reference the tests compare `row` with.
    static func referenceRow(_ map: UnsafePointer<Float>, width: Int, height: Int, channels: Int, y: Int) -> [Float] {
        var output = [Float](repeating: 0, count: width * channels)
        for x in 0..<width {
            for c in 0..<channels {
                var sum: Float = 0
                for ky in 0..<5 {
                    let ny = Swift.min(height - 1, Swift.max(0, y + ky - 2))
                    for kx in 0..<5 {
                        let nx = Swift.min(width - 1, Swift.max(0, x + kx - 2))
                        sum += kernel[ky * 5 + kx] * map[(ny * width + nx) * channels + c]
                    }
                }
                output[x * channels + c] = sum
            }
        }
        return output
    }
}
