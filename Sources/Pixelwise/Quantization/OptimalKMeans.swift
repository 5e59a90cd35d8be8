#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A partition of sorted values into consecutive clusters, with each cluster's centre.
public struct KMeansClustering: Sendable, Equatable {
    /// The centres, ascending: each is its cluster's weighted mean.
    public let centers: [Double]
    /// Cluster `k` holds `values[clusterRanges[k]]` of the clustered ``WeightedValues``.
    public let clusterRanges: [Range<Int>]
    /// The weighted sum of squared distances from each value to its cluster's centre.
    public let objective: Double

    /// A clustering from its parts (tests and callers that build one by hand).
    public init(centers: [Double], clusterRanges: [Range<Int>], objective: Double) {
        self.centers = centers
        self.clusterRanges = clusterRanges
        self.objective = objective
    }
}

/// Exact, deterministic 1-D k-means: the partition of sorted values into K runs of consecutive values
/// that minimises the weighted sum of squared distances to the runs' means.
///
/// In one dimension an optimal clustering always consists of consecutive runs, so dynamic programming
/// over the sorted values finds the global optimum (Wang & Song 2011, Ckmeans.1d.dp):
/// `D[k][i] = min over j of D[k−1][j] + cost(j..<i)`. The cost satisfies the quadrangle inequality, so
/// each layer's matrix of candidates is Monge and SMAWK finds every row's best split in O(n)
/// (``MonotoneLayerSearch``, in blocks spread over every core). The last layer needs only its final row:
/// one O(n) scan.
public enum OptimalKMeans {
    /// The optimal clustering of `data` into `k` clusters (`1 ≤ k ≤ data.count`).
    public static func cluster(_ data: WeightedValues, k: Int) -> KMeansClustering {
        precondition(k >= 1 && k <= data.count, "k must be 1...number of values")
        let prefix = PrefixSums(data)
        defer { prefix.deallocate() }
        let tables = SplitTables(prefix: prefix, layers: k, everyRowOfLastLayer: false)
        defer { tables.deallocate() }
        return tables.clustering(k: k, prefix: prefix)
    }

    /// The Bayesian information criterion of one candidate K, as Ckmeans.1d.dp computes it.
    public struct Candidate: Sendable, Equatable {
        /// The number of clusters tried.
        public let k: Int
        /// Its criterion (higher is better).
        public let bic: Double
        public let objective: Double
    }

    /// Clusters for every K in `range` (clamped to 1...data.count) and keeps the one with the largest
    /// Bayesian information criterion of a Gaussian mixture with one component per cluster, exactly as
    /// Ckmeans.1d.dp's `select_levels` does; returns it with the criterion of every K tried.
    public static func clusterSelectingK(_ data: WeightedValues, range: ClosedRange<Int>)
        -> (best: KMeansClustering, candidates: [Candidate]) {
        precondition(data.count >= 1, "nothing to cluster")
        let low = Swift.max(1, Swift.min(range.lowerBound, data.count))
        let high = Swift.max(low, Swift.min(range.upperBound, data.count))
        let prefix = PrefixSums(data)
        defer { prefix.deallocate() }
        let tables = SplitTables(prefix: prefix, layers: high, everyRowOfLastLayer: true)
        defer { tables.deallocate() }
        var best: KMeansClustering?
        var bestBIC = -Double.infinity
        var candidates = [Candidate]()
        for k in low...high {
            let clustering = tables.clustering(k: k, prefix: prefix)
            let bic = bayesianInformationCriterion(clustering, data: data, prefix: prefix)
            candidates.append(Candidate(k: k, bic: bic, objective: clustering.objective))
            if best == nil || bic > bestBIC {
                best = clustering
                bestBIC = bic
            }
        }
        return (best!, candidates)
    }

