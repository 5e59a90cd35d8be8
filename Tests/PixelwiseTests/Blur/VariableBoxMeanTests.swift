@testable import Pixelwise
import Testing

@Suite("Variable box mean")
struct VariableBoxMeanTests {
    static let sizes: [(Int, Int)] = [(1, 1), (1, 9), (9, 1), (7, 5), (23, 17)]

    /// Integer radii from 0 to beyond the image: float64 output equals the seed's loop exactly.
    @Test(arguments: [SampleType.uint8, .uint16, .float32, .float64], [1, 3])
    func integerRadiiMatchBruteForceExactly(type: SampleType, channels: Int) throws {
        var rng = SplitMix64(seed: 42 &+ UInt64(channels))
        for (width, height) in Self.sizes {
            let radii = (0..<(width * height)).map { _ in Double(Int.random(in: 0...(Swift.max(width, height) + 3), using: &rng)) }
            switch type {
            case .uint8: try check(UInt8.self, width, height, channels, radii, &rng, tolerance: 0)
            case .uint16: try check(UInt16.self, width, height, channels, radii, &rng, tolerance: 0)
            // Float images sum in a Double table: cancellation allows a few ulps of the table's magnitude.
            case .float32: try check(Float.self, width, height, channels, radii, &rng, tolerance: 1e-9)
            case .float64: try check(Double.self, width, height, channels, radii, &rng, tolerance: 1e-9)
            }
        }
    }

    /// Fractional radii follow the ring-weight formula to 1e-9.
    @Test(arguments: [SampleType.uint8, .uint16, .float32, .float64], [1, 3])
    func fractionalRadiiFollowTheFormula(type: SampleType, channels: Int) throws {
        var rng = SplitMix64(seed: 7 &+ UInt64(channels))
        for (width, height) in Self.sizes {
            let radii = (0..<(width * height)).map { _ in Double.random(in: 0..<Double(Swift.max(width, height) + 2), using: &rng) }
            switch type {
            case .uint8: try check(UInt8.self, width, height, channels, radii, &rng, tolerance: 1e-9)
            case .uint16: try check(UInt16.self, width, height, channels, radii, &rng, tolerance: 1e-9)
            case .float32: try check(Float.self, width, height, channels, radii, &rng, tolerance: 1e-9)
            case .float64: try check(Double.self, width, height, channels, radii, &rng, tolerance: 1e-9)
            }
        }
    }

