/// The exact variable box mean for whole radii, with the summed-area table streamed one row at a time.
///
/// Why: with random radii, looking up the four table corners of each pixel in a full table jumps between
/// rows up to ±R apart (a 15000-pixel row of `UInt32` is 60 KB, a page of its own), and 70% of the time went
/// into waiting for those reads (15000², radii 1…255: 18 ns per pixel in a single-thread model, 4 ns with one
/// fixed radius). Here the table is a single row T(a) (sums of image rows `firstTableRow..<a`) that moves down
/// the image, and each pixel's window sum S = T(b)[x1] − T(b)[x0] − (T(a)[x1] − T(a)[x0]), with a = max(0, y−r)
/// and b = min(height, y+r+1), is taken in two halves: when the moving row reaches a, then when it reaches b.
///
/// To find the pixels that need row a without scanning, every image row is counting-sorted by radius when
/// the moving row comes within R of it: bucket r of row y holds the columns (ascending) whose radius is r.
/// Then the pixels whose top edge is a are bucket r of row a + r, for each r, and those whose bottom edge
/// is b are bucket r of row b − r − 1 (every r ≥ height − y − 1 when b is the last row). Each half-sum reads
/// two entries of the current table row, which stays in cache; the partial sums live beside the sorted
/// columns in a ring of 2R + 2 rows. A row is finished, divided by its areas and written out in image
/// order when the moving row has passed R + 1 rows below it. Integer sums wrap like the full tables do
/// (see ``SummedAreaElement``), so the result is bit-identical to them. Measured on 15000² uint8, radii
/// 1…255, one thread: 11 ns per pixel instead of 18 (model); see docs/blur.md for the whole command.
extension VariableBlur {
    /// Bytes one chunk of ``streamingBoxMean(source:target:radii:maxRadius:rows:table:progress:)`` allocates.
    @inlinable static func streamingChunkBytes(width: Int, channels: Int, maxRadius: Int, rows: Int, elementSize: Int) -> Int {
        let ringRows = Swift.min(2 * maxRadius + 2, rows)
        return ringRows * (width * (2 + channels * elementSize) + (maxRadius + 2) * 4)
            + (width + 1) * channels * elementSize + width * 2 + (maxRadius + 1) * 4
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
        let maxR = maxRadius
        let ringRows = Swift.min(2 * maxR + 2, rows.count)
        let bucketStride = maxR + 2
        // Sorted columns, their (partial) sums, and where each radius' bucket starts, per ring row.
        let columns = UnsafeMutablePointer<UInt16>.allocate(capacity: ringRows * width)
        let sums = UnsafeMutablePointer<Element>.allocate(capacity: ringRows * width * channels)
        let bucketStarts = UnsafeMutablePointer<Int32>.allocate(capacity: ringRows * bucketStride)
        let tableRowLength = (width + 1) * channels
        let tableRow = UnsafeMutablePointer<Element>.allocate(capacity: tableRowLength)
        let radiusRow = UnsafeMutablePointer<UInt16>.allocate(capacity: width)
        let cursors = UnsafeMutablePointer<Int32>.allocate(capacity: maxR + 1)
        defer {
            columns.deallocate(); sums.deallocate(); bucketStarts.deallocate()
            tableRow.deallocate(); radiusRow.deallocate(); cursors.deallocate()
        }
        tableRow.initialize(repeating: .zero, count: tableRowLength)

        /// Counting-sorts row y's columns by radius into its ring slot and clears its sums.
        func sortRow(_ y: Int) {
            let slot = y % ringRows
            let starts = bucketStarts + slot * bucketStride
            starts.initialize(repeating: 0, count: bucketStride)
            radii.loadIntegerRow(y, into: radiusRow)
            for x in 0..<width {
                let r = Swift.min(Int(radiusRow[x]), maxR)
                radiusRow[x] = UInt16(truncatingIfNeeded: r)
                starts[r &+ 1] &+= 1
            }
            for r in 0...maxR { starts[r &+ 1] &+= starts[r]; cursors[r] = starts[r] }
            let rowColumns = columns + slot * width
            for x in 0..<width {
                let r = Int(radiusRow[x])
                let k = Int(cursors[r])
                rowColumns[k] = UInt16(truncatingIfNeeded: x)
                cursors[r] = Int32(truncatingIfNeeded: k &+ 1)
            }
            (sums + slot * width * channels).initialize(repeating: .zero, count: width * channels)
        }

        /// For bucket r of row y: sum = T[x1] − T[x0] − sum, over the window's columns. With the sums at zero this
        /// stores the top half (negated later); applied again at the bottom edge it leaves the window sum.
        @inline(__always) func sweep(row y: Int, radii radiusRange: ClosedRange<Int>) {
            let slot = y % ringRows
            let starts = bucketStarts + slot * bucketStride
            let rowColumns = columns + slot * width
            let rowSums = sums + slot * width * channels
            for r in radiusRange {
                let start = Int(starts[r]), end = Int(starts[r &+ 1])
                if start == end { continue }
                if channels == 1 {
                    for i in start..<end {
                        let x = Int(rowColumns[i])
                        let x0 = Swift.max(0, x &- r), x1 = Swift.min(width, x &+ r &+ 1)
                        rowSums[i] = Element.minus(Element.minus(tableRow[x1], tableRow[x0]), rowSums[i])
                    }
                } else {
                    for i in start..<end {
                        let x = Int(rowColumns[i])
                        let x0 = Swift.max(0, x &- r) &* channels, x1 = Swift.min(width, x &+ r &+ 1) &* channels
                        let pixel = rowSums + i &* channels
                        for c in 0..<channels {
                            pixel[c] = Element.minus(Element.minus(tableRow[x1 &+ c], tableRow[x0 &+ c]), pixel[c])
                        }
                    }
                }
            }
        }

        /// Divides row y's window sums by their areas and writes them in image order.
        func finish(_ y: Int) {
            let slot = y % ringRows
            let starts = bucketStarts + slot * bucketStride
            let rowColumns = columns + slot * width
            let rowSums = sums + slot * width * channels
            let out = target.rowPointer(y)
            for r in 0...maxR {
                let start = Int(starts[r]), end = Int(starts[r &+ 1])
                if start == end { continue }
                let windowRows = Swift.min(height, y &+ r &+ 1) &- Swift.max(0, y &- r)
                for i in start..<end {
                    let x = Int(rowColumns[i])
                    let area = Double(windowRows &* (Swift.min(width, x &+ r &+ 1) &- Swift.max(0, x &- r)))
                    let pixel = out + x &* channels, pixelSums = rowSums + i &* channels
                    for c in 0..<channels { pixel[c] = sample(pixelSums[c].asDouble / area) }
                }
            }
        }

        // Table rows below firstTableRow are never needed: every top edge is at least rows.lowerBound − maxR.
        let firstTableRow = Swift.max(0, rows.lowerBound - maxR)
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
                    for r in lowest...highest { sweep(row: a + r, radii: r...r) }
                }
            }
            // Bottom edges: pixels of row y with radius a − y − 1, or any radius reaching past the last row.
            let firstBottom = Swift.max(rows.lowerBound, a - maxR - 1), endBottom = Swift.min(rows.upperBound, a)
            if a > firstTableRow && firstBottom < endBottom {
                for y in firstBottom..<endBottom {
                    let r = a - y - 1
                    sweep(row: y, radii: r...(a == height ? maxR : r))
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
