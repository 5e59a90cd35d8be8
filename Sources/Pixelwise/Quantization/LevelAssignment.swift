/// The outputs of quantizing one image: labels (0..K−1 in ascending order of centre) and the quantized
/// image (each pixel replaced by its level's value); either may be skipped.
public struct QuantizedImages<Label: PixelSample & FixedWidthInteger & SIMDScalar, Value: PixelSample>: Sendable {
    /// Each pixel's level index, or `nil` when not asked for.
    public var labels: Image<Label>?
    /// Each pixel replaced by its level's value, or `nil` when not asked for.
    public var values: Image<Value>?

    /// The two outputs, either of which may be absent.
    @inlinable public init(labels: Image<Label>?, values: Image<Value>?) {
        self.labels = labels
        self.values = values
    }
}

extension QuantizationLevels {
    /// Maps every pixel of a single-channel image to its level, in one parallel pass.
    ///
    /// 8- and 16-bit images go through lookup tables (one entry per possible sample value); float images
    /// through a branch-free binary search over the thresholds in the image's own sample type, so no
    /// pixel is ever widened into a temporary array. NaN samples are refused (`.notANumber`); `Label`
    /// must hold `count − 1` (UInt8 for K ≤ 256, UInt16 up to 65536).
    public func assign<S: PixelSample, Label: PixelSample & FixedWidthInteger & SIMDScalar, Value: PixelSample>(
        _ image: Image<S>, labelType: Label.Type, valueType: Value.Type, makeLabels: Bool = true, makeValues: Bool = true
    ) throws(QuantizationError) -> QuantizedImages<Label, Value> {
        var labels = makeLabels ? Image<Label>(uninitializedWidth: image.width, height: image.height) : nil
        var values = makeValues ? Image<Value>(uninitializedWidth: image.width, height: image.height) : nil
        let outcome = withOptionalMutableBuffer(&labels) { labelBuffer in
            withOptionalMutableBuffer(&values) { valueBuffer in
                Result { () throws(QuantizationError) in try assign(image, labelsInto: labelBuffer, valuesInto: valueBuffer) }
            }
        }
        try outcome.get()
        return QuantizedImages(labels: labels, values: values)
    }

    /// ``assign(_:labelType:valueType:makeLabels:makeValues:)`` into memory the caller provides, e.g.
    /// the memory map of an output file, so that results need no copy. Either target may be nil (not
    /// wanted); each must have the image's width and height and one channel. On `.notANumber` the
    /// targets hold partial results.
    ///
    /// `@inlinable` so that a caller in another module (the CLI) gets the concrete-type loops.
    @inlinable public func assign<S: PixelSample, Label: PixelSample & FixedWidthInteger & SIMDScalar, Value: PixelSample>(
        _ image: Image<S>, labelsInto labels: MutableImageBuffer<Label>?, valuesInto values: MutableImageBuffer<Value>?
    ) throws(QuantizationError) {
        precondition(image.channels == 1, "quantize one channel at a time")
        precondition(count - 1 <= Int(Label.max), "label type too narrow for \(count) levels")
        precondition(labels.map { $0.width == image.width && $0.height == image.height && $0.channels == 1 } ?? true,
                     "label target geometry differs from the image")
        precondition(values.map { $0.width == image.width && $0.height == image.height && $0.channels == 1 } ?? true,
                     "value target geometry differs from the image")
        let valueOfLevel = levelValues(as: Value.self)
        switch S.sampleType {
        case .uint8:
            let table = labelTable(for: UInt8.self)
            Self.assignByTable(image as! Image<UInt8>, labels: table.map { Label(truncatingIfNeeded: $0) },
                               values: table.map { valueOfLevel[$0] }, into: labels, values)
        case .uint16:
            let table = labelTable(for: UInt16.self)
            Self.assignByTable(image as! Image<UInt16>, labels: table.map { Label(truncatingIfNeeded: $0) },
                               values: table.map { valueOfLevel[$0] }, into: labels, values)
        case .float32:
            try Self.assignBySearch(image as! Image<Float>, thresholds: sampleThresholds(as: Float.self),
                                    values: valueOfLevel, into: labels, values)
        case .float64:
            try Self.assignBySearch(image as! Image<Double>, thresholds: sampleThresholds(as: Double.self),
                                    values: valueOfLevel, into: labels, values)
        }
    }