    /// `2 log L − (3K − 1) log N` for the mixture whose components are the clusters (weight, mean and
    /// variance from the cluster). A cluster of equal values has no variance; like Ckmeans.1d.dp it is
    /// then a uniform density over the half-gaps to its neighbours.
    static func bayesianInformationCriterion(_ clustering: KMeansClustering, data: WeightedValues,
                                             prefix: PrefixSums) -> Double {
        let total = prefix.weight(0, data.count)
        var logLikelihood = 0.0
        let values = data.values
        for range in clustering.clusterRanges {
            let weight = prefix.weight(range.lowerBound, range.upperBound)
            let squares = prefix.cost(range.lowerBound, range.upperBound)
            let variance = squares / weight
            if variance > 0 {
                logLikelihood += -squares / (2 * variance)
                    + weight * (log(weight / total) - 0.5 * log(2 * Double.pi * variance))
            } else {
                let first = range.lowerBound, last = range.upperBound - 1
                let left = first == 0 ? values[first] : (values[first - 1] + values[first]) / 2
                let right = last == values.count - 1 ? values[last] : (values[last] + values[last + 1]) / 2
                let width = right - left
                // A single value with no neighbour has no width: count it as a unit-width bin.
                logLikelihood += weight * log(1 / (width > 0 ? width : 1) / total)
            }
        }
        let k = Double(clustering.clusterRanges.count)
        return 2 * logLikelihood - (3 * k - 1) * log(total)
    }
}

/// The DP's split tables: for layer k ≥ 2 and prefix length i, where the last of k clusters starts.
struct SplitTables {
    /// `splits[k − 2][i]` for layers 2...layers (index i = number of leading values clustered).
    private var splits: [UnsafeMutablePointer<UInt32>] = []
    /// `D[k][n]`: the optimal objective with k clusters over all n values, k = 1...layers.
    private(set) var fullCost: [Double] = []
    /// When only the last row of the last layer is computed, its split.
    private var lastLayerSplit: Int = 0
    private let count: Int
    private let layers: Int
    private let everyRowOfLastLayer: Bool

    init(prefix: PrefixSums, layers: Int, everyRowOfLastLayer: Bool, search: LayerSearch = .smawk) {
        let n = prefix.count
        precondition(n < Int(UInt32.max), "too many distinct values for the DP's 32-bit split table")
        count = n
        self.layers = layers
        self.everyRowOfLastLayer = everyRowOfLastLayer
        var previous = UnsafeMutablePointer<Double>.allocate(capacity: n + 1)
        var current = UnsafeMutablePointer<Double>.allocate(capacity: n + 1)
        defer {
            previous.deallocate()
            current.deallocate()
        }
        // Layer 1: one cluster over the first i values.
        previous[0] = 0
        do {
            let out = SendablePointer(previous)
            Parallel.forEachChunk(count: n, minimumChunk: 1 << 16) { rows in
                for i in rows { out.pointer![i + 1] = prefix.cost(0, i + 1) }
            }
        }
        fullCost.append(previous[n])
        guard layers >= 2 else { return }
        for k in 2...layers {
            if k == layers && !everyRowOfLastLayer {
                let (cost, split) = Self.bestSplitOfLastRow(prefix: prefix, previous: previous, k: k)
                fullCost.append(cost)
                lastLayerSplit = split
                break
            }
            let table = UnsafeMutablePointer<UInt32>.allocate(capacity: n + 1)
            let previousSplit = splits.last
            splits.append(table)
            switch (search, prefix.weight) {
            case (.smawk, let weights?):
                MonotoneLayerSearch(prefix: prefix, weights: ArrayRunWeights(weights), previous: previous,
                                    current: current, split: table, k: k).fill()
            case (.smawk, nil):
                MonotoneLayerSearch(prefix: prefix, weights: UnitRunWeights(), previous: previous,
                                    current: current, split: table, k: k).fill()
            case (.divideAndConquer, let weights?):
                Self.fillLayer(prefix: prefix, weights: ArrayRunWeights(weights), previous: previous,
                               current: current, split: table, previousSplit: previousSplit, k: k)
            case (.divideAndConquer, nil):
                Self.fillLayer(prefix: prefix, weights: UnitRunWeights(), previous: previous,
                               current: current, split: table, previousSplit: previousSplit, k: k)
            }
            fullCost.append(current[n])
            swap(&previous, &current)
        }
    }

    func deallocate() {
        for table in splits { table.deallocate() }
    }

    /// The optimal clustering into k clusters, k ≤ layers (and k = layers only when that layer was
    /// computed in full, or it is the last).
    func clustering(k: Int, prefix: PrefixSums) -> KMeansClustering {
        var ranges = [Range<Int>]()
        var end = count
        for layer in stride(from: k, through: 2, by: -1) {
            let start = (layer == layers && !everyRowOfLastLayer) ? lastLayerSplit : Int(splits[layer - 2][end])
            ranges.append(start..<end)
            end = start
        }
        ranges.append(0..<end)
        ranges.reverse()
        let centers = ranges.map { prefix.mean($0.lowerBound, $0.upperBound) }
        let objective = ranges.reduce(0.0) { $0 + prefix.cost($1.lowerBound, $1.upperBound) }
        return KMeansClustering(centers: centers, clusterRanges: ranges, objective: objective)
    }

