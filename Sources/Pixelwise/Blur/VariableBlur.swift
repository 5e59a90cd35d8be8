/// Blur with a kernel whose size changes from pixel to pixel.
///
/// - ``boxMean(_:radii:as:imageName:memoryBudget:progress:)``: the exact mean over the window of radius r
///   centred on each pixel, clipped at the borders and divided by the number of pixels inside, with fractional
///   radii weighting the outer ring. O(1) per pixel whatever the radius, via summed-area tables.
/// - ``gaussian(_:sigmas:as:imageName:memoryBudget:progress:)``: a Gaussian of per-pixel σ, renormalised over
///   the part of its support inside the image.
///
/// The box mean works on horizontal strips whose tables fit a memory budget, the Gaussian a row at a time
/// with a few dozen rows of each resolution held per core, so a 15000×15000 image never needs a full-image
/// table; both use every core.
public enum VariableBlur {
    /// The default working-memory budget for strip tables: a quarter of input plus output, 16 MiB to 1 GiB.
    public static func defaultMemoryBudget(imageBytes: Int, outputBytes: Int) -> Int {
        Swift.min(Swift.max((imageBytes + outputBytes) / 4, 16 << 20), 1 << 30)
    }

    /// The largest sum a window of `reach` rows and columns either side can hold: whether 32-bit tables suffice.
    @inlinable static func largestWindowSum(reach: Int, width: Int, height: Int, maximumValue: Double) -> Double {
        let side = 2 * reach + 1
        return Double(Swift.min(side, width)) * Double(Swift.min(side, height)) * maximumValue
    }

    /// Input rows a strip's table may hold: what the budget allows, but strips at least four halos tall, so
    /// that rebuilding the halo rows costs at most a third more.
    @inlinable static func stripRowsAllowed(budget: Int, rowBytes: Int, reach: Int, height: Int) -> Int {
        Swift.max(budget / rowBytes - 1, Swift.min(4 * (2 * reach + 1), height))
    }

    /// Peak memory of ``boxMean(_:radii:as:imageName:memoryBudget:progress:)`` besides its input, for radii up
    /// to `largestRadius`: the output (of `outputType`; nil when the caller provides the target), then either
    /// the streaming rings (`wholeRadii`: a uint8/uint16 map or a whole uniform radius, on an integer image)
    /// or the strip table with each core's block of radius rows. Allocates nothing; callers check it first.
    public static func boxMeanMemory(width: Int, height: Int, channels: Int, inputType: SampleType,
                                     outputType: SampleType?, largestRadius: Double, wholeRadii: Bool) -> MemoryNeed {
        guard width > 0, height > 0, channels > 0 else { return .zero }
        let cap = Swift.max(width, height)
        let radius = largestRadius.isNaN ? Double(cap) : Swift.min(Swift.max(0, largestRadius), Double(cap))
        let reach = Swift.min(cap, Int(radius.rounded(.down)) + 1)
        let input = MemoryNeed.image(width: width, height: height, channels: channels, sampleType: inputType)
        let output = outputType.map { MemoryNeed.image(width: width, height: height, channels: channels, sampleType: $0) }
        let outputBytes = output ?? input
        let maximumValue = inputType == .uint8 ? 255.0 : 65535.0
        let fits32 = largestWindowSum(reach: reach, width: width, height: height, maximumValue: maximumValue) < 4_294_967_296
        let element = inputType.isInteger && fits32 ? 4 : 8
        if wholeRadii, inputType.isInteger, canStream(width: width, maxRadius: Int(radius)) {
            let rings = StreamingLayout(width: width, height: height, channels: channels, maxRadius: Int(radius), elementSize: element)
            if rings.workingBytes <= Swift.max((input + outputBytes).bytes, 16 << 20) {
                return (output ?? .zero) + MemoryNeed(bytes: rings.workingBytes)
            }
        }
        let rowBytes = MemoryNeed(count: width + 1, size: channels * element).bytes
        let budget = defaultMemoryBudget(imageBytes: input.bytes, outputBytes: outputBytes.bytes)
        let rows = Swift.min(height, Swift.max(stripRowsAllowed(budget: budget, rowBytes: rowBytes, reach: reach, height: height),
                                               2 * reach + 1)) + 1
        let radiusBlocks = MemoryNeed(count: Swift.min(128, height) * width, size: MemoryLayout<Double>.size) * Parallel.coreCount
        return (output ?? .zero) + MemoryNeed(count: rows, size: rowBytes) + radiusBlocks
    }

