import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Pixelwise

/// Brute-force references for 1-D k-means on tiny inputs.
enum KMeansReference {
    /// Weighted SSE of a group around its weighted mean.
    static func cost(_ values: [Double], _ weights: [Double], _ indices: [Int]) -> Double {
        let w = indices.reduce(0.0) { $0 + weights[$1] }
        let mean = indices.reduce(0.0) { $0 + weights[$1] * values[$1] } / w
        return indices.reduce(0.0) { $0 + weights[$1] * (values[$1] - mean) * (values[$1] - mean) }
    }

    /// The best objective over every split of sorted values into k non-empty runs of consecutive values.
    static func bestContiguous(_ values: [Double], _ weights: [Double], k: Int) -> Double {
        let n = values.count
        var best = Double.infinity
        // Choose k − 1 cut positions among 1..<n.
        func recurse(_ start: Int, _ left: Int, _ acc: Double) {
            if left == 1 {
                best = min(best, acc + cost(values, weights, Array(start..<n)))
                return
            }
            guard n - start >= left else { return }
            for end in (start + 1)...(n - left + 1) {
                recurse(end, left - 1, acc + cost(values, weights, Array(start..<end)))
            }
        }
        recurse(0, k, 0)
        return best
    }

    /// The best objective over every assignment of values to k non-empty groups (any grouping at all).
    static func bestAnyPartition(_ values: [Double], _ weights: [Double], k: Int) -> Double {
        let n = values.count
        var best = Double.infinity
        var assignment = [Int](repeating: 0, count: n)
        // Restricted growth strings enumerate set partitions once each.
        func recurse(_ i: Int, _ used: Int) {
            if i == n {
                guard used == k else { return }
                var total = 0.0
                for group in 0..<k { total += cost(values, weights, (0..<n).filter { assignment[$0] == group }) }
                best = min(best, total)
                return
            }
            for group in 0..<min(used + 1, k) {
                assignment[i] = group
                recurse(i + 1, max(used, group + 1))
            }
        }
        recurse(0, 0)
        return best
    }

    /// Random strictly increasing values (some clustered, some spread) and weights.
    static func randomInput(count: Int, generator: inout SplitMix64, weighted: Bool) -> WeightedValues {
        var set = Set<Double>()
        while set.count < count {
            let coarse = Double(Int.random(in: 0..<6, using: &generator)) * 10
            set.insert(coarse + Double(Int.random(in: 0...400, using: &generator)) / 64)
        }
        let values = set.sorted()
        let weights = weighted ? values.map { _ in Double(Int.random(in: 1...20, using: &generator)) } : nil
        return WeightedValues(values: values, weights: weights)
    }
}

@Suite("Optimal 1-D k-means")
struct OptimalKMeansTests {
    @Test("equals the exhaustive optimum over consecutive runs, and any grouping does no better",
          arguments: [false, true])
    func matchesBruteForce(weighted: Bool) {
        var generator = SplitMix64(seed: weighted ? 7 : 3)
        for trial in 0..<60 {
            let n = 1 + trial % 9
            let data = KMeansReference.randomInput(count: n, generator: &generator, weighted: weighted)
            let weights = (0..<n).map { data.weight(at: $0) }
            for k in 1...n {
                let result = OptimalKMeans.cluster(data, k: k)
                let reference = KMeansReference.bestContiguous(data.values, weights, k: k)
                #expect(abs(result.objective - reference) <= 1e-9 * max(1, reference), "n \(n) k \(k)")
                #expect(abs(data.objective(centers: result.centers) - result.objective) <= 1e-9 * max(1, reference))
                #expect(result.clusterRanges.count == k)
                #expect(result.clusterRanges.allSatisfy { !$0.isEmpty })
                if n <= 7 {
                    let anyPartition = KMeansReference.bestAnyPartition(data.values, weights, k: k)
                    #expect(abs(anyPartition - reference) <= 1e-9 * max(1, reference), "contiguity is optimal, n \(n) k \(k)")
                }
            }
        }
    }

