/// The exact variable box mean for whole radii, on column stripes whose summed-area table rows live in a ring
/// that stays in a core's L2 cache.
///
/// Why: with random radii every pixel reads four table entries at rows y − r and y + r + 1 and columns x − r and
/// x + r + 1, up to ±R rows away. Over a whole 15000-pixel-wide table those reads miss every cache (a table row
/// is 60 KB; the 2R + 2 rows a row's windows reach are 30 MB). So the image is cut into column stripes a few
/// hundred pixels wide, and each stripe (one channel at a time) is swept top to bottom keeping only the 2R + 2
/// table rows its current output row needs, over the stripe's columns plus R either side: for R = 255 and the 469
/// columns of a 15000-wide image's stripes that is 512 rows × 980 columns × 4 bytes, about 2 MB, in one huge
/// page. Every lookup then hits L2, table rows are built once per stripe (a new row when the sweep moves down),
/// and the radius map, the image and the output are each read or written once, in row order.
///
/// This replaced a kernel that kept one full-width table row and counting-sorted every row by radius, so that
/// each lookup read the current (cached) row: its sorted columns and partial sums, 6 bytes a pixel in 2 × 256
/// interleaved streams, went through memory four times and cost about 24 bytes of traffic a pixel. Measured in a
/// single-thread model (15000 × 1500, radii 1…255, 8 alternating runs, lowest CPU time): 17.5–19 ns a pixel
/// for the sorting kernel, 11.9–12.6 ns for stripes of 384–640 columns (13.9 ns with 4 KB pages); radii 1…16:
/// 10.6 against 7.2 ns; 1…64: 12.3 against 7.6 ns. The whole command at 15000², two cores, quiet machine:
/// 2.15–2.28 s of CPU and 1.16–1.22 s against 3.44–3.58 s and 1.80–1.96 s (see docs/blur.md).
///
/// Sums are the same wrapping integers as the full tables' (see ``SummedAreaElement``), started at the stripe's
/// first table row (differences cancel the offset), and the area is the same product, so the result is
/// bit-identical to theirs and to the brute force.
extension VariableBlur {
    /// Table rows a stripe's ring holds: a row's windows reach from y − R to y + R + 1 (fewer when the stripe's
    /// whole table is shorter).
    @inlinable static func streamingRingRows(maxRadius: Int, tableRows: Int) -> Int {
        Swift.max(1, Swift.min(2 * maxRadius + 2, tableRows))
    }

    /// Bytes a stripe's ring aims at: a core's L2 (2 MB here). Measured at R = 255: stripes of 384 to 640
    /// columns (rings of 1.8–2.4 MB) ran alike; 256 columns (halo work ×3) and 1280 (ring 3.6 MB) were slower.
    @inlinable static var streamingRingTargetBytes: Int { 2 << 20 }

    /// Output columns per stripe: as many as keep the ring near ``streamingRingTargetBytes``, at least 256 (or R)
    /// so that the R columns of halo either side do not dominate.
    @inlinable static func streamingStripeWidth(width: Int, height: Int, channels: Int, maxRadius: Int, elementSize: Int) -> Int {
        let rowBytes = streamingRingRows(maxRadius: maxRadius, tableRows: height + 1) * channels * elementSize
        let fitting = streamingRingTargetBytes / rowBytes - 2 * maxRadius - 1
        return Swift.max(1, Swift.min(width, Swift.max(fitting, 256, maxRadius)))
    }

    /// Elements of one stripe's ring of table rows.
    @inlinable static func streamingRingCount(width: Int, height: Int, channels: Int, maxRadius: Int, stripeWidth: Int) -> Int {
        let span = Swift.min(width, stripeWidth + 2 * maxRadius)
        return streamingRingRows(maxRadius: maxRadius, tableRows: height + 1) * (span + 1) * channels
    }

    /// How the streaming box mean cuts an image into tiles (column stripes × row chunks × channels), and the
    /// working memory that takes: one ring per concurrent tile. Shared by the kernel and its memory estimate.
    @usableFromInline struct StreamingLayout {
        @usableFromInline let balancedWidth: Int, stripes: Int, perChunk: Int, rowChunks: Int, tiles: Int, ringCount: Int
        /// Bytes of rings, window lists and radius rows held at once on every core.
        @usableFromInline let workingBytes: Int