    /// ``assign(_:labelsInto:valuesInto:)`` block by block: each worker fills blocks of about 64k pixels
    /// (whole rows) into its own small buffers, which stay in cache, and hands each block to `deliver`
    /// (from worker threads, blocks in no particular order; the buffers are reused once it returns).
    ///
    /// This is how outputs stream to files with positional writes: the results never exist whole in
    /// memory, and no output page is zeroed, faulted or mapped. For 12000² float64 it removes the
    /// serial zeroing of 1.3 GB that a prefaulted memory map costs. The first error thrown by `deliver`
    /// stops its worker and is rethrown; a NaN throws `.notANumber` at the first one in row order.
    @inlinable public func assignInBlocks<S: PixelSample, Label: PixelSample & FixedWidthInteger & SIMDScalar, Value: PixelSample>(
        _ image: Image<S>, labelType: Label.Type, valueType: Value.Type, makeLabels: Bool = true, makeValues: Bool = true,
        deliver: @Sendable (_ rows: Range<Int>, _ labels: ImageBuffer<Label>?, _ values: ImageBuffer<Value>?) throws -> Void
    ) throws {
        precondition(image.channels == 1, "quantize one channel at a time")
        precondition(count - 1 <= Int(Label.max), "label type too narrow for \(count) levels")
        let width = image.width, height = image.height
        let blockRows = Self.minimumRows(width: width)
        let blockCount = (height + blockRows - 1) / blockRows
        // The 8/16-bit lookup tables are built once here, not per block (65536 entries per 64k-pixel
        // block doubled the work on 16-bit images).
        let valueOfLevel = levelValues(as: Value.self)
        let labelTable: [Int]
        switch S.sampleType {
        case .uint8: labelTable = self.labelTable(for: UInt8.self)
        case .uint16: labelTable = self.labelTable(for: UInt16.self)
        case .float32, .float64: labelTable = []
        }
        let labelLookup = labelTable.map { Label(truncatingIfNeeded: $0) }
        let valueLookup = labelTable.map { valueOfLevel[$0] }
        @Sendable func fill(_ region: Image<S>, _ labels: MutableImageBuffer<Label>?, _ values: MutableImageBuffer<Value>?)
            throws(QuantizationError) {
            switch S.sampleType {
            case .uint8: Self.assignByTable(region as! Image<UInt8>, labels: labelLookup, values: valueLookup, into: labels, values)
            case .uint16: Self.assignByTable(region as! Image<UInt16>, labels: labelLookup, values: valueLookup, into: labels, values)
            case .float32, .float64: try assign(region, labelsInto: labels, valuesInto: values)
            }
        }
        let failures = Parallel.mapChunks(count: blockCount, minimumChunk: 1) { blocks -> (row: Int, error: any Error)? in
            let capacity = blockRows * width
            let labelScratch = makeLabels ? UnsafeMutablePointer<Label>.allocate(capacity: capacity) : nil
            let valueScratch = makeValues ? UnsafeMutablePointer<Value>.allocate(capacity: capacity) : nil
            defer {
                labelScratch?.deallocate()
                valueScratch?.deallocate()
            }
            for block in blocks {
                let top = block * blockRows, rows = Swift.min(blockRows, height - top)
                let labels = labelScratch.map { MutableImageBuffer(base: $0, width: width, height: rows, channels: 1, rowStride: width) }
                let values = valueScratch.map { MutableImageBuffer(base: $0, width: width, height: rows, channels: 1, rowStride: width) }
                do throws(QuantizationError) {
                    try fill(image.region(x: 0, y: top, width: width, height: rows), labels, values)
                } catch {
                    guard case .notANumber(let x, let y) = error else { return (top, error) }
                    return (top + y, QuantizationError.notANumber(x: x, y: top + y))
                }
                do {
                    try deliver(top..<(top + rows), labels?.readOnly, values?.readOnly)
                } catch {
                    return (top, error)
                }
            }
            return nil
        }
        if let first = failures.compactMap({ $0 }).min(by: { $0.row < $1.row }) { throw first.error }
    }

