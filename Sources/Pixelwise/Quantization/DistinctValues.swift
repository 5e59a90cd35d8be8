/// The distinct values of a float image, sorted, with how many pixels hold each: a parallel LSD radix
/// sort of the samples' bit patterns (11-bit digits; digits on which all samples agree are skipped),
/// then a parallel run-length pass.
///
/// Floats map to unsigned keys whose integer order is the numeric order (flip all bits of negatives,
/// the sign bit of positives); −0 is folded onto +0 first so that the two zeros are one value.
public enum DistinctValues {
    /// Sorted distinct values of a single-channel float image and, when `withCounts`, the number of
    /// pixels holding each. NaN is refused (`.notANumber` with its position); infinities are kept.
    public static func of<S: BinaryFloatingPoint & PixelSample>(_ image: Image<S>, withCounts: Bool)
        throws(QuantizationError) -> (values: [Double], counts: [Double]?) {
        precondition(image.channels == 1, "one channel at a time")
        switch S.sampleType {
        case .float32: return try sortedDistinct(image as! Image<Float>, withCounts: withCounts)
        case .float64: return try sortedDistinct(image as! Image<Double>, withCounts: withCounts)
        default: preconditionFailure("integer images use ValueHistogram")
        }
    }

    static func sortedDistinct<S: SortableFloatSample>(_ image: Image<S>, withCounts: Bool)
        throws(QuantizationError) -> (values: [Double], counts: [Double]?) {
        let n = image.pixelCount
        guard n > 0 else { return ([], withCounts ? [] : nil) }
        let keys = UnsafeMutablePointer<S.Key>.allocate(capacity: n)
        // Keys, with the bits on which all keys agree (AND and OR) and the first NaN row.
        let width = image.width
        let keyOut = SendablePointer(keys)
        let partials = image.withUnsafeBuffer { source in
            Parallel.mapChunks(count: image.height, minimumChunk: Swift.max(1, 65536 / Swift.max(width, 1))) { rows in
                var all = ~S.Key.zero, any = S.Key.zero
                var firstNaN: Int?
                for y in rows {
                    let input = source.rowPointer(y)
                    let output = keyOut.pointer! + y &* width
                    var nan: UInt8 = 0
                    for x in 0..<width {
                        let v = input[x]
                        nan |= v != v ? 1 : 0
                        let key = S.sortKey(v)
                        output[x] = key
                        all &= key
                        any |= key
                    }
                    if nan != 0 && firstNaN == nil { firstNaN = y }
                }
                return (all, any, firstNaN)
            }
        }
        if let y = partials.lazy.compactMap({ $0.2 }).first {
            keys.deallocate()
            let x = image.withUnsafeBuffer { buffer in buffer.row(y).firstIndex { $0.isNaN } ?? 0 }
            throw .notANumber(x: x, y: y)
        }
        let all = partials.reduce(~S.Key.zero) { $0 & $1.0 }
        let any = partials.reduce(S.Key.zero) { $0 | $1.1 }
        let scratch = UnsafeMutablePointer<S.Key>.allocate(capacity: n)
        let sorted = RadixSort.sort(keys, scratch: scratch, count: n, varyingBits: all ^ any)
        // Free the other buffer before the outputs are allocated.
        (sorted == keys ? scratch : keys).deallocate()
        defer { sorted.deallocate() }
        return runs(of: UnsafePointer(sorted), count: n, withCounts: withCounts, decode: { Double(S.sampleValue($0)) })
    }

    /// Distinct keys of a sorted run and the length of each run, decoded to `Double`.
    static func runs<Key: FixedWidthInteger & Sendable>(of sorted: UnsafePointer<Key>, count n: Int, withCounts: Bool,
                                            decode: @Sendable @escaping (Key) -> Double) -> (values: [Double], counts: [Double]?) {
        let pieces = Swift.max(1, Swift.min(Parallel.coreCount * 4, n / 65536))
        let input = SendableConstPointer(sorted)
        @Sendable func bounds(_ piece: Int) -> Range<Int> { (n * piece / pieces)..<(n * (piece + 1) / pieces) }
        @Sendable func isStart(_ i: Int) -> Bool { i == 0 || input.pointer![i] != input.pointer![i - 1] }
        let startsPerPiece = Parallel.mapChunks(count: pieces, minimumChunk: 1) { chunk in
            chunk.map { piece in bounds(piece).reduce(0) { $0 + (isStart($1) ? 1 : 0) } }
        }.flatMap { $0 }
        var runningOffsets = [Int](repeating: 0, count: pieces + 1)
        for piece in 0..<pieces { runningOffsets[piece + 1] = runningOffsets[piece] + startsPerPiece[piece] }
        let offsets = runningOffsets
        let distinct = offsets[pieces]
        let startIndex = withCounts ? UnsafeMutablePointer<Int>.allocate(capacity: distinct + 1) : nil
        defer { startIndex?.deallocate() }
        let starts = SendablePointer(startIndex)
        let values = [Double](unsafeUninitializedCapacity: distinct) { buffer, initialized in
            let out = SendablePointer(buffer.baseAddress)
            Parallel.forEachChunk(count: pieces, minimumChunk: 1) { chunk in
                for piece in chunk {
                    var slot = offsets[piece]
                    for i in bounds(piece) where isStart(i) {
                        out.pointer![slot] = decode(input.pointer![i])
                        starts.pointer?[slot] = i
                        slot += 1
                    }
                }
            }
            initialized = distinct
        }
        guard let startIndex else { return (values, nil) }
        startIndex[distinct] = n
        let counts = (0..<distinct).map { Double(startIndex[$0 + 1] - startIndex[$0]) }
        return (values, counts)
    }
}