        @inlinable init(width: Int, height: Int, channels: Int, maxRadius: Int, elementSize: Int, stripeWidth: Int? = nil) {
            // Each tile does one channel: a ring holding every channel of a stripe would be C times larger and leave
            // L2 (RGB 15000², radii 1…255: 14.7 s of CPU with three-channel rings against 9.8 s for the sorting kernel).
            let columnsPerStripe = Swift.max(1, Swift.min(width, stripeWidth ?? streamingStripeWidth(
                width: width, height: height, channels: 1, maxRadius: maxRadius, elementSize: elementSize)))
            // Parallel hands out at most 4 chunks per core: a stripe count that is a multiple of that gives every
            // chunk the same work (30 stripes made chunks of 3 and 4).
            let wanted = Parallel.coreCount * 4
            var stripeCount = (width + columnsPerStripe - 1) / columnsPerStripe
            if stripeCount * channels > wanted, stripeWidth == nil {
                stripeCount = Swift.min(width, (stripeCount * channels + wanted - 1) / wanted * wanted / channels)
            }
            balancedWidth = (width + stripeCount - 1) / stripeCount
            stripes = (width + balancedWidth - 1) / balancedWidth
            // Row chunks only when there are too few stripes to keep every core busy: each chunk rebuilds up to
            // maxRadius table rows above its first row, so chunks are at least that tall.
            let minimumChunk = Swift.max(32, maxRadius)
            perChunk = stripes * channels
            rowChunks = perChunk >= wanted ? 1 : Swift.max(1, Swift.min((wanted + perChunk - 1) / perChunk, height / minimumChunk))
            tiles = perChunk * rowChunks
            ringCount = streamingRingCount(width: width, height: height, channels: 1, maxRadius: maxRadius,
                                           stripeWidth: balancedWidth)
            let tileBytes = ringCount * elementSize + (maxRadius + 1) * 32 + balancedWidth * 2
            workingBytes = MemoryNeed(count: tileBytes, size: Swift.min(Parallel.coreCount, tiles)).bytes
        }
    }

    /// Whether the streaming path can run: whole radii (the fields that claim them stay ≤ 65535).
    @inlinable static func canStream(width: Int, maxRadius: Int) -> Bool {
        maxRadius <= 65535
    }

    /// The streaming box mean on every core (tiles of column stripes × row chunks × channels); false (nothing
    /// written) when its working memory exceeds `budget`, and the strip tables are used then. `stripeWidth`
    /// overrides the cache-sized choice (tests use narrow stripes to cover many seams on small images).
    @inlinable static func streamingBoxMean<S: PixelSample, Out: PixelSample, Field: RadiusField, Element: SummedAreaElement>(
        _ image: Image<S>, radii: Field, maxRadius: Int, table: Element.Type, into target: MutableImageBuffer<Out>, budget: Int,
        stripeWidth: Int? = nil, progress: (@Sendable (Int) -> Void)?
    ) -> Bool {
        let width = image.width, height = image.height
        let layout = StreamingLayout(width: width, height: height, channels: image.channels, maxRadius: maxRadius,
                                     elementSize: MemoryLayout<Element>.stride, stripeWidth: stripeWidth)
        guard layout.workingBytes <= budget else { return false }
        let (tiles, perChunk, stripes, rowChunks) = (layout.tiles, layout.perChunk, layout.stripes, layout.rowChunks)
        let (balancedWidth, ringCount, channels) = (layout.balancedWidth, layout.ringCount, image.channels)
        image.withUnsafeBuffer { source in
            Parallel.forEachChunk(count: tiles) { range in
                let ring = TableMemory.allocate(Element.self, count: ringCount, hugePagesFrom: 1 << 20)
                let radiusRow = UnsafeMutablePointer<UInt16>.allocate(capacity: balancedWidth)
                let windows = UnsafeMutablePointer<StreamingWindowRows<Element>>.allocate(capacity: maxRadius + 1)
                defer { TableMemory.deallocate(ring); radiusRow.deallocate(); windows.deallocate() }
                var pixels = 0, reported = 0
                for tile in range {
                    let chunk = tile / perChunk, channel = tile % perChunk / stripes, stripe = tile % stripes
                    let rows = (height * chunk / rowChunks)..<(height * (chunk + 1) / rowChunks)
                    let columns = (stripe * balancedWidth)..<Swift.min(width, (stripe + 1) * balancedWidth)
                    streamingBoxMean(source: source, target: target, radii: radii, maxRadius: maxRadius, rows: rows,
                                     columns: columns, channel: channel, ring: ring, radiusRow: radiusRow, windows: windows)
                    // Progress in whole-row equivalents of the samples done.
                    pixels += rows.count * columns.count
                    if let progress, pixels / (width * channels) > reported {
                        progress(pixels / (width * channels) - reported)
                        reported = pixels / (width * channels)
                    }
                }
            }
        }
        return true
    }

