/// How many pixels hold each possible value of an 8- or 16-bit image: one parallel pass, 64-bit counts
/// (an image may have more than 2³² pixels of one value).
public struct ValueHistogram: Sendable, Equatable {
    /// `counts[v]` pixels have value `v`; 256 or 65536 entries.
    public let counts: [UInt64]

    /// Counts the samples of `image` (every channel counts; quantizing takes single-channel images).
    public init<S: FixedWidthInteger & PixelSample>(_ image: Image<S>) {
        let size = 1 << S.bitWidth
        let rowLength = image.width * image.channels
        let partials: [[UInt64]] = image.withUnsafeBuffer { source in
            Parallel.mapChunks(count: image.height, minimumChunk: Swift.max(1, (1 << 18) / Swift.max(rowLength, 1))) { rows in
                // Two interleaved tables so that runs of one value (backgrounds) do not serialise on one
                // counter's store-to-load dependency.
                var even = [UInt64](repeating: 0, count: size)
                var odd = [UInt64](repeating: 0, count: size)
                even.withUnsafeMutableBufferPointer { even in
                    odd.withUnsafeMutableBufferPointer { odd in
                        for y in rows {
                            let row = source.rowPointer(y)
                            var x = 0
                            while x &+ 1 < rowLength {
                                even[Int(row[x])] &+= 1
                                odd[Int(row[x &+ 1])] &+= 1
                                x &+= 2
                            }
                            if x < rowLength { even[Int(row[x])] &+= 1 }
                        }
                        for v in 0..<size { even[v] &+= odd[v] }
                    }
                }
                return even
            }
        }
        var total = [UInt64](repeating: 0, count: size)
        for partial in partials {
            for v in 0..<size { total[v] &+= partial[v] }
        }
        counts = total
    }

    /// A histogram from given counts (tests).
    public init(counts: [UInt64]) { self.counts = counts }

    /// The values present (count > 0), ascending, weighted by 1 (`unique`) or by their count (`pixels`).
    public func weightedValues(_ weighting: QuantizationWeighting) -> WeightedValues {
        var values = [Double]()
        var weights = [Double]()
        for (value, count) in counts.enumerated() where count > 0 {
            values.append(Double(value))
            if weighting == .pixels { weights.append(Double(count)) }
        }
        return WeightedValues(values: values, weights: weighting == .pixels ? weights : nil)
    }
}

/// How much each distinct value weighs in the clustering.
public enum QuantizationWeighting: String, Sendable, CaseIterable {
    /// Every distinct value weighs 1, however many pixels hold it: a large uniform background does not
    /// pull the centres (the seed's choice, and the default).
    case unique
    /// Every value weighs its pixel count: classic k-means over all pixels (histogram k-means).
    case pixels
}
