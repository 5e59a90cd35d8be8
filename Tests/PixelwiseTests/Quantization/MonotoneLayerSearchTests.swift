import Testing
@testable import Pixelwise

/// Every layer of the DP computed three ways from the same previous layer: SMAWK (as `cluster` runs it and
/// with blocks and column chunks cut tiny, so that small inputs reach every path), the divide-and-conquer
/// search it replaced, and the plain O(n²) scan over every split.
private struct LayerComparison {
    var smawkMatchesDivideAndConquer = true
    var smawkMatchesPlainScan = true
    var firstDifference = ""
    var firstDifferenceFromPlainScan = ""
}

private func compareLayers(_ data: WeightedValues, k maxK: Int, blockRows: [Int] = [8192, 2, 3, 7],
                           chunkColumns: [Int] = [1 << 18, 3], plainScan: Bool = true) -> LayerComparison {
    let n = data.count
    let prefix = PrefixSums(data)
    defer { prefix.deallocate() }
    var result = LayerComparison()
    var previous = [Double](repeating: 0, count: n + 1)
    for i in 1...n { previous[i] = prefix.cost(0, i) }
    var previousSplit: [UInt32]? = nil
    guard maxK >= 2 else { return result }
    for k in 2...maxK {
        // Reference 1: divide and conquer.
        var reference = [Double](repeating: .nan, count: n + 1)
        var referenceSplit = [UInt32](repeating: 0, count: n + 1)
        previous.withUnsafeMutableBufferPointer { p in
            reference.withUnsafeMutableBufferPointer { c in
                referenceSplit.withUnsafeMutableBufferPointer { s in
                    if let previousSplit {
                        var copy = previousSplit
                        copy.withUnsafeMutableBufferPointer { ps in
                            SplitTables.fillLayer(prefix: prefix, weights: UnitOrArray(prefix), previous: p.baseAddress!,
                                                  current: c.baseAddress!, split: s.baseAddress!,
                                                  previousSplit: ps.baseAddress!, k: k)
                        }
                    } else {
                        SplitTables.fillLayer(prefix: prefix, weights: UnitOrArray(prefix), previous: p.baseAddress!,
                                              current: c.baseAddress!, split: s.baseAddress!, previousSplit: nil, k: k)
                    }
                }
            }
        }
        // Reference 2: every split, leftmost minimum.
        var plain = [Double](repeating: .nan, count: n + 1)
        var plainSplit = [UInt32](repeating: 0, count: n + 1)
        for i in k...n where plainScan {
            var best = Double.infinity
            for j in (k - 1)..<i {
                let candidate = previous[j] + prefix.cost(j, i)
                if candidate < best { best = candidate; plainSplit[i] = UInt32(j) }
            }
            plain[i] = best
        }
        for rows in blockRows {
            for chunk in chunkColumns {
                var current = [Double](repeating: .nan, count: n + 1)
                var split = [UInt32](repeating: 0, count: n + 1)
                previous.withUnsafeMutableBufferPointer { p in
                    current.withUnsafeMutableBufferPointer { c in
                        split.withUnsafeMutableBufferPointer { s in
                            MonotoneLayerSearch(prefix: prefix, weights: UnitOrArray(prefix), previous: p.baseAddress!,
                                                current: c.baseAddress!, split: s.baseAddress!, k: k)
                                .fill(blockRows: rows, minimumChunkColumns: chunk)
                        }
                    }
                }
                for i in k...n {
                    let same = current[i] == reference[i] && split[i] == referenceSplit[i]
                    if !same && result.smawkMatchesDivideAndConquer {
                        result.smawkMatchesDivideAndConquer = false
                        result.firstDifference = "n \(n) k \(k) i \(i) blocks \(rows) chunk \(chunk): smawk \(current[i]) at \(split[i]), "
                            + "divide and conquer \(reference[i]) at \(referenceSplit[i]), plain \(plain[i]) at \(plainSplit[i])"
                    }
                    // Whatever the split, it must attain the value reported, and the value must be the minimum.
                    let attained = previous[Int(split[i])] + prefix.cost(Int(split[i]), i)
                    let plainSame = current[i] == plain[i] && attained == current[i] && split[i] == plainSplit[i]
                    if plainScan && !plainSame && result.smawkMatchesPlainScan {
                        result.smawkMatchesPlainScan = false
                        result.firstDifferenceFromPlainScan = "n \(n) k \(k) i \(i) blocks \(rows) chunk \(chunk): smawk \(current[i]) "
                            + "at \(split[i]) (attains \(attained)), plain \(plain[i]) at \(plainSplit[i])"
                    }
                }
            }
        }
        previous = reference
        previousSplit = referenceSplit
    }
    return result
}