    /// Output rows `rows`, columns `columns`, channel `channel` of the box mean for whole radii (each clamped to
    /// `maxRadius`, which must be at least every radius below max(width, height)), into `target`. One thread;
    /// call it on disjoint tiles. `ring` holds ``streamingRingCount(width:height:channels:maxRadius:stripeWidth:)``
    /// elements (one channel) for a stripe as wide as `columns`, `radiusRow` `columns.count` radii, `windows`
    /// maxRadius + 1 entries.
    @inlinable static func streamingBoxMean<S: PixelSample, Out: PixelSample, Field: RadiusField, Element: SummedAreaElement>(
        source: ImageBuffer<S>, target: MutableImageBuffer<Out>, radii: Field, maxRadius: Int, rows: Range<Int>,
        columns: Range<Int>, channel: Int, ring: UnsafeMutablePointer<Element>, radiusRow: UnsafeMutablePointer<UInt16>,
        windows: UnsafeMutablePointer<StreamingWindowRows<Element>>
    ) {
        let width = source.width, height = source.height, channels = source.channels
        let maxR = maxRadius
        // The stripe's table covers columns span (its own plus R either side, clipped): entry u of a table row
        // sums image columns spanStart..<spanStart + u of the rows above it, from firstTableRow on.
        let spanStart = Swift.max(0, columns.lowerBound - maxR), spanEnd = Swift.min(width, columns.upperBound + maxR)
        let spanWidth = spanEnd - spanStart
        let stride = spanWidth + 1
        // Every top edge is at least rows.lowerBound − maxR: table rows above are never read.
        let firstTableRow = Swift.max(0, rows.lowerBound - maxR)
        let lastTableRow = Swift.min(height, rows.upperBound + maxR)
        let ringRows = streamingRingRows(maxRadius: maxR, tableRows: lastTableRow - firstTableRow + 1)
        @inline(__always) func tableRow(_ t: Int) -> UnsafeMutablePointer<Element> {
            ring + ((t &- firstTableRow) % ringRows) &* stride
        }
        tableRow(firstTableRow).initialize(repeating: .zero, count: stride)
        var built = firstTableRow
        // Window columns in span coordinates: x − r and x + r + 1 clipped to the image.
        let leftEdge = -spanStart, rightEdge = width - spanStart
        let firstColumn = columns.lowerBound - spanStart
        // A stripe at least R columns from both sides of the image: no window is clipped left or right.
        let interior = spanStart == columns.lowerBound - maxR && spanEnd == columns.upperBound + maxR
        for y in rows {
            // The ring must reach table row y + R + 1 (the bottom edge of the largest window).
            let needed = Swift.min(height, y + maxR + 1)
            while built < needed {
                let above = tableRow(built)
                built += 1
                let current = tableRow(built)
                let sourceRow = source.rowPointer(built &- 1) + (spanStart &* channels &+ channel)
                // The row's prefix sums (serial), then the row above added (vectorised): fewer instructions than
                // one loop doing both.
                current[0] = .zero
                var running = Element.zero
                if channels == 1 {
                    for u in 0..<spanWidth {
                        running = Element.plus(running, Element.tableValue(of: sourceRow[u]))
                        current[u &+ 1] = running
                    }
                } else {
                    for u in 0..<spanWidth {
                        running = Element.plus(running, Element.tableValue(of: sourceRow[u &* channels]))
                        current[u &+ 1] = running
                    }
                }
                for u in 1..<(spanWidth &+ 1) { current[u] = Element.plus(current[u], above[u]) }
            }
            // Per radius: the ring rows of the window's top and bottom edges, max(0, y − r) and
            // min(height, y + r + 1), and its height; stepped from r = 0 (a modulo per radius cost 18% of the time).
            let lastSlot = ring + (ringRows &- 1) &* stride
            var top = y, bottom = y &+ 1
            var topRow = tableRow(top)
            var bottomRow = topRow == lastSlot ? ring : topRow + stride
            for r in 0...maxR {
                let windowRows = Double(bottom &- top)
                (windows + r).initialize(to: StreamingWindowRows(top: topRow, bottom: bottomRow, rows: windowRows,
                                                                 unclippedArea: windowRows * Double(2 &* r &+ 1)))
                if top > 0 {
                    top &-= 1
                    topRow = topRow == ring ? lastSlot : topRow - stride
                }
                if bottom < height {
                    bottom &+= 1
                    bottomRow = bottomRow == lastSlot ? ring : bottomRow + stride
                }
            }
            radii.loadIntegerRow(y, columns: columns, into: radiusRow)
            let out = target.rowPointer(y) + (columns.lowerBound &* channels &+ channel)
            if interior {
                streamingInteriorRow(radii: radiusRow, count: columns.count, maxRadius: maxR, firstColumn: firstColumn,
                                     windows: windows, into: out, stride: channels)
            } else {
                streamingRow(radii: radiusRow, count: columns.count, maxRadius: maxR, firstColumn: firstColumn,
                             leftEdge: leftEdge, rightEdge: rightEdge, windows: windows, into: out, stride: channels)
            }
        }
    }
}