/// A float sample type with an order-preserving unsigned key.
protocol SortableFloatSample: BinaryFloatingPoint, PixelSample {
    associatedtype Key: FixedWidthInteger & UnsignedInteger & Sendable
    static func sortKey(_ value: Self) -> Key
    static func sampleValue(_ key: Key) -> Self
}

extension Double: SortableFloatSample {
    @inline(__always) static func sortKey(_ value: Double) -> UInt64 {
        let bits = (value == 0 ? 0 : value).bitPattern
        return bits ^ (UInt64(bitPattern: Int64(bitPattern: bits) >> 63) | (1 << 63))
    }
    @inline(__always) static func sampleValue(_ key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key ^ (1 << 63) : ~key)
    }
}

extension Float: SortableFloatSample {
    @inline(__always) static func sortKey(_ value: Float) -> UInt32 {
        let bits = (value == 0 ? 0 : value).bitPattern
        return bits ^ (UInt32(bitPattern: Int32(bitPattern: bits) >> 31) | (1 << 31))
    }
    @inline(__always) static func sampleValue(_ key: UInt32) -> Float {
        Float(bitPattern: key & (1 << 31) != 0 ? key ^ (1 << 31) : ~key)
    }
}

/// Parallel least-significant-digit radix sort of unsigned integers, 11 bits per pass.
enum RadixSort {
    static let digitBits = 11
    static let bucketCount = 1 << digitBits

    /// Sorts `count` keys, ping-ponging between `keys` and `scratch`; returns the buffer holding the
    /// sorted keys. Passes whose digit is the same in every key (`varyingBits` clear there) are skipped.
    static func sort<Key: FixedWidthInteger & UnsignedInteger & Sendable>(
        _ keys: UnsafeMutablePointer<Key>, scratch: UnsafeMutablePointer<Key>, count n: Int, varyingBits: Key
    ) -> UnsafeMutablePointer<Key> {
        var source = keys, target = scratch
        let pieces = Swift.max(1, Swift.min(Parallel.coreCount * 4, n / 65536))
        @Sendable func bounds(_ piece: Int) -> Range<Int> { (n * piece / pieces)..<(n * (piece + 1) / pieces) }
        let buckets = bucketCount
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: pieces * buckets)
        defer { counts.deallocate() }
        var shift = 0
        while shift < Key.bitWidth {
            let mask = Key(truncatingIfNeeded: buckets - 1)
            if (varyingBits >> shift) & mask == 0 {
                shift += digitBits
                continue
            }
            let input = SendableConstPointer(UnsafePointer(source)), output = SendablePointer(target)
            let table = SendablePointer(counts)
            let digitShift = shift
            @Sendable @inline(__always) func digit(_ key: Key) -> Int { Int(truncatingIfNeeded: (key >> digitShift) & mask) }
            // Per-piece digit counts.
            Parallel.forEachChunk(count: pieces, minimumChunk: 1) { chunk in
                for piece in chunk {
                    let row = table.pointer! + piece * buckets
                    row.initialize(repeating: 0, count: buckets)
                    let keys = input.pointer!
                    for i in bounds(piece) { row[digit(keys[i])] &+= 1 }
                }
            }
            // Exclusive prefix over (digit, piece) so that each piece scatters stably into its own slots.
            var running = 0
            for b in 0..<buckets {
                for piece in 0..<pieces {
                    let c = counts[piece * buckets + b]
                    counts[piece * buckets + b] = running
                    running += c
                }
            }
            Parallel.forEachChunk(count: pieces, minimumChunk: 1) { chunk in
                for piece in chunk {
                    let next = table.pointer! + piece * buckets
                    let keys = input.pointer!, out = output.pointer!
                    for i in bounds(piece) {
                        let key = keys[i]
                        let d = digit(key)
                        out[next[d]] = key
                        next[d] &+= 1
                    }
                }
            }
            swap(&source, &target)
            shift += digitBits
        }
        return source
    }
}