/// The weighting of `prefix`, whichever it is, as one concrete `RunWeights` for the tests.
private struct UnitOrArray: RunWeights, @unchecked Sendable {
    let prefix: UnsafeMutablePointer<Double>?
    init(_ sums: PrefixSums) { prefix = sums.weight }
    func weight(_ a: Int, _ b: Int) -> Double {
        if let prefix { return prefix[b] - prefix[a] }
        return Double(b - a)
    }
}

/// Inputs meant to break the Monge property in computed arithmetic.
private enum AdversarialInput {
    /// Equally spaced values of equal weight: many exactly tied splits.
    static func equallySpaced(_ n: Int) -> WeightedValues { WeightedValues(values: (0..<n).map(Double.init)) }

    /// Values over 200 decades with weights over 12.
    static func hugeRange(_ n: Int, generator: inout SplitMix64) -> WeightedValues {
        let values = Set((0..<n).map { _ in
            (Bool.random(using: &generator) ? 1.0 : -1.0) * Double.random(in: 0..<1, using: &generator) * pow10(Int.random(in: -100...100, using: &generator))
        }).sorted()
        let weights = values.map { _ in pow10(Int.random(in: -6...6, using: &generator)) * Double.random(in: 1..<2, using: &generator) }
        return WeightedValues(values: values, weights: weights)
    }

    /// Tight clumps far apart: values within 1e-9 of each other inside a clump, 1e6 between clumps.
    static func clumps(_ n: Int, generator: inout SplitMix64) -> WeightedValues {
        var set = Set<Double>()
        while set.count < n {
            set.insert(Double(Int.random(in: 0..<5, using: &generator)) * 1e6 + Double(Int.random(in: 0..<1000, using: &generator)) * 1e-9)
        }
        return WeightedValues(values: set.sorted())
    }

    /// Equal weights on values that repeat one gap pattern: ties again, now weighted.
    static func repeatedPattern(_ n: Int) -> WeightedValues {
        let values = (0..<n).map { Double($0 / 3) * 10 + Double($0 % 3) }
        return WeightedValues(values: values, weights: values.map { _ in 4 })
    }

    private static func pow10(_ e: Int) -> Double {
        var r = 1.0
        for _ in 0..<abs(e) { r *= 10 }
        return e < 0 ? 1 / r : r
    }
}