    func check<S: PixelSample>(_: S.Type, _ width: Int, _ height: Int, _ channels: Int, _ radii: [Double],
                               _ rng: inout SplitMix64, tolerance: Double) throws {
        let image = randomImage(S.self, width: width, height: height, channels: channels, rng: &rng)
        let map = try RadiusMap(Image<Double>(width: width, height: height, samples: radii))
        let expected = BlurReference.boxMean(image, radii: radii)
        // A tiny budget forces many strips, so strip seams are covered too.
        for budget in [nil, 1] as [Int?] {
            let got = try VariableBlur.boxMean(image, radii: map, as: Double.self, memoryBudget: budget).samples
            let scale = S.sampleType.isInteger ? 1.0 : 1000.0
            let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= tolerance * scale, "\(S.self) \(width)×\(height)×\(channels) budget \(String(describing: budget)): off by \(worst)")
        }
        // Output in the input's type: the exact mean rounded to nearest and clamped.
        let same = try VariableBlur.boxMean(image, radii: map).samples
        if S.sampleType.isInteger {
            let rounded = expected.map { S(roundingClamping: $0) }
            let mismatches = zip(same, rounded).filter { $0 != $1 }.count
            #expect(mismatches == 0)
        }
    }

    @Test func radiusZeroIsIdentityAndHugeRadiusIsTheGlobalMean() throws {
        var rng = SplitMix64(seed: 3)
        let image = randomImage(UInt16.self, width: 13, height: 8, channels: 3, rng: &rng)
        let identity = try VariableBlur.boxMean(image, radii: UniformRadius(width: 13, height: 8, radius: 0))
        #expect(identity == image)
        let global = try VariableBlur.boxMean(image, radii: UniformRadius(width: 13, height: 8, radius: 1e12), as: Double.self)
        for c in 0..<3 {
            let mean = (0..<8).flatMap { y in (0..<13).map { x in image[x, y, c].doubleValue } }.reduce(0, +) / 104
            #expect((0..<8).allSatisfy { y in (0..<13).allSatisfy { x in global[x, y, c] == mean } })
        }
    }

    /// uint16 with radii large enough that window sums need 64 bits still averages exactly.
    @Test func sixtyFourBitSums() throws {
        let image = Image<UInt16>(width: 300, height: 300, channels: 1, repeating: 65535)
        let out = try VariableBlur.boxMean(image, radii: UniformRadius(width: 300, height: 300, radius: 200), as: Double.self)
        #expect(out.samples.allSatisfy { $0 == 65535 })
    }

    @Test func badInputsThrowOneLineErrors() throws {
        let image = Image<UInt8>(width: 4, height: 3, repeating: 9)
        #expect(throws: BlurError.emptyImage(source: "image")) {
            try VariableBlur.boxMean(Image<UInt8>(width: 0, height: 3), radii: UniformRadius(width: 0, height: 3, radius: 1))
        }
        #expect(throws: BlurError.sizeMismatch(source: "--radius", width: 4, height: 4, imageWidth: 4, imageHeight: 3)) {
            try VariableBlur.boxMean(image, radii: UniformRadius(width: 4, height: 4, radius: 1))
        }
        for bad in [-1.0, .nan, .infinity] {
            var values = [Double](repeating: 1, count: 12)
            values[6] = bad
            let map = try RadiusMap(Image<Double>(width: 4, height: 3, samples: values), sourceName: "map.npy")
            do {
                _ = try VariableBlur.boxMean(image, radii: map)
                Issue.record("accepted radius \(bad)")
            } catch {
                guard case let .invalidRadius(source, x, y, _) = error else { Issue.record("\(error)"); continue }
                #expect(source == "map.npy" && x == 2 && y == 1)
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(throws: BlurError.notOneChannel(source: "radius map", channels: 3)) {
            try RadiusMap(Image<UInt8>(width: 4, height: 3, channels: 3))
        }
    }

    @Test func planKeepsStripsWithinBudget() {
        let strips = VariableBlur.plan(height: 100, maximumInputRows: 30) { _ in 5 }
        #expect(strips.first?.rows.lowerBound == 0 && strips.last?.rows.upperBound == 100)
        #expect(zip(strips, strips.dropFirst()).allSatisfy { $0.rows.upperBound == $1.rows.lowerBound })
        #expect(strips.allSatisfy { $0.inputRows.count <= 30 })
    }
}

@Suite("Variable box mean, wide images")
struct VariableBoxMeanWideTests {
    /// Wider than several column tiles and taller than a row block, with a tiny budget (many strips).
    @Test func tilesBlocksAndStripsMatchBruteForce() throws {
        var rng = SplitMix64(seed: 77)
        let width = 300, height = 40
        let image = randomImage(UInt8.self, width: width, height: height, channels: 1, rng: &rng)
        let radii = (0..<(width * height)).map { _ in Double.random(in: 0..<12, using: &rng) }
        let map = try RadiusMap(Image<Double>(width: width, height: height, samples: radii))
        let got = try VariableBlur.boxMean(image, radii: map, as: Double.self, memoryBudget: 1).samples
        let expected = BlurReference.boxMean(image, radii: radii)
        #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-9 })
    }
}

@Suite("Variable box mean, streaming path (whole radii)")
struct StreamingBoxMeanTests {
    /// uint8 and uint16 radius maps take the streaming path: exact against the seed's loop, on tiny shapes
    /// (1×1, 1×N, N×1), radius 0 and radii past the image, 1 and 3 channels, uint8 and uint16 images.
    @Test(arguments: [SampleType.uint8, .uint16], [1, 3])
    func integerMapsMatchBruteForceExactly(type: SampleType, channels: Int) throws {
        var rng = SplitMix64(seed: 1234 &+ UInt64(channels))
        for (width, height) in VariableBoxMeanTests.sizes + [(40, 90), (90, 40)] {
            let largest = Swift.max(width, height) + 3
            let values = (0..<(width * height)).map { _ in Int.random(in: 0...largest, using: &rng) }
            switch type {
            case .uint8: try check(UInt8.self, width, height, channels, values, &rng)
            default: try check(UInt16.self, width, height, channels, values, &rng)
            }
        }
    }

    /// Many row chunks and a ring that wraps several times: a tall image, radii 0…12.
    @Test func tallImageWithRingWrapsMatchesBruteForce() throws {
        var rng = SplitMix64(seed: 99)
        let values = (0..<(7 * 400)).map { _ in Int.random(in: 0...12, using: &rng) }
        try check(UInt8.self, 7, 400, 1, values, &rng)
    }

