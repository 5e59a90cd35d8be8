/// The exact variable box mean for whole radii, with the summed-area table streamed one row at a time.
///
/// Why: with random radii, looking up the four table corners of each pixel in a full table jumps between
/// rows up to ±R apart (a 15000-pixel row of `UInt32` is 60 KB, a page of its own), and most of the time went
/// into waiting for those reads (15000², radii 1…255, single-thread model: 18 ns per pixel against 4 ns with
/// one fixed radius). Here the table is a single row T(a) (sums of image rows `firstTableRow..<a`) that moves
/// down the image, and each window sum S = T(b)[x1] − T(b)[x0] − (T(a)[x1] − T(a)[x0]), with a = max(0, y−r)
/// and b = min(height, y+r+1), is taken in two halves: when the moving row reaches a, then when it reaches b.
///
/// To find the pixels that need row a without scanning, every image row is counting-sorted by radius when
/// the moving row comes within R of it: bucket r of row y holds the columns (ascending) whose radius is r.
/// Then the pixels whose top edge is a are bucket r of row a + r, for each r, and those whose bottom edge
/// is b are bucket r of row b − r − 1 (every r ≥ height − y − 1 when b is the last row). Each half-sum reads
/// two entries of the current table row, which stays in cache; the sorted columns and partial sums live in
/// one circular area per radius, so each radius' buckets are visited in memory order as the row moves down.
/// A row is divided by its areas and written out in image order once the moving row is R + 1 rows below it
/// (writing each mean at its bottom edge instead scatters stores over 2R rows of output and measured slower:
/// 6.5–7.2 s against 5.2–5.7 s of CPU). Integer sums wrap like the full tables do (see ``SummedAreaElement``),
/// so the result is bit-identical to theirs. Measured on 15000² uint8, radii 1…255: about 5 s of CPU for the
/// whole command against 13–14 s with the strip tables (see docs/blur.md).
extension VariableBlur {
    /// Bytes one chunk of ``streamingBoxMean(source:target:radii:maxRadius:rows:table:progress:)`` allocates for
    /// `rows` rows (with a radius map whose radii spread evenly enough that each radius' area holds about its
    /// share of 2R + 2 rows, as random and smooth maps do).
    @inlinable static func streamingChunkBytes(width: Int, channels: Int, maxRadius: Int, rows: Int, elementSize: Int) -> Int {
        let ringRows = Swift.min(2 * maxRadius + 2, rows)
        return ringRows * width * (2 + channels * elementSize) + (rows + 1) * (maxRadius + 1) * 8
            + (width + 1) * channels * elementSize + width * 2
    }

    /// Whether the streaming path can run: whole radii ≤ 4096 and columns that fit its 16-bit indices.
    @inlinable static func canStream(width: Int, maxRadius: Int) -> Bool {
        width <= 65536 && maxRadius <= 4096
    }

