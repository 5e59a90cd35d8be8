import Testing
@testable import Pixelwise

/// The obvious rule: the nearest centre, the lowest index on a tie.
func bruteForceLabel(_ value: Double, _ centers: [Double]) -> Int {
    var best = 0
    for t in centers.indices where abs(value - centers[t]) < abs(value - centers[best]) { best = t }
    return best
}

@Suite("Level maps and assignment")
struct LevelAssignmentTests {
    @Test("thresholds reproduce the brute-force argmin, ties (exact midpoints) to the lower centre")
    func labelMatchesBruteForce() throws {
        var generator = SplitMix64(seed: 4)
        for _ in 0..<200 {
            let k = Int.random(in: 1...12, using: &generator)
            var centerSet = Set<Double>()
            while centerSet.count < k { centerSet.insert(Double(Int.random(in: -50...50, using: &generator)) / 4) }
            let levels = try QuantizationLevels(centers: Array(centerSet))
            var probes = (0..<100).map { _ in Double.random(in: -20...20, using: &generator) }
            // Exact midpoints, their neighbours, the centres themselves.
            for t in 0..<(k - 1) {
                let m = (levels.centers[t] + levels.centers[t + 1]) / 2
                probes += [m, m.nextUp, m.nextDown, levels.centers[t]]
            }
            for v in probes {
                #expect(levels.label(of: v) == bruteForceLabel(v, levels.centers), "value \(v) centres \(levels.centers)")
            }
        }
    }

    @Test("thresholds are exact even where the rounded midpoint is not")
    func awkwardMidpoints() throws {
        // Each threshold is the first value at which the upper neighbour is strictly nearer. (Over all
        // centres at once a brute force can tie non-neighbours when magnitudes span 1e-300...1e300 —
        // every distance rounds to the same — so the defining property is checked pairwise.)
        let levels = try QuantizationLevels(centers: [0.1, 0.2, 0.30000000000000004, 1e-300, 1e300, -7.3, 1.0 / 3])
        for t in 0..<(levels.count - 1) {
            let (lower, upper) = (levels.centers[t], levels.centers[t + 1])
            let threshold = levels.thresholds[t]
            #expect(abs(threshold - upper) < abs(threshold - lower))
            #expect(!(abs(threshold.nextDown - upper) < abs(threshold.nextDown - lower)))
            #expect(levels.label(of: threshold) == t + 1 && levels.label(of: threshold.nextDown) == t)
        }
    }