@Suite("SMAWK layer search of the optimal 1-D k-means")
struct MonotoneLayerSearchTests {
    @Test("equals the divide-and-conquer search and the plain scan, layer by layer, on random inputs",
          arguments: [false, true])
    func randomInputs(weighted: Bool) {
        var generator = SplitMix64(seed: weighted ? 101 : 102)
        for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 17, 31, 64, 100, 257, 1001] {
            let data = KMeansReference.randomInput(count: n, generator: &generator, weighted: weighted)
            // K = n − 1, n, n + 1 relative to the layers: every layer up to min(n, 12) is compared.
            let comparison = compareLayers(data, k: min(n, 12))
            #expect(comparison.smawkMatchesDivideAndConquer, "\(comparison.firstDifference)")
            #expect(comparison.smawkMatchesPlainScan, "\(comparison.firstDifferenceFromPlainScan)")
        }
    }

    @Test("equals the divide-and-conquer search on 10⁴ uniform values with random weights")
    func largerInputs() {
        var generator = SplitMix64(seed: 103)
        let values = Set((0..<10_000).map { _ in Double.random(in: 0..<1, using: &generator) }).sorted()
        for weights in [nil, values.map { _ in Double(Int.random(in: 1...1000, using: &generator)) }] {
            let comparison = compareLayers(WeightedValues(values: values, weights: weights), k: 6,
                                           blockRows: [8192, 5], chunkColumns: [1 << 18, 777], plainScan: false)
            #expect(comparison.smawkMatchesDivideAndConquer, "\(comparison.firstDifference)")
        }
    }

    @Test("adversarial inputs (ties, 200 decades, repeated gaps): every row's value is the computed minimum and its split the leftmost one")
    func adversarialInputs() {
        var generator = SplitMix64(seed: 104)
        var inputs: [(String, WeightedValues)] = []
        for n in [2, 9, 40, 301] {
            inputs.append(("equally spaced", AdversarialInput.equallySpaced(n)))
            inputs.append(("huge range", AdversarialInput.hugeRange(n, generator: &generator)))
            inputs.append(("repeated pattern", AdversarialInput.repeatedPattern(n)))
        }
        for (name, data) in inputs {
            let comparison = compareLayers(data, k: min(data.count, 9))
            #expect(comparison.smawkMatchesPlainScan, "\(name): \(comparison.firstDifferenceFromPlainScan)")
            #expect(comparison.smawkMatchesDivideAndConquer, "\(name): \(comparison.firstDifference)")
        }
    }

    /// Clumps of values 1e-9 apart, 1e6 from each other: the prefix sums of squares (~1e12 per value) leave
    /// run costs inside a clump (~1e-18) buried under rounding (~1e-3), so the computed matrix is not Monge
    /// and no monotone search (neither this nor the divide-and-conquer one) is sure to find the computed
    /// minimum. What must hold: the clumps are separated as soon as K allows it, and beyond that both
    /// searches are optimal to within the rounding of the prefix sums.
    @Test("clumps below the prefix sums' rounding: separated exactly, otherwise optimal to within that rounding")
    func clumpsBelowRounding() {
        var generator = SplitMix64(seed: 107)
        for n in [9, 40, 301] {
            let data = AdversarialInput.clumps(n, generator: &generator)
            let prefix = PrefixSums(data)
            defer { prefix.deallocate() }
            let largest = data.values.map { abs($0 - prefix.shift) }.max()!
            let rounding = 16 * Double(n) * largest * largest * Double.ulpOfOne
            let clumpCount = Set(data.values.map { ($0 / 1e6).rounded() }).count
            for k in 1...min(n, 9) {
                let smawk = OptimalKMeans.cluster(data, k: k)
                let tables = SplitTables(prefix: prefix, layers: k, everyRowOfLastLayer: false, search: .divideAndConquer)
                defer { tables.deallocate() }
                let reference = tables.clustering(k: k, prefix: prefix)
                if k <= clumpCount {
                    #expect(smawk.clusterRanges == reference.clusterRanges, "n \(n) k \(k)")
                }
                let smawkObjective = data.objective(centers: smawk.centers)
                let referenceObjective = data.objective(centers: reference.centers)
                #expect(abs(smawkObjective - referenceObjective) <= 1e-12 * referenceObjective + rounding, "n \(n) k \(k)")
            }
        }
    }

    @Test("the whole clustering: SMAWK layers give the optimum of the plain DP to 1e-12, for K = 1 … n")
    func wholeClustering() {
        var generator = SplitMix64(seed: 105)
        for n in [1, 2, 3, 8, 9, 33, 120] {
            for weighted in [false, true] {
                let data = KMeansReference.randomInput(count: n, generator: &generator, weighted: weighted)
                let prefix = PrefixSums(data)
                defer { prefix.deallocate() }
                // Plain O(K n²) DP with the same run costs.
                var previous = (0...n).map { $0 == 0 ? 0 : prefix.cost(0, $0) }
                var optimum = [previous[n]]
                if n >= 2 {
                    for k in 2...n {
                        var current = [Double](repeating: .infinity, count: n + 1)
                        for i in k...n {
                            for j in (k - 1)..<i { current[i] = min(current[i], previous[j] + prefix.cost(j, i)) }
                        }
                        previous = current
                        optimum.append(current[n])
                    }
                }
                for k in 1...n {
                    let smawk = OptimalKMeans.cluster(data, k: k)
                    let reference = optimum[k - 1]
                    #expect(abs(smawk.objective - reference) <= 1e-12 * max(reference, Double.leastNormalMagnitude),
                            "n \(n) k \(k): \(smawk.objective) vs \(reference)")
                    #expect(smawk.clusterRanges.count == k && smawk.clusterRanges.allSatisfy { !$0.isEmpty })
                    let tables = SplitTables(prefix: prefix, layers: k, everyRowOfLastLayer: false, search: .divideAndConquer)
                    defer { tables.deallocate() }
                    #expect(smawk == tables.clustering(k: k, prefix: prefix), "n \(n) k \(k)")
                }
            }
        }
    }

    @Test("-k auto's tables (every row of every layer) agree between the two searches")
    func everyRowTables() {
        var generator = SplitMix64(seed: 106)
        let data = KMeansReference.randomInput(count: 300, generator: &generator, weighted: true)
        let prefix = PrefixSums(data)
        defer { prefix.deallocate() }
        let smawk = SplitTables(prefix: prefix, layers: 9, everyRowOfLastLayer: true, search: .smawk)
        let reference = SplitTables(prefix: prefix, layers: 9, everyRowOfLastLayer: true, search: .divideAndConquer)
        defer { smawk.deallocate(); reference.deallocate() }
        #expect(smawk.fullCost == reference.fullCost)
        for k in 1...9 { #expect(smawk.clustering(k: k, prefix: prefix) == reference.clustering(k: k, prefix: prefix)) }
    }
}