    /// Output rows `rows` of the box mean for whole radii (each clamped to `maxRadius`, which must be at least
    /// every radius below max(width, height)), into `target`. One thread; call it on disjoint row ranges.
    @inlinable static func streamingBoxMean<S: PixelSample, Out: PixelSample, Field: RadiusField, Element: SummedAreaElement>(
        source: ImageBuffer<S>, target: MutableImageBuffer<Out>, radii: Field, maxRadius: Int, rows: Range<Int>,
        table: Element.Type, progress: (@Sendable (Int) -> Void)?
    ) {
        let width = source.width, height = source.height, channels = source.channels
        let maxR = maxRadius, bins = maxRadius + 1
        let ringRows = Swift.min(2 * maxR + 2, rows.count)
        let radiusRow = UnsafeMutablePointer<UInt16>.allocate(capacity: width)
        // positions[(y − rows.lowerBound) * bins + r]: entries of radius r in rows rows.lowerBound..<y.
        let positions = UnsafeMutablePointer<Int>.allocate(capacity: (rows.count + 1) * bins)
        positions.initialize(repeating: 0, count: (rows.count + 1) * bins)
        for y in rows {
            radii.loadIntegerRow(y, into: radiusRow)
            let counts = positions + (y - rows.lowerBound + 1) * bins
            for x in 0..<width { counts[Swift.min(Int(radiusRow[x]), maxR)] &+= 1 }
        }
        for i in 1...rows.count {
            let row = positions + i * bins, above = row - bins
            for r in 0..<bins { row[r] &+= above[r] }
        }
        // Each radius has its own circular area, as large as its most entries alive at once (rows sorted and
        // not yet finished: at most ringRows consecutive rows). A sweep over one radius then walks its area
        // forward as the table row moves down, so the sorted columns and partial sums stream through the cache
        // instead of being fetched afresh for every bucket (which cost half the time with one area per row).
        let capacities = UnsafeMutablePointer<Int>.allocate(capacity: bins)
        let bases = UnsafeMutablePointer<Int>.allocate(capacity: bins)
        let cursors = UnsafeMutablePointer<Int>.allocate(capacity: bins)
        var total = 0
        for r in 0..<bins {
            var largest = 0
            for i in 0...(rows.count - ringRows) {
                largest = Swift.max(largest, positions[(i + ringRows) * bins + r] - positions[i * bins + r])
            }
            capacities[r] = largest
            bases[r] = total
            total += largest
        }
        let columns = UnsafeMutablePointer<UInt16>.allocate(capacity: Swift.max(total, 1))
        let sums = UnsafeMutablePointer<Element>.allocate(capacity: Swift.max(total, 1) * channels)
        let tableRowLength = (width + 1) * channels
        let tableRow = UnsafeMutablePointer<Element>.allocate(capacity: tableRowLength)
        defer {
            radiusRow.deallocate(); positions.deallocate(); capacities.deallocate(); bases.deallocate()
            cursors.deallocate(); columns.deallocate(); sums.deallocate(); tableRow.deallocate()
        }
        tableRow.initialize(repeating: .zero, count: tableRowLength)

        // Table rows below firstTableRow are never needed: every top edge is at least rows.lowerBound − maxR.
        let firstTableRow = Swift.max(0, rows.lowerBound - maxR)

        /// Counting-sorts row y's columns into the areas of their radii. The top-edge sweep stores each sum;
        /// only pixels whose top edge is at or above firstTableRow (T = 0 there, no sweep) need a zero here.
        func sortRow(_ y: Int) {
            let before = positions + (y - rows.lowerBound) * bins
            for r in 0..<bins where capacities[r] > 0 { cursors[r] = bases[r] + before[r] % capacities[r] }
            radii.loadIntegerRow(y, into: radiusRow)
            let clippedFrom = y - firstTableRow
            for x in 0..<width {
                let r = Swift.min(Int(radiusRow[x]), maxR)
                let k = cursors[r]
                columns[k] = UInt16(truncatingIfNeeded: x)
                if r >= clippedFrom {
                    for c in 0..<channels { sums[k &* channels &+ c] = .zero }
                }
                cursors[r] = k &+ 1 == bases[r] &+ capacities[r] ? bases[r] : k &+ 1
            }
        }

        /// Calls `body` with the storage index ranges of bucket r of row y (two when it wraps round its area).
        @inline(__always) func forEachRun(row y: Int, radius r: Int, _ body: (Range<Int>) -> Void) {
            let at = positions + (y - rows.lowerBound) * bins + r
            let first = at[0], end = at[bins]
            if first == end { return }
            let capacity = capacities[r], base = bases[r]
            let offset = first % capacity
            let run = Swift.min(end - first, capacity - offset)
            body((base + offset)..<(base + offset + run))
            if run < end - first { body(base..<(base + end - first - run)) }
        }

        /// For bucket r of row y, over each window's columns: at the top edge stores T[x1] − T[x0]; at the
        /// bottom edge replaces it with T[x1] − T[x0] minus it, the window sum.
        @inline(__always) func sweep(row y: Int, radius r: Int, top: Bool) {
            forEachRun(row: y, radius: r) { run in
                if channels == 1 {
                    if top {
                        for i in run {
                            let x = Int(columns[i])
                            let x0 = Swift.max(0, x &- r), x1 = Swift.min(width, x &+ r &+ 1)
                            sums[i] = Element.minus(tableRow[x1], tableRow[x0])
                        }
                    } else {
                        for i in run {
                            let x = Int(columns[i])
                            let x0 = Swift.max(0, x &- r), x1 = Swift.min(width, x &+ r &+ 1)
                            sums[i] = Element.minus(Element.minus(tableRow[x1], tableRow[x0]), sums[i])
                        }
                    }
                } else {
                    for i in run {
                        let x = Int(columns[i])
                        let x0 = Swift.max(0, x &- r) &* channels, x1 = Swift.min(width, x &+ r &+ 1) &* channels
                        let pixel = sums + i &* channels
                        for c in 0..<channels {
                            let half = Element.minus(tableRow[x1 &+ c], tableRow[x0 &+ c])
                            pixel[c] = top ? half : Element.minus(half, pixel[c])
                        }
                    }
                }
            }
        }

        /// Divides row y's window sums by their areas and writes them in image order.
        func finish(_ y: Int) {
            let out = target.rowPointer(y)
            for r in 0..<bins {
                let windowRows = Swift.min(height, y &+ r &+ 1) &- Swift.max(0, y &- r)
                forEachRun(row: y, radius: r) { run in
                    for i in run {
                        let x = Int(columns[i])
                        let area = Double(windowRows &* (Swift.min(width, x &+ r &+ 1) &- Swift.max(0, x &- r)))
                        let pixel = out + x &* channels, pixelSums = sums + i &* channels
                        for c in 0..<channels { pixel[c] = sample(pixelSums[c].asDouble / area) }
                    }
                }
            }
        }

        let lastTableRow = Swift.min(height, rows.upperBound + maxR)
        var nextSorted = rows.lowerBound
        var finished = 0
        for a in firstTableRow...lastTableRow {
            if a > firstTableRow {
                // T(a) = T(a − 1) + prefix sums of image row a − 1.
                let sourceRow = source.rowPointer(a &- 1)
                if channels == 1 {
                    var running = Element.zero
                    for x in 0..<width {
                        running = Element.plus(running, Element.tableValue(of: sourceRow[x]))
                        tableRow[x &+ 1] = Element.plus(tableRow[x &+ 1], running)
                    }
                } else {
                    for c in 0..<channels {
                        var running = Element.zero
                        for x in 0..<width {
                            running = Element.plus(running, Element.tableValue(of: sourceRow[x &* channels &+ c]))
                            let k = (x &+ 1) &* channels &+ c
                            tableRow[k] = Element.plus(tableRow[k], running)
                        }
                    }
                }
            }
            while nextSorted < rows.upperBound && nextSorted <= a + maxR {
                sortRow(nextSorted)
                nextSorted += 1
            }
            // Top edges: pixels of row a + r with radius r (a ≤ firstTableRow adds T(a) = 0: nothing to do).
            if a > firstTableRow {
                let lowest = Swift.max(0, rows.lowerBound - a), highest = Swift.min(maxR, rows.upperBound - 1 - a)
                if lowest <= highest {
                    for r in lowest...highest { sweep(row: a + r, radius: r, top: true) }
                }
            }
            // Bottom edges: pixels of row y with radius a − y − 1, or any radius reaching past the last row.
            let firstBottom = Swift.max(rows.lowerBound, a - maxR - 1), endBottom = Swift.min(rows.upperBound, a)
            if a > firstTableRow && firstBottom < endBottom {
                for y in firstBottom..<endBottom {
                    for r in (a - y - 1)...(a == height ? maxR : a - y - 1) { sweep(row: y, radius: r, top: false) }
                }
            }
            // Rows whose bottom edges are all behind.
            let done = a == lastTableRow ? rows.upperBound : Swift.min(rows.upperBound, a - maxR)
            if done > rows.lowerBound + finished {
                for y in (rows.lowerBound + finished)..<done { finish(y) }
                let count = done - rows.lowerBound - finished
                finished += count
                progress?(count)
            }
        }
    }
}