    /// One horizontal strip of output rows `rows`, needing input rows `inputRows` (its halo included).
    @usableFromInline struct Strip: Sendable {
        @usableFromInline var rows: Range<Int>
        @usableFromInline var inputRows: Range<Int>
        @inlinable init(rows: Range<Int>, inputRows: Range<Int>) { self.rows = rows; self.inputRows = inputRows }
    }

    /// Splits `0..<height` into strips whose input rows (output rows plus `reach(y)` either side, clipped)
    /// number at most `maximumInputRows` — except single rows whose own reach is larger.
    @usableFromInline static func plan(height: Int, maximumInputRows: Int, reach: (Int) -> Int) -> [Strip] {
        var strips = [Strip]()
        var start = 0
        while start < height {
            var largest = reach(start)
            var end = start + 1
            while end < height {
                let next = Swift.max(largest, reach(end))
                let rows = Swift.min(height, end + 1 + next) - Swift.max(0, start - next)
                if rows > maximumInputRows { break }
                largest = next
                end += 1
            }
            strips.append(Strip(rows: start..<end,
                                inputRows: Swift.max(0, start - largest)..<Swift.min(height, end + largest)))
            start = end
        }
        return strips
    }

    // MARK: Box mean

    /// `Out(roundingClamping:)` without libm's `round` call for the integer types (same results: halves away
    /// from zero, clamped, NaN to 0).
    @inlinable @inline(__always) static func sample<Out: PixelSample>(_ value: Double) -> Out {
        if Out.self == UInt8.self {
            let v: UInt8 = value.isNaN || value <= 0 ? 0 : UInt8(Swift.min(value + 0.5, 255))
            return unsafeBitCast(v, to: Out.self)
        }
        if Out.self == UInt16.self {
            let v: UInt16 = value.isNaN || value <= 0 ? 0 : UInt16(Swift.min(value + 0.5, 65535))
            return unsafeBitCast(v, to: Out.self)
        }
        return Out(roundingClamping: value)
    }

