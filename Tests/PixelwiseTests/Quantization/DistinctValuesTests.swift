import Testing
@testable import Pixelwise

@Suite("Histograms, distinct values and the whole fit")
struct DistinctValuesTests {
    @Test("the radix sort gives the sorted distinct values and run lengths", arguments: [1, 2, 1000, 70_001, 300_000])
    func radixMatchesSort(count: Int) throws {
        var generator = SplitMix64(seed: UInt64(count))
        // Mixed: negatives, zeros of both signs, duplicates, tiny and huge magnitudes, infinities.
        let pool: [Double] = [-0.0, 0.0, -1e-310, 1e-310, -.infinity, .infinity, 3, -3, 1e300, -1e300]
        let samples: [Double] = (0..<count).map { i in
            switch i % 4 {
            case 0: pool[Int.random(in: 0..<pool.count, using: &generator)]
            case 1: Double(Int.random(in: -50...50, using: &generator))
            default: Double.random(in: -1e6...1e6, using: &generator)
            }
        }
        let width = count % 7 == 0 ? 7 : 1
        let image = Image(width: width, height: count / width, samples: samples)
        let (values, counts) = try DistinctValues.of(image, withCounts: true)
        var reference = [Double: Int]()
        for s in samples { reference[s == 0 ? 0 : s, default: 0] += 1 }
        let sortedKeys = reference.keys.sorted()
        #expect(values == sortedKeys)
        #expect(counts == sortedKeys.map { Double(reference[$0]!) })
        // Float32 too.
        let floats = Image(width: width, height: count / width, samples: samples.map { Float($0) })
        let (floatValues, _) = try DistinctValues.of(floats, withCounts: false)
        #expect(floatValues == Set(samples.map { Float($0) == 0 ? 0 : Double(Float($0)) }).sorted())
    }

    @Test("histograms count every value with 64-bit counts (8- and 16-bit)")
    func histograms() {
        var generator = SplitMix64(seed: 3)
        let samples8 = (0..<5001).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let h8 = ValueHistogram(Image(width: 41, height: 121, samples: Array(samples8.prefix(41 * 121))))
        var expected8 = [UInt64](repeating: 0, count: 256)
        for s in samples8.prefix(41 * 121) { expected8[Int(s)] += 1 }
        #expect(h8.counts == expected8)
        let samples16 = (0..<3333).map { _ in UInt16.random(in: 0...65535, using: &generator) }
        let h16 = ValueHistogram(Image(width: 1, height: 3333, samples: samples16))
        var expected16 = [UInt64](repeating: 0, count: 65536)
        for s in samples16 { expected16[Int(s)] += 1 }
        #expect(h16.counts == expected16)
        let weighted = h16.weightedValues(.pixels)
        #expect(weighted.values == Set(samples16).sorted().map { Double($0) })
        #expect(weighted.totalWeight == 3333)
        #expect(h16.weightedValues(.unique).weights == nil)
    }

    @Test("fit: K larger than the distinct values uses each value as a level and says so")
    func moreLevelsThanValues() throws {
        let image = Image(width: 4, height: 2, samples: [UInt8(5), 5, 5, 9, 9, 200, 5, 5])
        let fit = try Quantization.fit(image, settings: QuantizationSettings(levelCount: .fixed(8)))
        #expect(fit.levels.centers == [5, 9, 200])
        #expect(fit.objective == 0)
        #expect(fit.distinctValueCount == 3)
        let lloyd = try Quantization.fit(image, settings: QuantizationSettings(levelCount: .fixed(8), method: .lloyd))
        #expect(lloyd.levels.centers == [5, 9, 200])
    }

    @Test("fit: a constant image has one level whatever K is", arguments: [1, 2, 64])
    func constantImage(k: Int) throws {
        let image = Image(width: 13, height: 7, repeating: Float(0.25))
        let fit = try Quantization.fit(image, settings: QuantizationSettings(levelCount: .fixed(k)))
        #expect(fit.levels.centers == [0.25])
        let result = try fit.levels.assign(image, labelType: UInt8.self, valueType: Float.self)
        #expect(result.labels!.samples.allSatisfy { $0 == 0 })
        let automatic = try Quantization.fit(image, settings: QuantizationSettings(levelCount: .automatic(1...9)))
        #expect(automatic.levels.centers == [0.25])
    }

    @Test("weighting: unique ignores how many pixels hold a value, pixels does not")
    func weightings() throws {
        // A huge background at 0 and a few pixels spread over 100...110.
        var samples = [UInt8](repeating: 0, count: 1000)
        for v in 100...110 { samples[v] = UInt8(v) }
        let image = Image(width: 100, height: 10, samples: samples)
        let unique = try Quantization.fit(image, settings: QuantizationSettings(levelCount: .fixed(2), weighting: .unique))
        let pixels = try Quantization.fit(image, settings: QuantizationSettings(levelCount: .fixed(2), weighting: .pixels))
        #expect(unique.levels.centers == [0, 105])
        #expect(pixels.levels.centers == [0, 105])
        let unique3 = try Quantization.fit(image, settings: QuantizationSettings(levelCount: .fixed(3), weighting: .unique))
        // With unique weights the background is one value among twelve: the 3 levels split the spread.
        #expect(unique3.levels.centers[0] == 0 && unique3.levels.centers.count == 3)
        // The objective equals the brute-force objective over the weighted distinct values.
        let data = try Quantization.weightedValues(of: image, weighting: .pixels)
        #expect(abs(data.objective(centers: pixels.levels.centers) - pixels.objective) < 1e-6)
    }

    @Test("fit refuses empty images, multi-channel images, infinities")
    func refusals() {
        #expect(throws: QuantizationError.emptyImage(width: 0, height: 3)) {
            try Quantization.fit(Image<UInt8>(width: 0, height: 3), settings: QuantizationSettings(levelCount: .fixed(2)))
        }
        #expect(throws: QuantizationError.notSingleChannel(channels: 3)) {
            try Quantization.fit(Image<UInt8>(width: 2, height: 3, channels: 3), settings: QuantizationSettings(levelCount: .fixed(2)))
        }
        #expect(throws: QuantizationError.infiniteValue(.infinity)) {
            try Quantization.fit(Image(width: 2, height: 1, samples: [1.0, .infinity]), settings: QuantizationSettings(levelCount: .fixed(2)))
        }
        #expect(throws: QuantizationError.invalidK("0: must be at least 1")) {
            try Quantization.fit(Image(width: 2, height: 1, samples: [1.0, 2]), settings: QuantizationSettings(levelCount: .fixed(0)))
        }
    }

    @Test("a channel of a colour image is extracted exactly")
    func channelExtraction() {
        let image = Image(width: 2, height: 2, channels: 3, samples: [UInt8](0..<12))
        #expect(Quantization.channel(1, of: image).samples == [1, 4, 7, 10])
        #expect(Quantization.channel(2, of: image.region(x: 1, y: 0, width: 1, height: 2)).samples == [5, 11])
    }
}