    @Test("the 8/16-bit lookup table agrees with the threshold search and the brute force")
    func lookupTableAgrees() throws {
        var generator = SplitMix64(seed: 8)
        for _ in 0..<30 {
            let k = Int.random(in: 1...9, using: &generator)
            var centerSet = Set<Double>()
            while centerSet.count < k { centerSet.insert(Double(Int.random(in: -20...300, using: &generator)) + [0, 0.5, 0.25][Int.random(in: 0..<3, using: &generator)]) }
            let levels = try QuantizationLevels(centers: Array(centerSet))
            let table8 = levels.labelTable(for: UInt8.self)
            for u in 0..<256 {
                #expect(table8[u] == levels.label(of: Double(u)))
                #expect(table8[u] == bruteForceLabel(Double(u), levels.centers))
            }
            let table16 = levels.labelTable(for: UInt16.self)
            for u in stride(from: 0, to: 65536, by: 7) { #expect(table16[u] == bruteForceLabel(Double(u), levels.centers)) }
        }
    }

    @Test("assignment of every sample type matches the brute force on odd sizes",
          arguments: [(1, 1), (1, 37), (29, 1), (63, 17), (300, 41)])
    func imagesMatchBruteForce(width: Int, height: Int) throws {
        var generator = SplitMix64(seed: UInt64(width * 1000 + height))
        let levels = try QuantizationLevels(centers: [3, 17.5, 40, 41, 200, 1000.25, 60000])
        func check<S: PixelSample>(_ samples: [S]) throws {
            let image = Image(width: width, height: height, samples: samples)
            let result = try levels.assign(image, labelType: UInt8.self, valueType: S.self)
            let exact = try levels.assign(image, labelType: UInt16.self, valueType: Double.self)
            let labels = result.labels!.samples, values = result.values!.samples, exactValues = exact.values!.samples
            #expect(labels.map(Int.init) == exact.labels!.samples.map(Int.init))
            let expected = samples.map { bruteForceLabel($0.doubleValue, levels.centers) }
            #expect(labels.map(Int.init) == expected)
            #expect(values == expected.map { S(roundingClamping: levels.centers[$0]) })
            #expect(exactValues == expected.map { levels.centers[$0] })
            let labelsOnly = try levels.assign(image, labelType: UInt8.self, valueType: S.self, makeValues: false)
            #expect(labelsOnly.values == nil && labelsOnly.labels == result.labels)
            let valuesOnly = try levels.assign(image, labelType: UInt8.self, valueType: S.self, makeLabels: false)
            #expect(valuesOnly.labels == nil && valuesOnly.values == result.values)
        }
        let count = width * height
        try check((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try check((0..<count).map { _ in UInt16.random(in: 0...65535, using: &generator) })
        // Midpoints of the centres appear among the float samples.
        let specials: [Double] = [10.25, 28.75, 40.5, 120.5, 600.125, -1e9, 1e9, .infinity, -.infinity, -0.0]
        try check((0..<count).map { i in i % 5 == 0 ? Float(specials[i % specials.count]) : Float.random(in: -100...70000, using: &generator) })
        try check((0..<count).map { i in i % 5 == 0 ? specials[i % specials.count] : Double.random(in: -100...70000, using: &generator) })
    }

    @Test("the eight-lane float search matches the threshold rule and the brute force for every K around its group sizes, tails, ±∞ and exact thresholds",
          arguments: [1, 2, 7, 8, 9, 14, 15, 16, 31, 32, 33, 40])
    func vectorSearchMatchesBruteForce(k: Int) throws {
        var generator = SplitMix64(seed: UInt64(100 + k))
        var centerSet = Set<Double>()
        while centerSet.count < k { centerSet.insert(Double(Int.random(in: -4000...4000, using: &generator)) / 8) }
        let levels = try QuantizationLevels(centers: Array(centerSet))
        // Thresholds themselves and their neighbours, centres, extremes, and random values.
        var probes: [Double] = [0, -0.0, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        for t in levels.thresholds { probes += [t, t.nextUp, t.nextDown] }
        probes += levels.centers
        while probes.count < 700 { probes.append(Double.random(in: -600...600, using: &generator)) }
        probes.shuffle(using: &generator)
        // Widths 1...17 exercise every tail length of the eight-sample blocks.
        for width in [1, 3, 7, 8, 9, 15, 16, 17] {
            let height = probes.count / width
            let used = Array(probes.prefix(width * height))
            func check<S: PixelSample & BinaryFloatingPoint, V: PixelSample>(_ samples: [S], valueType: V.Type) throws {
                let image = Image(width: width, height: height, samples: samples)
                // The reference is the scalar threshold rule (itself checked against the brute force above);
                // the brute force agrees wherever distances do not all round to the same (not at ±∞).
                let expected = samples.map { levels.label(of: $0.doubleValue) }
                for (sample, label) in zip(samples, expected) where abs(sample.doubleValue) < 1e6 {
                    #expect(label == bruteForceLabel(sample.doubleValue, levels.centers))
                }
                let result = try levels.assign(image, labelType: UInt8.self, valueType: V.self)
                #expect(result.labels!.samples.map(Int.init) == expected, "K \(k) width \(width) \(S.self) → \(V.self)")
                #expect(result.values!.samples == expected.map { V(roundingClamping: levels.centers[$0]) })
                let wide = try levels.assign(image, labelType: UInt16.self, valueType: V.self, makeValues: false)
                #expect(wide.labels!.samples.map(Int.init) == expected)
                let valuesOnly = try levels.assign(image, labelType: UInt8.self, valueType: V.self, makeLabels: false)
                #expect(valuesOnly.values == result.values)
            }
            try check(used, valueType: Double.self)
            let floats = used.map { Float($0) }
            try check(floats, valueType: Float.self)
            try check(floats, valueType: Double.self)
        }
    }

    @Test("NaN anywhere, including the tail of a row, is refused at its position", arguments: [0, 5, 8, 12, 15, 16])
    func notANumberInEveryLane(position: Int) throws {
        let width = 17
        var samples = [Double](repeating: 0.25, count: width * 3)
        samples[width + position] = .nan
        let levels = try QuantizationLevels(centers: [0, 0.5, 1])
        #expect(throws: QuantizationError.notANumber(x: position, y: 1)) {
            try levels.assign(Image(width: width, height: 3, samples: samples), labelType: UInt8.self, valueType: Double.self)
        }
        #expect(throws: QuantizationError.notANumber(x: position, y: 1)) {
            try levels.assign(Image(width: width, height: 3, samples: samples.map { Float($0) }), labelType: UInt8.self,
                              valueType: Float.self, makeValues: false)
        }
    }

    @Test("block-wise assignment delivers every row once, equal to the whole-image assignment",
          arguments: [(1, 1), (1, 300), (300, 1), (1000, 200), (70000, 3), (123, 1100)])
    func blocksMatchWholeImage(width: Int, height: Int) throws {
        var generator = SplitMix64(seed: UInt64(width + 7 * height))
        let samples = (0..<(width * height)).map { _ in Double.random(in: -1...2, using: &generator) }
        let image = Image(width: width, height: height, samples: samples)
        let levels = try QuantizationLevels(centers: [-0.5, 0, 0.25, 1, 1.5])
        let whole = try levels.assign(image, labelType: UInt8.self, valueType: Double.self)
        // Blocks arrive on several threads in any order: copy them into images and count rows.
        var labels = Image<UInt8>(width: width, height: height, repeating: 255)
        var values = Image<Double>(width: width, height: height, repeating: .nan)
        var deliveredCounts = Image<UInt8>(width: 1, height: height, repeating: 0)
        try labels.withUnsafeMutableBuffer { labelTarget in
            try values.withUnsafeMutableBuffer { valueTarget in
                try deliveredCounts.withUnsafeMutableBuffer { counts in
                    try levels.assignInBlocks(image, labelType: UInt8.self, valueType: Double.self) { rows, l, v in
                        for (offset, y) in rows.enumerated() {
                            labelTarget.rowPointer(y).update(from: l!.rowPointer(offset), count: width)
                            valueTarget.rowPointer(y).update(from: v!.rowPointer(offset), count: width)
                            counts.base[y] &+= 1
                        }
                    }
                }
            }
        }
        #expect(deliveredCounts.samples.allSatisfy { $0 == 1 })
        #expect(labels == whole.labels && values == whole.values)
        // Labels only: no value buffer is delivered.
        try levels.assignInBlocks(image, labelType: UInt16.self, valueType: Double.self, makeValues: false) { rows, l, v in
            #expect(v == nil && l != nil && l!.height == rows.count)
        }
    }

    @Test("block-wise assignment of 8- and 16-bit images (lookup tables built once) equals the whole-image one")
    func blocksOfIntegerImages() throws {
        var generator = SplitMix64(seed: 33)
        let levels = try QuantizationLevels(centers: [3, 17.5, 40, 41, 200, 1000.25, 60000])
        func check<S: PixelSample & FixedWidthInteger>(_ type: S.Type) throws {
            let (width, height) = (700, 230)
            let image = Image(width: width, height: height, samples: (0..<(width * height)).map { _ in S.random(in: S.min...S.max, using: &generator) })
            let whole = try levels.assign(image, labelType: UInt8.self, valueType: S.self)
            var labels = Image<UInt8>(width: width, height: height, repeating: 255)
            var values = Image<S>(width: width, height: height, repeating: 0)
            try labels.withUnsafeMutableBuffer { labelTarget in
                try values.withUnsafeMutableBuffer { valueTarget in
                    try levels.assignInBlocks(image, labelType: UInt8.self, valueType: S.self) { rows, l, v in
                        for (offset, y) in rows.enumerated() {
                            labelTarget.rowPointer(y).update(from: l!.rowPointer(offset), count: width)
                            valueTarget.rowPointer(y).update(from: v!.rowPointer(offset), count: width)
                        }
                    }
                }
            }
            #expect(labels == whole.labels && values == whole.values)
        }
        try check(UInt8.self)
        try check(UInt16.self)
    }

    struct DeliveryFailed: Error, Equatable {}

    @Test("block-wise: a NaN is reported at its image position; a delivery error is rethrown")
    func blockErrors() throws {
        let width = 40, height = 5000
        var samples = [Double](repeating: 0.5, count: width * height)
        samples[3217 * width + 11] = .nan
        samples[4000 * width + 3] = .nan
        let levels = try QuantizationLevels(centers: [0, 1])
        #expect(throws: QuantizationError.notANumber(x: 11, y: 3217)) {
            try levels.assignInBlocks(Image(width: width, height: height, samples: samples), labelType: UInt8.self,
                                      valueType: Double.self) { _, _, _ in }
        }
        #expect(throws: DeliveryFailed()) {
            try levels.assignInBlocks(Image(width: width, height: 300, repeating: 0.25), labelType: UInt8.self,
                                      valueType: Double.self) { rows, _, _ in
                if rows.contains(100) { throw DeliveryFailed() }
            }
        }
    }

