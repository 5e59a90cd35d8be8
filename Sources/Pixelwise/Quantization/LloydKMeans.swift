/// Lloyd's k-means in one dimension, seeded by k-means++ and restarted: what OpenCV's `cv2.kmeans` and
/// scikit-learn's `KMeans` do, for users who want that answer. It finds a local optimum only;
/// ``OptimalKMeans`` finds the global one and should be preferred.
///
/// Because the values are sorted, one Lloyd iteration costs O(K log n), not O(K n): each cluster is the
/// run of values between two midpoints of consecutive centres (found by binary search), and its mean
/// comes from prefix sums. Seeding (k-means++, D² sampling) is O(K n) per restart.
public enum LloydKMeans {
    /// The best of `restarts` k-means++-seeded Lloyd runs (`1 ≤ k ≤ data.count`), reproducible for a
    /// given `seed`. Ties of a value between two centres go to the lower centre.
    public static func cluster(_ data: WeightedValues, k: Int, restarts: Int = 10, maximumIterations: Int = 300,
                               seed: UInt64 = 1) -> KMeansClustering {
        precondition(k >= 1 && k <= data.count, "k must be 1...number of values")
        precondition(restarts >= 1 && maximumIterations >= 1)
        let prefix = PrefixSums(data)
        defer { prefix.deallocate() }
        var generator = SplitMix64(seed: seed)
        var best: KMeansClustering?
        let distances = UnsafeMutablePointer<Double>.allocate(capacity: data.count)
        defer { distances.deallocate() }
        for _ in 0..<restarts {
            let seeds = seedPlusPlus(data, prefix: prefix, k: k, distances: distances, generator: &generator)
            let result = iterate(data, prefix: prefix, centers: seeds, maximumIterations: maximumIterations)
            if best == nil || result.objective < best!.objective { best = result }
        }
        return best!
    }

    /// k-means++: the first centre drawn with probability ∝ weight, each next ∝ weight × squared
    /// distance to the nearest centre so far.
    static func seedPlusPlus(_ data: WeightedValues, prefix: PrefixSums, k: Int,
                             distances: UnsafeMutablePointer<Double>,
                             generator: inout SplitMix64) -> [Double] {
        let n = data.count
        let total = prefix.weight(0, n)
        // First centre: invert the weight prefix sums.
        let target = Double.random(in: 0..<1, using: &generator) * total
        var low = 0, high = n - 1
        while low < high {
            let middle = (low + high) / 2
            if prefix.weight(0, middle + 1) > target { high = middle } else { low = middle + 1 }
        }
        var centers = [data.values[low]]
        let values = data.values, weights = data.weights
        let out = SendablePointer(distances)
        // Running weighted squared distances, with per-chunk sums for sampling.
        var chunkSums = values.withUnsafeBufferPointer { buffer in
            let input = SendableConstPointer(buffer.baseAddress)
            let first = centers[0]
            return Parallel.mapChunks(count: n, minimumChunk: 1 << 16) { chunk -> Double in
                var sum = 0.0
                for i in chunk {
                    let d = input.pointer![i] - first
                    let weighted = (weights?[i] ?? 1) * d * d
                    out.pointer![i] = weighted
                    sum += weighted
                }
                return sum
            }
        }
        while centers.count < k {
            let sum = chunkSums.reduce(0, +)
            var chosen: Int
            if sum > 0 {
                var remaining = Double.random(in: 0..<1, using: &generator) * sum
                let chunkCount = chunkSums.count
                var chunkIndex = 0
                while chunkIndex < chunkCount - 1 && remaining >= chunkSums[chunkIndex] {
                    remaining -= chunkSums[chunkIndex]
                    chunkIndex += 1
                }
                let start = n * chunkIndex / chunkCount, end = n * (chunkIndex + 1) / chunkCount
                chosen = end - 1
                for i in start..<end {
                    if distances[i] > 0 && remaining < distances[i] { chosen = i; break }
                    remaining -= distances[i]
                }
                // Rounding can run past the last positive entry: take the last value not yet chosen.
                while distances[chosen] == 0 && chosen > 0 { chosen -= 1 }
            } else {
                chosen = 0
            }
            let center = data.values[chosen]
            centers.append(center)
            chunkSums = values.withUnsafeBufferPointer { buffer in
                let input = SendableConstPointer(buffer.baseAddress)
                return Parallel.mapChunks(count: n, minimumChunk: 1 << 16) { chunk -> Double in
                    var sum = 0.0
                    for i in chunk {
                        let d = input.pointer![i] - center
                        let weighted = (weights?[i] ?? 1) * d * d
                        if weighted < out.pointer![i] { out.pointer![i] = weighted }
                        sum += out.pointer![i]
                    }
                    return sum
                }
            }
        }
        return centers.sorted()
    }

    /// Lloyd iterations from sorted `centers` until the clusters stop changing.
    static func iterate(_ data: WeightedValues, prefix: PrefixSums, centers start: [Double],
                        maximumIterations: Int) -> KMeansClustering {
        var centers = start
        let k = centers.count
        var bounds = [Int](repeating: 0, count: k + 1)
        bounds[k] = data.count
        var previousBounds = [Int]()
        for _ in 0..<maximumIterations {
            for t in 0..<(k - 1) {
                bounds[t + 1] = firstIndex(in: data.values, above: (centers[t] + centers[t + 1]) / 2)
            }
            if bounds == previousBounds { break }
            previousBounds = bounds
            for t in 0..<k where bounds[t] < bounds[t + 1] {
                centers[t] = prefix.mean(bounds[t], bounds[t + 1])
            }
            centers.sort()
        }
        // Final clusters for the final centres.
        for t in 0..<(k - 1) {
            bounds[t + 1] = firstIndex(in: data.values, above: (centers[t] + centers[t + 1]) / 2)
        }
        var objective = 0.0
        var ranges = [Range<Int>]()
        for t in 0..<k {
            let range = bounds[t]..<Swift.max(bounds[t], bounds[t + 1])
            ranges.append(range)
            if !range.isEmpty {
                let offset = prefix.mean(range.lowerBound, range.upperBound) - centers[t]
                objective += prefix.cost(range.lowerBound, range.upperBound)
                    + prefix.weight(range.lowerBound, range.upperBound) * offset * offset
            }
        }
        return KMeansClustering(centers: centers, clusterRanges: ranges, objective: objective)
    }

    /// The index of the first value strictly greater than `threshold` (values ascending).
    static func firstIndex(in values: [Double], above threshold: Double) -> Int {
        var low = 0, high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] > threshold { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
