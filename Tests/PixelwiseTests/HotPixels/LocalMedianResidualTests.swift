import Testing
@testable import Pixelwise

/// Brute force: the in-bounds same-channel ring `step` pixels away, sorted; median of 8 = mean of 4th and 5th.
private func bruteResidual<S: HotPixelSample>(_ image: Image<S>, x: Int, y: Int, c: Int, step: Int) -> Float {
    var ring: [Float] = []
    for dy in [-step, 0, step] {
        for dx in [-step, 0, step] where dx != 0 || dy != 0 {
            let nx = x + dx, ny = y + dy
            if nx >= 0, nx < image.width, ny >= 0, ny < image.height { ring.append(image[nx, ny, c].floatValue) }
        }
    }
    if ring.isEmpty { return 0 }
    ring.sort()
    let median = ring.count % 2 == 1 ? ring[ring.count / 2] : (ring[ring.count / 2 - 1] + ring[ring.count / 2]) / 2
    return image[x, y, c].floatValue - median
}

/// Every row of `image` through the kernel, compared sample by sample with the brute force.
private func expectKernelMatchesBruteForce<S: HotPixelSample>(_ image: Image<S>, step: Int,
                                                               sourceLocation: SourceLocation = #_sourceLocation) {
    let rowLength = image.width * image.channels
    // Guard samples past the row: the kernel must write exactly `rowLength` values.
    var row = [Float](repeating: .nan, count: rowLength + 16)
    var mismatches = 0
    image.withUnsafeBuffer { buffer in
        for y in 0..<image.height {
            for index in row.indices { row[index] = .nan }
            row.withUnsafeMutableBufferPointer { LocalMedianResidual.row(buffer, y: y, step: step, into: $0.baseAddress!) }
            for x in 0..<image.width {
                for c in 0..<image.channels where row[x * image.channels + c] != bruteResidual(image, x: x, y: y, c: c, step: step) {
                    mismatches += 1
                }
            }
            for index in rowLength..<row.count where !row[index].isNaN { mismatches += 1 }
        }
    }
    #expect(mismatches == 0, "\(image.width)×\(image.height)×\(image.channels) \(S.self) step \(step)",
            sourceLocation: sourceLocation)
}

private let sizes: [(Int, Int)] = [(1, 1), (1, 17), (23, 1), (2, 2), (3, 3), (5, 4), (7, 9), (15, 6), (16, 5), (17, 7),
                                   (18, 3), (31, 8), (33, 5), (37, 23), (64, 4), (65, 6), (100, 5)]