    @Test("the divide-and-conquer layers agree with the plain O(K n²) dynamic programme on larger inputs",
          arguments: [false, true])
    func matchesQuadraticProgramme(weighted: Bool) {
        var generator = SplitMix64(seed: 11)
        for n in [40, 97, 150] {
            let data = KMeansReference.randomInput(count: n, generator: &generator, weighted: weighted)
            let weights = (0..<n).map { data.weight(at: $0) }
            // Every run's cost, by direct accumulation (no prefix-sum cancellation tricks).
            var runCost = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n + 1)
            for j in 0..<n {
                var w = 0.0, s = 0.0
                for i in (j + 1)...n {
                    w += weights[i - 1]
                    s += weights[i - 1] * data.values[i - 1]
                    let mean = s / w
                    var c = 0.0
                    for t in j..<i { c += weights[t] * (data.values[t] - mean) * (data.values[t] - mean) }
                    runCost[j][i] = c
                }
            }
            for k in [2, 3, 5, 8, 17] {
                // Plain DP, every split tried.
                var previous = (0...n).map { i in runCost[0][i] }
                for layer in 2...k {
                    var current = [Double](repeating: .infinity, count: n + 1)
                    for i in layer...n {
                        for j in (layer - 1)..<i { current[i] = min(current[i], previous[j] + runCost[j][i]) }
                    }
                    previous = current
                }
                let result = OptimalKMeans.cluster(data, k: k)
                #expect(abs(result.objective - previous[n]) <= 1e-9 * max(1, previous[n]), "n \(n) k \(k)")
            }
        }
    }

    @Test("never worse than Lloyd's local optimum", arguments: [false, true])
    func neverWorseThanLloyd(weighted: Bool) {
        var generator = SplitMix64(seed: 5)
        for trial in 0..<40 {
            let n = 5 + trial * 7
            let data = KMeansReference.randomInput(count: n, generator: &generator, weighted: weighted)
            for k in [1, 2, 3, 4, 7] where k <= n {
                let optimal = OptimalKMeans.cluster(data, k: k)
                let lloyd = LloydKMeans.cluster(data, k: k, restarts: 3, seed: UInt64(trial))
                #expect(optimal.objective <= lloyd.objective + 1e-9 * max(1, lloyd.objective))
                #expect(abs(data.objective(centers: lloyd.centers) - lloyd.objective) <= 1e-9 * max(1, lloyd.objective))
            }
        }
    }

    @Test("Lloyd is reproducible for a seed")
    func lloydSeeded() {
        var generator = SplitMix64(seed: 9)
        let data = KMeansReference.randomInput(count: 200, generator: &generator, weighted: true)
        let a = LloydKMeans.cluster(data, k: 6, restarts: 4, seed: 42)
        let b = LloydKMeans.cluster(data, k: 6, restarts: 4, seed: 42)
        #expect(a == b)
    }

    @Test("K = 1 is the weighted mean; K = n puts each value alone at zero cost")
    func extremes() {
        let data = WeightedValues(values: [1, 2, 4, 8], weights: [1, 1, 1, 5])
        let one = OptimalKMeans.cluster(data, k: 1)
        #expect(one.centers == [(1 + 2 + 4 + 40) / 8.0])
        let all = OptimalKMeans.cluster(data, k: 4)
        #expect(all.centers == [1, 2, 4, 8])
        #expect(all.objective == 0)
        let single = OptimalKMeans.cluster(WeightedValues(values: [3.5]), k: 1)
        #expect(single.centers == [3.5] && single.objective == 0)
    }

    @Test("ties: equally good splits resolve deterministically")
    func ties() {
        // 0, 1, 2 into two clusters: {0}{1,2} and {0,1}{2} cost the same; the first found is kept.
        let data = WeightedValues(values: [0, 1, 2])
        let result = OptimalKMeans.cluster(data, k: 2)
        #expect(result.objective == 0.5)
        #expect(result == OptimalKMeans.cluster(data, k: 2))
    }

    @Test("the layers use every core without changing the answer (large input)")
    func largeInput() {
        var generator = SplitMix64(seed: 21)
        var values = (0..<100_000).map { _ in Double.random(in: 0..<1, using: &generator) }
        values = Array(Set(values)).sorted()
        let data = WeightedValues(values: values)
        let result = OptimalKMeans.cluster(data, k: 5)
        // Uniform data: optimal 5 levels are near 0.1, 0.3, 0.5, 0.7, 0.9.
        for (center, expected) in zip(result.centers, [0.1, 0.3, 0.5, 0.7, 0.9]) { #expect(abs(center - expected) < 0.01) }
        let lloyd = LloydKMeans.cluster(data, k: 5, restarts: 2)
        #expect(result.objective <= lloyd.objective * (1 + 1e-12))
        #expect(abs(data.objective(centers: result.centers) - result.objective) <= 1e-6 * result.objective)
    }

    @Test("-k auto picks the number of well separated groups by BIC")
    func automaticK() throws {
        var generator = SplitMix64(seed: 1)
        for groups in [1, 2, 3, 5] {
            var values = Set<Double>()
            for g in 0..<groups {
                // Gaussian groups (Box–Muller), the model the criterion assumes.
                for _ in 0..<60 {
                    let u = Double.random(in: Double.ulpOfOne..<1, using: &generator), v = Double.random(in: 0..<1, using: &generator)
                    values.insert(Double(g) * 1000 + 5 * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
                }
            }
            let data = WeightedValues(values: values.sorted())
            let (best, candidates) = OptimalKMeans.clusterSelectingK(data, range: 1...9)
            #expect(best.centers.count == groups)
            #expect(candidates.map(\.k) == Array(1...9))
            // Each candidate's objective is the optimal one for its K.
            for candidate in candidates {
                let direct = OptimalKMeans.cluster(data, k: candidate.k).objective
                #expect(abs(candidate.objective - direct) <= 1e-9 * max(1, direct))
            }
        }
    }
}