extension VariableBlur {
    /// One output row of a stripe's channel: `count` pixels from stripe column `firstColumn` (span coordinates),
    /// radii clamped to `maxRadius`, written `stride` samples apart (the image's channels). A function of its
    /// own so that its loop invariants stay in registers (inlined into the stripe loop, 8 of them were reloaded
    /// from the stack for every pixel).
    @inlinable @inline(never) static func streamingRow<Out: PixelSample, Element: SummedAreaElement>(
        radii: UnsafePointer<UInt16>, count: Int, maxRadius: Int, firstColumn: Int, leftEdge: Int, rightEdge: Int,
        windows: UnsafePointer<StreamingWindowRows<Element>>, into out: UnsafeMutablePointer<Out>, stride: Int
    ) {
        var pixel = out
        for i in 0..<count {
            let r = Swift.min(Int(radii[i]), maxRadius)
            let u = firstColumn &+ i
            let u0 = Swift.max(leftEdge, u &- r), u1 = Swift.min(rightEdge, u &+ r &+ 1)
            let window = windows[r]
            let sum = Element.minus(Element.plus(window.bottom[u1], window.top[u0]),
                                    Element.plus(window.top[u1], window.bottom[u0]))
            pixel.pointee = sample(sum.asDouble / (window.rows * Double(u1 &- u0)))
            pixel += stride
        }
    }
}

extension VariableBlur {
    /// ``streamingRow(radii:count:maxRadius:firstColumn:leftEdge:rightEdge:windows:into:stride:)`` for a stripe whose windows are
    /// never clipped left or right (all but the two outer stripes of a wide image): no column clamps, and the
    /// area comes with the radius (callgrind, 4000² one thread: 49 → ~35 instructions a pixel in this loop).
    @inlinable @inline(never) static func streamingInteriorRow<Out: PixelSample, Element: SummedAreaElement>(
        radii: UnsafePointer<UInt16>, count: Int, maxRadius: Int, firstColumn: Int,
        windows: UnsafePointer<StreamingWindowRows<Element>>, into out: UnsafeMutablePointer<Out>, stride: Int
    ) {
        var pixel = out
        for i in 0..<count {
            let r = Swift.min(Int(radii[i]), maxRadius)
            let u = firstColumn &+ i
            let u0 = u &- r, u1 = u &+ r &+ 1
            let window = windows[r]
            let sum = Element.minus(Element.plus(window.bottom[u1], window.top[u0]),
                                    Element.plus(window.top[u1], window.bottom[u0]))
            pixel.pointee = sample(sum.asDouble / window.unclippedArea)
            pixel += stride
        }
    }
}

/// For one output row and one radius: the ring rows holding the table at the window's top and bottom edges,
/// the window's height in rows (a `Double`, so that a clipped area is one exact multiplication) and its area
/// when no column is clipped, rows × (2r + 1).
@usableFromInline struct StreamingWindowRows<Element: SummedAreaElement> {
    @usableFromInline var top: UnsafeMutablePointer<Element>
    @usableFromInline var bottom: UnsafeMutablePointer<Element>
    @usableFromInline var rows: Double
    @usableFromInline var unclippedArea: Double
    @inlinable init(top: UnsafeMutablePointer<Element>, bottom: UnsafeMutablePointer<Element>, rows: Double, unclippedArea: Double) {
        self.top = top
        self.bottom = bottom
        self.rows = rows
        self.unclippedArea = unclippedArea
    }
}