    /// ``boxMean(_:radii:as:imageName:memoryBudget:progress:)`` with output in the input's sample type.
    @inlinable public static func boxMean<S: PixelSample, Field: RadiusField>(
        _ image: Image<S>, radii: Field, imageName: String = "image",
        memoryBudget: Int? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(BlurError) -> Image<S> {
        try boxMean(image, radii: radii, as: S.self, imageName: imageName, memoryBudget: memoryBudget, progress: progress)
    }

    /// The exact variable box mean: each output pixel is the mean of the input over the in-bounds part of the
    /// (2r+1)×(2r+1) window centred on it, where r is its radius in `radii`.
    ///
    /// For r = n + f (0 ≤ f < 1) the ring at Chebyshev distance n+1 counts with weight f:
    /// mean = (S(n) + f·(S(n+1) − S(n))) / (A(n) + f·(A(n+1) − A(n))), S the in-bounds window sum and A its
    /// pixel count; integer r gives exactly Σ/count. Integer images sum exactly in `UInt32` or `UInt64` tables,
    /// float images in `Double`. Output samples of an integer type are rounded to nearest and clamped.
    ///
    /// - Parameters:
    ///   - memoryBudget: bytes for the strip's summed-area table (default ``defaultMemoryBudget(imageBytes:outputBytes:)``).
    ///   - progress: called with the number of output rows finished, from any thread.
    /// - Throws: ``BlurError`` for an empty image, a field of another size, or a negative/NaN/infinite radius;
    ///   nothing is computed then.
    @inlinable public static func boxMean<S: PixelSample, Out: PixelSample, Field: RadiusField>(
        _ image: Image<S>, radii: Field, as output: Out.Type, imageName: String = "image",
        memoryBudget: Int? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(BlurError) -> Image<Out> {
        let plan = try BoxMeanPlan(image, radii: radii, output: Out.self, imageName: imageName, memoryBudget: memoryBudget)
        var result = Image<Out>(uninitializedWidth: image.width, height: image.height, channels: image.channels)
        result.withUnsafeMutableBuffer { target in run(plan, image, radii: radii, into: target, progress: progress) }
        return result
    }

    /// ``boxMean(_:radii:as:imageName:memoryBudget:progress:)`` into memory the caller provides (an output file's
    /// memory map, say), which must have the image's width, height and channels. Everything is checked before
    /// `target` is touched.
    @inlinable public static func boxMean<S: PixelSample, Out: PixelSample, Field: RadiusField>(
        _ image: Image<S>, radii: Field, into target: MutableImageBuffer<Out>, imageName: String = "image",
        memoryBudget: Int? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(BlurError) {
        precondition(target.width == image.width && target.height == image.height && target.channels == image.channels,
                     "box mean target of another size")
        let plan = try BoxMeanPlan(image, radii: radii, output: Out.self, imageName: imageName, memoryBudget: memoryBudget)
        run(plan, image, radii: radii, into: target, progress: progress)
    }

    /// What the box mean needs to know before computing: reach per row, table type and budgets.
    @usableFromInline struct BoxMeanPlan {
        @usableFromInline var reach: [Int]
        @usableFromInline var largestRadius: Int
        @usableFromInline var largestSum: Double
        @usableFromInline var budget: Int
        @usableFromInline var streamingBudget: Int

        /// Checks the image and the radii (throws before anything is computed).
        @inlinable init<S: PixelSample, Out: PixelSample, Field: RadiusField>(
            _ image: Image<S>, radii: Field, output: Out.Type, imageName: String, memoryBudget: Int?
        ) throws(BlurError) {
            guard !image.isEmpty else { throw .emptyImage(source: imageName) }
            try radii.checkSize(imageWidth: image.width, imageHeight: image.height)
            let maxima = radii.hasSmallIntegerRadii ? radii.integerRowMaxima() : try radii.validatedRowMaxima()
            let cap = Swift.max(image.width, image.height)
            // How far (in rows) a pixel of each row reaches: n + 1 covers the fractional ring.
            // A radius ≥ cap averages the whole image (the kernel clamps it too): clamp before converting, so
            // that 1e19 or 1e300 do not overflow `Int`.
            reach = maxima.map { Swift.min(cap, Int(Swift.min($0, Double(cap)).rounded(.down)) + 1) }
            largestRadius = Int(Swift.min(maxima.max() ?? 0, Double(cap)))
            largestSum = VariableBlur.largestWindowSum(reach: reach.max() ?? 0, width: image.width, height: image.height,
                                                       maximumValue: S.maximumValue.doubleValue)
            let imageBytes = image.sampleCount * MemoryLayout<S>.size, outputBytes = image.sampleCount * MemoryLayout<Out>.size
            budget = memoryBudget ?? VariableBlur.defaultMemoryBudget(imageBytes: imageBytes, outputBytes: outputBytes)
            // The streaming path may use as much again as input plus output: peak stays within twice those.
            streamingBudget = memoryBudget ?? Swift.max(imageBytes + outputBytes, 16 << 20)
        }
    }

    @inlinable static func run<S: PixelSample, Out: PixelSample, Field: RadiusField>(
        _ plan: BoxMeanPlan, _ image: Image<S>, radii: Field, into target: MutableImageBuffer<Out>,
        progress: (@Sendable (Int) -> Void)?
    ) {
        if !S.sampleType.isInteger {
            return boxMean(image, radii: radii, reach: plan.reach, table: Double.self, into: target, budget: plan.budget, progress: progress)
        }
        let fits32 = plan.largestSum < 4_294_967_296
        // Whole radii (uint8/uint16 maps): the streaming path (StreamingBoxMean.swift), when its rings fit the budget.
        if radii.hasSmallIntegerRadii, canStream(width: image.width, maxRadius: plan.largestRadius) {
            let done = fits32
                ? streamingBoxMean(image, radii: radii, maxRadius: plan.largestRadius, table: UInt32.self, into: target,
                                   budget: plan.streamingBudget, progress: progress)
                : streamingBoxMean(image, radii: radii, maxRadius: plan.largestRadius, table: UInt64.self, into: target,
                                   budget: plan.streamingBudget, progress: progress)
            if done { return }
        }
        if fits32 {
            return boxMean(image, radii: radii, reach: plan.reach, table: UInt32.self, into: target, budget: plan.budget, progress: progress)
        }
        return boxMean(image, radii: radii, reach: plan.reach, table: UInt64.self, into: target, budget: plan.budget, progress: progress)
    }

    @inlinable static func boxMean<S: PixelSample, Out: PixelSample, Field: RadiusField, Element: SummedAreaElement>(
        _ image: Image<S>, radii: Field, reach: [Int], table: Element.Type, into target: MutableImageBuffer<Out>, budget: Int,
        progress: (@Sendable (Int) -> Void)?
    ) {
        let width = image.width, height = image.height, channels = image.channels
        let rowBytes = (width + 1) * channels * MemoryLayout<Element>.stride
        // Strips at least four halos tall, so that rebuilding the halo rows costs at most a third more.
        let rowsAllowed = stripRowsAllowed(budget: budget, rowBytes: rowBytes, reach: reach.max() ?? 0, height: height)
        let strips = plan(height: height, maximumInputRows: Swift.max(1, rowsAllowed)) { reach[$0] }
        let tableRows = strips.map { $0.inputRows.count + 1 }.max() ?? 1
        let storage = TableMemory.allocate(Element.self, count: tableRows * (width + 1) * channels)
        defer { TableMemory.deallocate(storage) }
        let cap = Swift.max(width, height)
        let capRadius = Double(cap)
        image.withUnsafeBuffer { source in
            for strip in strips {
                let sums = SummedAreaStrip<Element>.build(in: storage, image: source,
                                                          firstRow: strip.inputRows.lowerBound, endRow: strip.inputRows.upperBound)
                let first = strip.rows.lowerBound
                Parallel.forEachChunk(count: strip.rows.count, minimumChunk: 4) { chunk in
                    // Blocks of about 128 rows × tiles of 128 columns. With radii up to R a tile's windows
                    // touch table rows y−R…y+R+blockRows and columns x−R…x+R+tileWidth: for R = 255 that is
                    // ~640×640 entries (1.6 MB), which stays in a core's 2 MB L2 while the tile slides
                    // right, so each step brings only 128 new columns for 128 rows of output (~20 B per
                    // pixel). Blocks of 16 rows brought ~130 B per pixel from L3/DRAM, from 528 rows, and
                    // the random-radius benchmark spent most of its time waiting on those reads.
                    let tileWidth = 128
                    let blockCount = (chunk.count + 127) / 128
                    let blockRows = (chunk.count + blockCount - 1) / blockCount
                    let radiusBlock = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * width)
                    defer { radiusBlock.deallocate() }
                    var blockStart = first + chunk.lowerBound
                    while blockStart < first + chunk.upperBound {
                        let blockEnd = Swift.min(blockStart + blockRows, first + chunk.upperBound)
                        for y in blockStart..<blockEnd { radii.loadRow(y, into: radiusBlock + (y - blockStart) * width) }
                        var tileStart = 0
                        while tileStart < width {
                            let tileEnd = Swift.min(width, tileStart + tileWidth)
                            for y in blockStart..<blockEnd {
                                let radiusRow = radiusBlock + (y - blockStart) * width
                                let out = target.rowPointer(y)
                                for x in tileStart..<tileEnd {
                                    let r = radiusRow[x]
                                    let n: Int, f: Double
                                    if r >= capRadius { n = cap; f = 0 } else { n = Int(r); f = r - Double(n) }
                                    let y0 = Swift.max(0, y &- n), y1 = Swift.min(height, y &+ n &+ 1)
                                    let x0 = Swift.max(0, x &- n) &* channels, x1 = Swift.min(width, x &+ n &+ 1) &* channels
                                    let top = sums.row(y0), bottom = sums.row(y1)
                                    let area = Double((y1 &- y0) &* (x1 &- x0) / channels)
                                    let pixel = out + x &* channels
                                    if f == 0 {
                                        for c in 0..<channels {
                                            let s = Element.minus(Element.plus(bottom[x1 &+ c], top[x0 &+ c]),
                                                                  Element.plus(top[x1 &+ c], bottom[x0 &+ c]))
                                            pixel[c] = sample(s.asDouble / area)
                                        }
                                    } else {
                                        let m = n &+ 1
                                        let v0 = Swift.max(0, y &- m), v1 = Swift.min(height, y &+ m &+ 1)
                                        let u0 = Swift.max(0, x &- m) &* channels, u1 = Swift.min(width, x &+ m &+ 1) &* channels
                                        let outerTop = sums.row(v0), outerBottom = sums.row(v1)
                                        let outerArea = Double((v1 &- v0) &* (u1 &- u0) / channels)
                                        let denominator = area + f * (outerArea - area)
                                        for c in 0..<channels {
                                            let s = Element.minus(Element.plus(bottom[x1 &+ c], top[x0 &+ c]),
                                                                  Element.plus(top[x1 &+ c], bottom[x0 &+ c]))
                                            let t = Element.minus(Element.plus(outerBottom[u1 &+ c], outerTop[u0 &+ c]),
                                                                  Element.plus(outerTop[u1 &+ c], outerBottom[u0 &+ c]))
                                            let ring = Element.minus(t, s).asDouble
                                            pixel[c] = sample((s.asDouble + f * ring) / denominator)
                                        }
                                    }

                                }
                            }
                            tileStart = tileEnd
                        }
                        blockStart = blockEnd
                    }
                    progress?(chunk.count)
                }
            }
        }
    }
}