    /// Rows per parallel chunk: at least ~64k pixels so that dispatching stays negligible.
    @inlinable static func minimumRows(width: Int) -> Int { Swift.max(1, 65536 / Swift.max(width, 1)) }

    /// The lookup-table path: one load per table per pixel. Specialised for every type combination the
    /// CLI uses, so that callers in generic code still run the concrete loop.
    @_specialize(where S == UInt8, Label == UInt8, Value == UInt8)
    @_specialize(where S == UInt8, Label == UInt8, Value == Double)
    @_specialize(where S == UInt8, Label == UInt16, Value == UInt8)
    @_specialize(where S == UInt8, Label == UInt16, Value == Double)
    @_specialize(where S == UInt16, Label == UInt8, Value == UInt16)
    @_specialize(where S == UInt16, Label == UInt8, Value == Double)
    @_specialize(where S == UInt16, Label == UInt16, Value == UInt16)
    @_specialize(where S == UInt16, Label == UInt16, Value == Double)
    @inlinable static func assignByTable<S: FixedWidthInteger & PixelSample, Label: PixelSample & FixedWidthInteger, Value: PixelSample>(
        _ image: Image<S>, labels labelTable: [Label], values valueTable: [Value],
        into labelBuffer: MutableImageBuffer<Label>?, _ valueBuffer: MutableImageBuffer<Value>?
    ) {
        let width = image.width
        image.withUnsafeBuffer { source in
                    labelTable.withUnsafeBufferPointer { labelTable in
                        valueTable.withUnsafeBufferPointer { valueTable in
                            let labelLookup = SendableConstPointer(labelTable.baseAddress)
                            let valueLookup = SendableConstPointer(valueTable.baseAddress)
                            Parallel.forEachChunk(count: image.height, minimumChunk: minimumRows(width: width)) { rows in
                                let labelLookup = labelLookup.pointer!, valueLookup = valueLookup.pointer!
                                for y in rows {
                                    let input = source.rowPointer(y)
                                    switch (labelBuffer, valueBuffer) {
                                    case let (labelBuffer?, valueBuffer?):
                                        let l = labelBuffer.rowPointer(y), v = valueBuffer.rowPointer(y)
                                        for x in 0..<width {
                                            let sample = Int(input[x])
                                            l[x] = labelLookup[sample]
                                            v[x] = valueLookup[sample]
                                        }
                                    case let (labelBuffer?, nil):
                                        let l = labelBuffer.rowPointer(y)
                                        for x in 0..<width { l[x] = labelLookup[Int(input[x])] }
                                    case let (nil, valueBuffer?):
                                        let v = valueBuffer.rowPointer(y)
                                        for x in 0..<width { v[x] = valueLookup[Int(input[x])] }
                                    case (nil, nil):
                                        break
                                    }
                                }
                            }
                        }
                    }
        }
    }

    /// The float path: up to 32 levels through ``VectorLevelSearch`` (eight samples at a time), more by a
    /// binary search per sample. Specialised like ``assignByTable``.
    @_specialize(where S == Float, Label == UInt8, Value == Double)
    @_specialize(where S == Float, Label == UInt8, Value == Float)
    @_specialize(where S == Float, Label == UInt16, Value == Double)
    @_specialize(where S == Float, Label == UInt16, Value == Float)
    @_specialize(where S == Double, Label == UInt8, Value == Double)
    @_specialize(where S == Double, Label == UInt16, Value == Double)
    @inlinable static func assignBySearch<S: VectorSearchSample, Label: PixelSample & FixedWidthInteger & SIMDScalar, Value: PixelSample>(
        _ image: Image<S>, thresholds: [S], values valueTable: [Value],
        into labels: MutableImageBuffer<Label>?, _ values: MutableImageBuffer<Value>?
    ) throws(QuantizationError) {
        if thresholds.count <= VectorLevelSearch<S>.maximumThresholds {
            // The bit patterns the vector search walks along: the level values when they are samples.
            let sampleValues = (valueTable as? [S]) ?? [S](repeating: 0, count: valueTable.count)
            let search = VectorLevelSearch(thresholds: thresholds, values: sampleValues)
            defer { search.deallocate() }
            return try assignRows(image, values: valueTable, into: labels, values) { input, count, l, v, table in
                search.row(input, count: count, labels: l, values: v, valueTable: table)
            }
        }
        let labeler = BisectingLabeler(thresholds)
        return try assignRows(image, values: valueTable, into: labels, values) { input, count, l, v, table in
            var nan: UInt8 = 0
            for x in 0..<count {
                let sample = input[x]
                nan |= sample != sample ? 1 : 0
                let level = labeler.label(sample)
                l?[x] = Label(truncatingIfNeeded: level)
                v?[x] = table[level]
            }
            return nan != 0
        }
    }