    @Test("region views (rows not contiguous) are quantized like their copies")
    func regions() throws {
        var generator = SplitMix64(seed: 2)
        let parent = Image(width: 50, height: 40, samples: (0..<2000).map { _ in Double.random(in: 0...1, using: &generator) })
        let view = parent.region(x: 7, y: 3, width: 31, height: 22)
        let levels = try QuantizationLevels(centers: [0.2, 0.5, 0.9])
        let a = try levels.assign(view, labelType: UInt8.self, valueType: Double.self)
        let b = try levels.assign(view.compacted(), labelType: UInt8.self, valueType: Double.self)
        #expect(a.labels == b.labels && a.values == b.values)
    }

    @Test("NaN is refused with its position; float32 thresholds agree with float64 ones")
    func notANumber() throws {
        var samples = [Float](repeating: 0.5, count: 12)
        samples[7] = .nan
        let image = Image(width: 4, height: 3, samples: samples)
        let levels = try QuantizationLevels(centers: [0, 1])
        #expect(throws: QuantizationError.notANumber(x: 3, y: 1)) {
            try levels.assign(image, labelType: UInt8.self, valueType: Float.self)
        }
        #expect(throws: QuantizationError.notANumber(x: 3, y: 1)) {
            try Quantization.fit(image, settings: QuantizationSettings(levelCount: .fixed(2)))
        }
    }

    @Test("given centres: duplicates, non-finite and empty lists are refused; 65536 levels allowed")
    func centerValidation() throws {
        #expect(throws: QuantizationError.self) { try QuantizationLevels(centers: []) }
        #expect(throws: QuantizationError.self) { try QuantizationLevels(centers: [1, 2, 1]) }
        #expect(throws: QuantizationError.self) { try QuantizationLevels(centers: [1, .nan]) }
        #expect(throws: QuantizationError.self) { try QuantizationLevels(centers: [1, .infinity]) }
        let many = try QuantizationLevels(centers: (0..<65536).map { Double($0) })
        let image = Image(width: 3, height: 1, samples: [UInt16(0), 300, 65535])
        let result = try many.assign(image, labelType: UInt16.self, valueType: UInt16.self)
        #expect(result.labels!.samples == [0, 300, 65535])
    }

    @Test("level statistics agree with a direct count")
    func statistics() throws {
        var generator = SplitMix64(seed: 6)
        let levels = try QuantizationLevels(centers: [10, 100, 200])
        let samples = (0..<999).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let image8 = Image(width: 37, height: 27, samples: samples)
        let imageD = Image(width: 37, height: 27, samples: samples.map { Double($0) })
        for statistics in [LevelStatistics(of: image8, levels: levels), LevelStatistics(of: imageD, levels: levels)] {
            for t in 0..<3 {
                let members = samples.map { Double($0) }.filter { bruteForceLabel($0, levels.centers) == t }
                #expect(statistics.counts[t] == members.count)
                #expect(statistics.minimum[t] == members.min())
                #expect(statistics.maximum[t] == members.max())
                let sse = members.reduce(0.0) { $0 + ($1 - levels.centers[t]) * ($1 - levels.centers[t]) }
                #expect(abs(statistics.squaredError[t] - sse) <= 1e-9 * max(1, sse))
            }
        }
    }
}