    /// Same output, bit for bit, as the strip-table path (forced with a tiny budget), in uint8 and float64.
    @Test func matchesTheStripTablePath() throws {
        var rng = SplitMix64(seed: 5)
        let width = 150, height = 120
        let image = randomImage(UInt8.self, width: width, height: height, channels: 1, rng: &rng)
        let map = try RadiusMap(Image<UInt8>(width: width, height: height,
                                             samples: (0..<(width * height)).map { _ in UInt8.random(in: 1...255, using: &rng) }))
        #expect(streamed(image, map, maxRadius: 150, UInt32.self, as: UInt8.self) == (try VariableBlur.boxMean(image, radii: map, memoryBudget: 1)))
        #expect(streamed(image, map, maxRadius: 150, UInt32.self, as: Double.self)
                == (try VariableBlur.boxMean(image, radii: map, as: Double.self, memoryBudget: 1)))
    }

    /// A whole `--radius` streams too; a fractional one does not claim integer radii.
    @Test func uniformWholeRadiusStreams() throws {
        #expect(UniformRadius(width: 3, height: 3, radius: 4).hasSmallIntegerRadii)
        #expect(!UniformRadius(width: 3, height: 3, radius: 4.5).hasSmallIntegerRadii)
        #expect(!UniformRadius(width: 3, height: 3, radius: 70000).hasSmallIntegerRadii)
        var rng = SplitMix64(seed: 8)
        let image = randomImage(UInt16.self, width: 31, height: 17, channels: 3, rng: &rng)
        for r in [0, 1, 5, 40] {
            let got = try VariableBlur.boxMean(image, radii: UniformRadius(width: 31, height: 17, radius: Double(r)), as: Double.self)
            #expect(got.samples == BlurReference.boxMean(image, radii: [Double](repeating: Double(r), count: 31 * 17)))
        }
    }

    /// The streaming kernel itself (never the strip-table fallback), or nil if it declined.
    func streamed<S: PixelSample, Out: PixelSample, R: PixelSample, Element: SummedAreaElement>(
        _ image: Image<S>, _ map: RadiusMap<R>, maxRadius: Int, _ table: Element.Type, as: Out.Type, stripeWidth: Int? = nil
    ) -> Image<Out>? {
        var result = Image<Out>(width: image.width, height: image.height, channels: image.channels)
        let done = result.withUnsafeMutableBuffer { target in
            VariableBlur.streamingBoxMean(image, radii: map, maxRadius: maxRadius, table: Element.self, into: target,
                                          budget: .max, stripeWidth: stripeWidth, progress: nil)
        }
        return done ? result : nil
    }

    /// Writing into caller-provided memory gives the same image.
    @Test func intoABufferMatches() throws {
        var rng = SplitMix64(seed: 21)
        let image = randomImage(UInt8.self, width: 33, height: 29, channels: 3, rng: &rng)
        let map = try RadiusMap(Image<UInt8>(width: 33, height: 29, samples: (0..<(33 * 29)).map { _ in UInt8.random(in: 0...40, using: &rng) }))
        var target = Image<UInt8>(width: 33, height: 29, channels: 3)
        try target.withUnsafeMutableBuffer { try VariableBlur.boxMean(image, radii: map, into: $0) }
        #expect(target == (try VariableBlur.boxMean(image, radii: map)))
    }

    /// Column stripes much narrower than the windows (1, 2, 7 and 16 columns; the default is a few hundred):
    /// every stripe seam, halo clipped at the image's sides, interior stripes (no clipping), row chunks and a
    /// ring that wraps, exact against the seed's loop in uint8 and uint16, 1 and 3 channels, 32- and 64-bit sums.
    @Test(arguments: [1, 2, 7, 16])
    func narrowStripesMatchBruteForce(stripeWidth: Int) throws {
        var rng = SplitMix64(seed: 400 &+ UInt64(stripeWidth))
        // (width, height, channels, largest radius): radii past the image, a tall ring that wraps, and radii
        // small against the width so that inner stripes take the unclipped (interior) loop.
        let cases = [(1, 1, 1, 4), (1, 37, 1, 40), (37, 1, 3, 40), (45, 70, 1, 73), (31, 23, 3, 34), (9, 300, 1, 12),
                     (60, 50, 1, 5), (70, 40, 3, 9)]
        for (width, height, channels, largest) in cases {
            let values = (0..<(width * height)).map { _ in Int.random(in: 0...largest, using: &rng) }
            let map = try RadiusMap(Image<UInt16>(width: width, height: height, samples: values.map { UInt16($0) }))
            let bound = Swift.min(Swift.max(width, height), values.max() ?? 0)
            let bytes = randomImage(UInt8.self, width: width, height: height, channels: channels, rng: &rng)
            let expected = BlurReference.boxMean(bytes, radii: values.map(Double.init))
            #expect(streamed(bytes, map, maxRadius: bound, UInt32.self, as: Double.self, stripeWidth: stripeWidth)?.samples == expected,
                    "uint8 \(width)×\(height)×\(channels), stripes of \(stripeWidth)")
            #expect(streamed(bytes, map, maxRadius: bound, UInt32.self, as: UInt8.self, stripeWidth: stripeWidth)?.samples
                    == expected.map { UInt8(roundingClamping: $0) })
            let words = randomImage(UInt16.self, width: width, height: height, channels: channels, rng: &rng)
            #expect(streamed(words, map, maxRadius: bound, UInt64.self, as: Double.self, stripeWidth: stripeWidth)?.samples
                    == BlurReference.boxMean(words, radii: values.map(Double.init)), "uint16 \(width)×\(height)×\(channels)")
        }
    }

    /// A field that provides only whole rows of integer radii takes the protocol's default column loader.
    @Test func defaultColumnLoaderMatches() throws {
        struct RowOnlyField: RadiusField {
            let values: [UInt16]
            let width: Int, height: Int
            var sourceName: String { "rows" }
            func loadRow(_ y: Int, into radii: UnsafeMutablePointer<Double>) {
                for x in 0..<width { radii[x] = Double(values[y * width + x]) }
            }
            var hasSmallIntegerRadii: Bool { true }
            func loadIntegerRow(_ y: Int, into radii: UnsafeMutablePointer<UInt16>) {
                for x in 0..<width { radii[x] = values[y * width + x] }
            }
        }
        var rng = SplitMix64(seed: 17)
        let width = 29, height = 21
        let values = (0..<(width * height)).map { _ in UInt16.random(in: 0...9, using: &rng) }
        let image = randomImage(UInt8.self, width: width, height: height, channels: 1, rng: &rng)
        var result = Image<Double>(width: width, height: height, channels: 1)
        let done = result.withUnsafeMutableBuffer { target in
            VariableBlur.streamingBoxMean(image, radii: RowOnlyField(values: values, width: width, height: height), maxRadius: 9,
                                          table: UInt32.self, into: target, budget: .max, stripeWidth: 4, progress: nil)
        }
        #expect(done)
        #expect(result.samples == BlurReference.boxMean(image, radii: values.map(Double.init)))
    }

    /// A map that is one radius per row, ramping up and down (the sorting kernel's hardest case; kept).
    @Test func rowRampMapMatchesBruteForce() throws {
        var rng = SplitMix64(seed: 31)
        let width = 20, height = 300
        let values = (0..<(width * height)).map { i in (i / width) % 40 < 20 ? (i / width) % 20 : 19 - (i / width) % 20 }
        try check(UInt8.self, width, height, 1, values, &rng)
    }

    func check<S: PixelSample>(_: S.Type, _ width: Int, _ height: Int, _ channels: Int, _ values: [Int],
                               _ rng: inout SplitMix64) throws {
        let image = randomImage(S.self, width: width, height: height, channels: channels, rng: &rng)
        let expected = BlurReference.boxMean(image, radii: values.map(Double.init))
        let rounded = expected.map { S(roundingClamping: $0) }
        func compare<R: PixelSample>(_ map: RadiusMap<R>) throws {
            #expect(map.hasSmallIntegerRadii)
            let got = try VariableBlur.boxMean(image, radii: map, as: Double.self).samples
            #expect(got == expected, "\(R.self) map, \(S.self) \(width)×\(height)×\(channels)")
            #expect(try VariableBlur.boxMean(image, radii: map).samples == rounded)
            // The streaming kernel itself (not a fallback), with the largest radius as its bound.
            let largest = Swift.min(Swift.max(width, height), values.max() ?? 0)
            #expect(streamed(image, map, maxRadius: largest, UInt64.self, as: Double.self)?.samples == expected)
        }
        if values.allSatisfy({ $0 <= 255 }) {
            try compare(try RadiusMap(Image<UInt8>(width: width, height: height, samples: values.map { UInt8($0) })))
        }
        try compare(try RadiusMap(Image<UInt16>(width: width, height: height, samples: values.map { UInt16($0) })))
    }
}