    /// Runs `row` (input, count, label row, value row, value table → whether the row holds a NaN) over
    /// every row in parallel, then throws `.notANumber` at the first NaN.
    @inlinable @inline(__always) static func assignRows<S: BinaryFloatingPoint & PixelSample, Label: PixelSample & FixedWidthInteger, Value: PixelSample>(
        _ image: Image<S>, values valueTable: [Value],
        into labelBuffer: MutableImageBuffer<Label>?, _ valueBuffer: MutableImageBuffer<Value>?,
        row: @escaping @Sendable (UnsafePointer<S>, Int, UnsafeMutablePointer<Label>?, UnsafeMutablePointer<Value>?, UnsafePointer<Value>) -> Bool
    ) throws(QuantizationError) {
        let width = image.width
        let firstNaNRow: Int? = image.withUnsafeBuffer { source in
            valueTable.withUnsafeBufferPointer { valueTable in
                let valueLookup = SendableConstPointer(valueTable.baseAddress)
                let partials = Parallel.mapChunks(count: image.height, minimumChunk: minimumRows(width: width)) { rows -> Int? in
                    var firstNaN: Int?
                    for y in rows {
                        let nan = row(source.rowPointer(y), width, labelBuffer?.rowPointer(y), valueBuffer?.rowPointer(y),
                                      valueLookup.pointer!)
                        if nan && firstNaN == nil { firstNaN = y }
                    }
                    return firstNaN
                }
                return partials.lazy.compactMap { $0 }.first
            }
        }
        if let y = firstNaNRow {
            let x = image.withUnsafeBuffer { buffer in buffer.row(y).firstIndex { $0.isNaN } ?? 0 }
            throw .notANumber(x: x, y: y)
        }
    }
}

/// Maps a sample to its label given sorted thresholds (label = number of thresholds ≤ sample).
/// A NaN sample gets some label in range; NaN is refused by the caller. (Up to 32 levels go through
/// ``VectorLevelSearch`` instead, eight samples at a time.)
public protocol Labeler: Sendable {
    associatedtype Sample: BinaryFloatingPoint & PixelSample
    func label(_ sample: Sample) -> Int
}

/// Any number of thresholds: binary search (log₂ K steps; branchy, but K is large here).
public struct BisectingLabeler<Sample: BinaryFloatingPoint & PixelSample>: Labeler, @unchecked Sendable {
    @usableFromInline let thresholds: [Sample]
    /// A labeler for ascending `thresholds`: a sample at or above thresholds[i] belongs to a level above i.
    @inlinable public init(_ thresholds: [Sample]) { self.thresholds = thresholds }

    /// The number of thresholds at or below `sample`: its level index.
    @inlinable @inline(__always) public func label(_ sample: Sample) -> Int {
        thresholds.withUnsafeBufferPointer { steps in
            var low = 0, high = steps.count
            while low < high {
                let middle = (low &+ high) >> 1
                if sample >= steps[middle] { low = middle &+ 1 } else { high = middle }
            }
            return low
        }
    }
}

/// Calls `body` with the mutable buffer of `image`, or with nil when there is no image.
@inlinable public func withOptionalMutableBuffer<T: PixelSample, R>(_ image: inout Image<T>?, _ body: (MutableImageBuffer<T>?) throws -> R) rethrows -> R {
    if image != nil {
        return try image!.withUnsafeMutableBuffer { try body($0) }
    }
    return try body(nil)
}
