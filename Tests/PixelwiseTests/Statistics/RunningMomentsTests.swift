import Testing
@testable import Pixelwise

/// Two-pass float64 reference: mean, then the sum of squared deviations.
private func twoPass(_ columns: [[Double]]) -> (mean: [Double], m2: [Double]) {
    guard let first = columns.first else { return ([], []) }
    let n = Double(columns.count)
    var mean = [Double](repeating: 0, count: first.count)
    for column in columns { for i in column.indices { mean[i] += column[i] } }
    for i in mean.indices { mean[i] /= n }
    var m2 = [Double](repeating: 0, count: first.count)
    for column in columns { for i in column.indices { m2[i] += (column[i] - mean[i]) * (column[i] - mean[i]) } }
    return (mean, m2)
}

/// Random observations: `frames` × `streams`, from the given value range.
private func observations(frames: Int, streams: Int, range: ClosedRange<Double>, seed: UInt64) -> [[Double]] {
    var rng = SplitMix64(seed: seed)
    return (0..<frames).map { _ in (0..<streams).map { _ in Double.random(in: range, using: &rng) } }
}

private func close(_ a: Double, _ b: Double, relative: Double, scale: Double) -> Bool {
    abs(a - b) <= relative * max(abs(a), abs(b), scale)
}

@Suite("Running moments: Welford and Chan merge")
struct RunningMomentsTests {
    @Test("Welford in Double equals two-pass statistics", arguments: [1, 2, 3, 17, 200])
    func welfordDouble(frames: Int) {
        let data = observations(frames: frames, streams: 37, range: -1000...1000, seed: UInt64(frames))
        var moments = RunningMoments<Double>(streams: 37)
        for frame in data { moments.add(frame) }
        let reference = twoPass(data)
        #expect(moments.count == frames)
        for i in 0..<37 {
            #expect(close(moments.mean[i], reference.mean[i], relative: 1e-12, scale: 1000))
            #expect(close(moments.m2[i], reference.m2[i], relative: 1e-10, scale: 1))
        }
    }

    @Test("Welford in Float stays within float rounding of two-pass float64, 8-bit range", arguments: [1, 2, 40, 500])
    func welfordFloat(frames: Int) {
        let data = observations(frames: frames, streams: 101, range: 0...255, seed: 7 + UInt64(frames)).map { $0.map { $0.rounded() } }
        var moments = RunningMoments<Float>(streams: 101)
        for frame in data { moments.add(frame.map { Float($0) }) }
        let reference = twoPass(data)
        for i in 0..<101 {
            #expect(close(Double(moments.mean[i]), reference.mean[i], relative: 1e-5, scale: 1))
            #expect(close(Double(moments.m2[i]), reference.m2[i], relative: 1e-4, scale: Double(frames)))
        }
    }

    @Test("Extremes: constant streams have M2 exactly 0; a huge offset does not cancel the spread")
    func extremes() {
        var constant = RunningMoments<Double>(streams: 3)
        for _ in 0..<50 { constant.add([0, 255, -1e300]) }
        #expect(constant.m2 == [0, 0, 0])
        #expect(constant.mean == [0, 255, -1e300])
        // Values 1e9 + {0, 1, …, 6}: the naive Σx² − n·mean² loses everything in Double (1e18 against a
        // spread of 4); Welford keeps about 8 digits.
        var offset = RunningMoments<Double>(streams: 1)
        let values = (0..<100).map { 1e9 + Double($0 % 7) }
        for v in values { offset.add([v]) }
        let reference = twoPass(values.map { [$0] })
        #expect(close(offset.m2[0], reference.m2[0], relative: 1e-7, scale: 1))
    }

    @Test("Chan merge of shards equals one pass", arguments: [(1, 1), (1, 30), (13, 29), (100, 3), (40, 40)])
    func mergeEqualsOnePass(first: Int, second: Int) {
        let data = observations(frames: first + second, streams: 64, range: 0...255, seed: 99)
        var whole = RunningMoments<Double>(streams: 64)
        var a = RunningMoments<Double>(streams: 64), b = RunningMoments<Double>(streams: 64)
        for (index, frame) in data.enumerated() {
            whole.add(frame)
            if index < first { a.add(frame) } else { b.add(frame) }
        }
        a.merge(b)
        #expect(a.count == whole.count)
        for i in 0..<64 {
            #expect(close(a.mean[i], whole.mean[i], relative: 1e-12, scale: 1))
            #expect(close(a.m2[i], whole.m2[i], relative: 1e-10, scale: 1))
        }
    }

    @Test("Float shards merge to one Float pass within 1e-6 relative (of the M2 scale)")
    func mergeFloat() {
        let data = observations(frames: 40, streams: 500, range: -255...255, seed: 5)
        var whole = RunningMoments<Float>(streams: 500)
        var shards = (0..<4).map { _ in RunningMoments<Float>(streams: 500) }
        for (index, frame) in data.enumerated() {
            let values = frame.map { Float($0) }
            whole.add(values)
            shards[index % 4].add(values)
        }
        var merged = shards[0]
        for shard in shards.dropFirst() { merged.merge(shard) }
        let reference = twoPass(data)
        for i in 0..<500 {
            // Both Float results are within a few float ulps of the exact value, so of each other.
            #expect(close(Double(merged.m2[i]), Double(whole.m2[i]), relative: 1e-5, scale: 1))
            #expect(close(Double(merged.m2[i]), reference.m2[i], relative: 1e-5, scale: 1))
            #expect(close(Double(merged.mean[i]), reference.mean[i], relative: 1e-5, scale: 1))
        }
    }

    @Test("Merging with empty statistics changes nothing, either side")
    func emptyMerges() {
        let data = observations(frames: 5, streams: 9, range: 0...1, seed: 3)
        var filled = RunningMoments<Double>(streams: 9)
        for frame in data { filled.add(frame) }
        var left = filled
        left.merge(RunningMoments(streams: 9))
        #expect(left.mean == filled.mean && left.m2 == filled.m2 && left.count == 5)
        var right = RunningMoments<Double>(streams: 9)
        right.merge(filled)
        #expect(right.mean == filled.mean && right.m2 == filled.m2 && right.count == 5)
        var both = RunningMoments<Double>(streams: 9)
        both.merge(RunningMoments(streams: 9))
        #expect(both.count == 0 && both.m2.allSatisfy { $0 == 0 })
    }

    @Test("n = 1: mean is the value, M2 and variance are 0")
    func single() {
        var one = RunningMoments<Float>(streams: 2)
        one.add([3, -7])
        #expect(one.mean == [3, -7] && one.m2 == [0, 0] && one.variance(0) == 0)
    }

    @Test("Adding partial M2s (the seed's mistake) differs from the exact merge")
    func naiveSumIsWrong() {
        var a = RunningMoments<Double>(streams: 1), b = RunningMoments<Double>(streams: 1)
        for v in [0.0, 1, 2] { a.add([v]) }
        for v in [10.0, 11, 12] { b.add([v]) }
        let naive = a.m2[0] + b.m2[0]
        a.merge(b)
        #expect(naive == 4)
        #expect(a.m2[0] == twoPass([[0], [1], [2], [10], [11], [12]]).m2[0])
        #expect(a.m2[0] > 100)
    }
}