@Suite("Hot pixels: local median residual kernel")
struct LocalMedianResidualTests {
    @Test("4th and 5th of eight: every 0/1 input (0-1 principle) and random permutations with ties")
    func middlePairSelectsMiddleOrderStatistics() {
        for bits in 0..<256 {
            let values = (0..<8).map { UInt8((bits >> $0) & 1) }
            let (fourth, fifth) = LocalMedianResidual.middlePair(
                SIMD2(repeating: values[0]), SIMD2(repeating: values[1]), SIMD2(repeating: values[2]), SIMD2(repeating: values[3]),
                SIMD2(repeating: values[4]), SIMD2(repeating: values[5]), SIMD2(repeating: values[6]), SIMD2(repeating: values[7]))
            let sorted = values.sorted()
            #expect(fourth[0] == sorted[3] && fifth[0] == sorted[4], "input \(values)")
        }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let values = (0..<8).map { _ in Int16.random(in: -3...3, using: &rng) }
            let (fourth, fifth) = LocalMedianResidual.middlePair(
                SIMD2(repeating: values[0]), SIMD2(repeating: values[1]), SIMD2(repeating: values[2]), SIMD2(repeating: values[3]),
                SIMD2(repeating: values[4]), SIMD2(repeating: values[5]), SIMD2(repeating: values[6]), SIMD2(repeating: values[7]))
            let sorted = values.sorted()
            #expect(fourth[0] == sorted[3] && fifth[0] == sorted[4], "input \(values)")
        }
    }

    @Test("Byte-lane network: 4th and 5th of eight for every 0/1 input in every lane, and random bytes")
    func middlePairBytesSelectsMiddleOrderStatistics() {
        var rng = SplitMix64(seed: 11)
        for round in 0..<(256 + 500) {
            // Rounds below 256: lane k gets the 0/1 pattern (round + 16k) mod 256, valued 0 or 255.
            var inputs = [SIMD16<UInt8>](repeating: .zero, count: 8)
            for lane in 0..<16 {
                let bits = (round + 16 * lane) % 256
                for i in 0..<8 {
                    inputs[i][lane] = round < 256 ? ((bits >> i) & 1 == 1 ? 255 : 0) : UInt8.random(in: 0...255, using: &rng)
                }
            }
            let (fourth, fifth) = LocalMedianResidual.middlePairBytes(inputs[0], inputs[1], inputs[2], inputs[3],
                                                                      inputs[4], inputs[5], inputs[6], inputs[7])
            for lane in 0..<16 {
                let sorted = inputs.map { $0[lane] }.sorted()
                #expect(fourth[lane] == sorted[3] && fifth[lane] == sorted[4], "round \(round) lane \(lane)")
            }
        }
    }

    @Test("8-bit: kernel equals brute force, odd sizes, every channel count, RGB and CFA spacing",
          arguments: [1, 2, 3, 4], [1, 2])
    func uint8MatchesBruteForce(channels: Int, step: Int) {
        var rng = SplitMix64(seed: UInt64(channels * 10 + step))
        for (width, height) in sizes {
            expectKernelMatchesBruteForce(randomImage(UInt8.self, width: width, height: height, channels: channels, rng: &rng) {
                UInt8.random(in: 0...255, using: &$0)
            }, step: step)
            // Few distinct values: many ties in the ring.
            expectKernelMatchesBruteForce(randomImage(UInt8.self, width: width, height: height, channels: channels, rng: &rng) {
                [0, 1, 254, 255][Int.random(in: 0..<4, using: &$0)]
            }, step: step)
        }
    }

    @Test("16-bit, Float and Double: kernel equals brute force", arguments: [1, 3, 4], [1, 2])
    func otherTypesMatchBruteForce(channels: Int, step: Int) {
        var rng = SplitMix64(seed: UInt64(channels * 100 + step))
        for (width, height) in sizes {
            expectKernelMatchesBruteForce(randomImage(UInt16.self, width: width, height: height, channels: channels, rng: &rng) {
                UInt16.random(in: 0...65535, using: &$0)
            }, step: step)
            expectKernelMatchesBruteForce(randomImage(Float.self, width: width, height: height, channels: channels, rng: &rng) {
                Float.random(in: -1...1, using: &$0)
            }, step: step)
            expectKernelMatchesBruteForce(randomImage(Double.self, width: width, height: height, channels: channels, rng: &rng) {
                Double.random(in: 0...1, using: &$0)
            }, step: step)
        }
    }

    @Test("A region view (row stride wider than the row) gives the residuals of a copy of the region",
          arguments: [1, 2])
    func regionViewMatchesBruteForce(step: Int) {
        var rng = SplitMix64(seed: 99)
        let image = randomImage(UInt8.self, width: 90, height: 40, channels: 3, rng: &rng) { UInt8.random(in: 0...255, using: &$0) }
        for (x, y, width, height) in [(3, 2, 41, 30), (0, 0, 1, 40), (5, 7, 33, 1), (10, 10, 80, 30)] {
            let view = image.region(x: x, y: y, width: width, height: height)
            expectKernelMatchesBruteForce(view, step: step)
        }
    }

    @Test("Extremes: a lone 0 in 255 gives −255 and a lone 255 in 0 gives +255, in 8 and 16 bits")
    func extremes() {
        for (background, spot, expected) in [(UInt8(255), UInt8(0), Float(-255)), (0, 255, 255)] {
            var image = Image<UInt8>(width: 40, height: 5, channels: 1, repeating: background)
            image[20, 2, 0] = spot
            var row = [Float](repeating: .nan, count: 40)
            image.withUnsafeBuffer { buffer in
                row.withUnsafeMutableBufferPointer { LocalMedianResidual.row(buffer, y: 2, step: 1, into: $0.baseAddress!) }
            }
            #expect(row[20] == expected)
            #expect(row.enumerated().allSatisfy { $0.offset == 20 || $0.element == 0 })
        }
        var wide = Image<UInt16>(width: 40, height: 5, channels: 1, repeating: 65535)
        wide[20, 2, 0] = 0
        var row = [Float](repeating: .nan, count: 40)
        wide.withUnsafeBuffer { buffer in
            row.withUnsafeMutableBufferPointer { LocalMedianResidual.row(buffer, y: 2, step: 1, into: $0.baseAddress!) }
        }
        #expect(row[20] == -65535)
        #expect(row.enumerated().allSatisfy { $0.offset == 20 || $0.element == 0 })
    }
}