    /// Fills `current[i]` = D[k][i] and `split[i]` for every i in k...n from `previous` = D[k−1], coarse to
    /// fine: rows at stride s search only between the splits of their neighbours at stride 2s (divide and
    /// conquer, O(n log n) per layer). The search used before SMAWK, kept as the tests' reference.
    static func fillLayer<W: RunWeights>(prefix: PrefixSums, weights: W, previous: UnsafeMutablePointer<Double>,
                                         current: UnsafeMutablePointer<Double>, split: UnsafeMutablePointer<UInt32>,
                                         previousSplit: UnsafeMutablePointer<UInt32>?, k: Int) {
        let n = prefix.count
        let rows = n - k + 1  // row r is prefix length i = r + k
        let input = SendableConstPointer(UnsafePointer(previous))
        let output = SendablePointer(current), splitOut = SendablePointer(split)

        let previousSplits = SendableConstPointer(previousSplit.map { UnsafePointer($0) })
        @Sendable @inline(__always) func solve(row r: Int, low: Int, high: Int) {
            let i = r + k
            let previous = input.pointer!
            // The last of k clusters starts no earlier than the last of k − 1 did over the same prefix
            // (split points are monotone in k too; Ckmeans.1d.dp bounds its search the same way).
            var low = low
            if let previousSplits = previousSplits.pointer { low = Swift.max(low, Int(previousSplits[i])) }
            var best = Double.infinity
            var bestSplit = low
            var j = low
            let last = Swift.min(high, i - 1)
            while j <= last {
                let candidate = previous[j] + prefix.cost(j, i, weights)
                if candidate < best {
                    best = candidate
                    bestSplit = j
                }
                j &+= 1
            }
            output.pointer![i] = best
            splitOut.pointer![i] = UInt32(truncatingIfNeeded: bestSplit)
        }
        @Sendable @inline(__always) func splitOf(row r: Int) -> Int { Int(splitOut.pointer![r + k]) }

        solve(row: 0, low: k - 1, high: k - 1)
        guard rows > 1 else { return }
        solve(row: rows - 1, low: k - 1, high: n - 1)
        var stride = 1
        while stride * 2 <= rows - 2 { stride *= 2 }
        // Sequential below this size: dispatching costs more than the scan.
        let sequential = n < 1 << 15
        while stride >= 1 && rows > 2 {
            let s = stride
            let levelRows = rows - 2 >= s ? (rows - 2 - s) / (2 * s) + 1 : 0
            if levelRows > 0 {
                let work: @Sendable (Range<Int>) -> Void = { chunk in
                    for t in chunk {
                        let r = (2 * t + 1) * s
                        let low = splitOf(row: r - s)
                        let high = r + s < rows ? splitOf(row: r + s) : splitOf(row: rows - 1)
                        solve(row: r, low: low, high: high)
                    }
                }
                if sequential {
                    work(0..<levelRows)
                } else {
                    Parallel.forEachChunk(count: levelRows, minimumChunk: 1, work)
                }
            }
            stride /= 2
        }
    }

    /// D[k][n] and its split, from D[k−1]: one scan, split across cores.
    static func bestSplitOfLastRow(prefix: PrefixSums, previous: UnsafeMutablePointer<Double>, k: Int) -> (Double, Int) {
        let n = prefix.count
        let input = SendableConstPointer(UnsafePointer(previous))
        let candidates = n - k + 1  // splits k−1 ... n−1
        func scan<W: RunWeights>(_ weights: W) -> [(Double, Int)] {
            Parallel.mapChunks(count: candidates, minimumChunk: 1 << 16) { chunk in
                let previous = input.pointer!
                var best = Double.infinity
                var bestSplit = chunk.lowerBound + k - 1
                for offset in chunk {
                    let j = offset + k - 1
                    let candidate = previous[j] + prefix.cost(j, n, weights)
                    if candidate < best {
                        best = candidate
                        bestSplit = j
                    }
                }
                return (best, bestSplit)
            }
        }
        let partials = prefix.weight.map { scan(ArrayRunWeights($0)) } ?? scan(UnitRunWeights())
        // Chunks are in order, so a strict comparison keeps the leftmost minimum.
        var best = partials[0]
        for partial in partials.dropFirst() where partial.0 < best.0 { best = partial }
        return best
    }
}
