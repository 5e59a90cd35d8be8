/// The outputs of quantizing one image: labels (0..K−1 in ascending order of centre) and the quantized
/// image (each pixel replaced by its level's value); either may be skipped.
public struct QuantizedImages<Label: PixelSample & FixedWidthInteger, Value: PixelSample>: Sendable {
    public var labels: Image<Label>?
    public var values: Image<Value>?

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
    public func assign<S: PixelSample, Label: PixelSample & FixedWidthInteger, Value: PixelSample>(
        _ image: Image<S>, labelType: Label.Type, valueType: Value.Type, makeLabels: Bool = true, makeValues: Bool = true
    ) throws(QuantizationError) -> QuantizedImages<Label, Value> {
        precondition(image.channels == 1, "quantize one channel at a time")
        precondition(count - 1 <= Int(Label.max), "label type too narrow for \(count) levels")
        let values = levelValues(as: Value.self)
        switch S.sampleType {
        case .uint8:
            let table = labelTable(for: UInt8.self)
            return Self.assignByTable(image as! Image<UInt8>, labels: table.map { Label(truncatingIfNeeded: $0) },
                                      values: table.map { values[$0] }, makeLabels: makeLabels, makeValues: makeValues)
        case .uint16:
            let table = labelTable(for: UInt16.self)
            return Self.assignByTable(image as! Image<UInt16>, labels: table.map { Label(truncatingIfNeeded: $0) },
                                      values: table.map { values[$0] }, makeLabels: makeLabels, makeValues: makeValues)
        case .float32:
            return try Self.assignBySearch(image as! Image<Float>, thresholds: sampleThresholds(as: Float.self),
                                           values: values, labelType: Label.self, makeLabels: makeLabels, makeValues: makeValues)
        case .float64:
            return try Self.assignBySearch(image as! Image<Double>, thresholds: sampleThresholds(as: Double.self),
                                           values: values, labelType: Label.self, makeLabels: makeLabels, makeValues: makeValues)
        }
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
        _ image: Image<S>, labels labelTable: [Label], values valueTable: [Value], makeLabels: Bool, makeValues: Bool
    ) -> QuantizedImages<Label, Value> {
        var labels = makeLabels ? Image<Label>(uninitializedWidth: image.width, height: image.height) : nil
        var values = makeValues ? Image<Value>(uninitializedWidth: image.width, height: image.height) : nil
        let width = image.width
        image.withUnsafeBuffer { source in
            withOptionalMutableBuffer(&labels) { labelBuffer in
                withOptionalMutableBuffer(&values) { valueBuffer in
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
        }
        return QuantizedImages(labels: labels, values: values)
    }

    /// The float path: branch-free binary search over thresholds padded with NaN to 2^m − 1 entries
    /// (`v >= NaN` is false, so padding never counts). Specialised like ``assignByTable``.
    @_specialize(where S == Float, Label == UInt8, Value == Double)
    @_specialize(where S == Float, Label == UInt8, Value == Float)
    @_specialize(where S == Float, Label == UInt16, Value == Double)
    @_specialize(where S == Float, Label == UInt16, Value == Float)
    @_specialize(where S == Double, Label == UInt8, Value == Double)
    @_specialize(where S == Double, Label == UInt16, Value == Double)
    @inlinable static func assignBySearch<S: BinaryFloatingPoint & PixelSample, Label: PixelSample & FixedWidthInteger, Value: PixelSample>(
        _ image: Image<S>, thresholds: [S], values valueTable: [Value], labelType: Label.Type, makeLabels: Bool, makeValues: Bool
    ) throws(QuantizationError) -> QuantizedImages<Label, Value> {
        var labels = makeLabels ? Image<Label>(uninitializedWidth: image.width, height: image.height) : nil
        var values = makeValues ? Image<Value>(uninitializedWidth: image.width, height: image.height) : nil
        var powerOfTwo = 1
        while powerOfTwo < thresholds.count + 1 { powerOfTwo <<= 1 }
        let span = powerOfTwo
        let padded = thresholds + [S](repeating: .nan, count: span - 1 - thresholds.count)
        let width = image.width
        let thresholdCount = thresholds.count
        let linear = thresholdCount <= 31
        let firstNaNRow: Int? = image.withUnsafeBuffer { source in
            withOptionalMutableBuffer(&labels) { labelBuffer in
                withOptionalMutableBuffer(&values) { valueBuffer in
                    padded.withUnsafeBufferPointer { padded in
                        valueTable.withUnsafeBufferPointer { valueTable in
                            let steps = SendableConstPointer(padded.baseAddress)
                            let valueLookup = SendableConstPointer(valueTable.baseAddress)
                            let partials = Parallel.mapChunks(count: image.height, minimumChunk: minimumRows(width: width)) { rows -> Int? in
                                let steps = steps.pointer ?? UnsafePointer(bitPattern: 8)!
                                let valueLookup = valueLookup.pointer!
                                @inline(__always) func label(_ v: S) -> Int {
                                    if linear {
                                        // Up to 31 thresholds: count those ≤ v as the sign bits of
                                        // v − t (IEEE subtraction is exactly 0 only when v == t, and
                                        // keeps the sign under overflow). Pure arithmetic: the compiler
                                        // turns comparisons here, and the bisection below, into
                                        // branches that random pixels mispredict half the time.
                                        var below = 0
                                        for t in 0..<thresholdCount { below &+= (v - steps[t]).sign.rawValue }
                                        return thresholdCount &- below
                                    }
                                    var base = 0
                                    var half = span >> 1
                                    while half > 0 {
                                        // Bool → 0/1 → mask: no branch for the CPU to mispredict.
                                        let above = v >= steps[base &+ half &- 1]
                                        base &+= half & (0 &- Int(unsafeBitCast(above, to: UInt8.self)))
                                        half >>= 1
                                    }
                                    return base
                                }
                                var firstNaN: Int?
                                for y in rows {
                                    let input = source.rowPointer(y)
                                    var nan: UInt8 = 0
                                    switch (labelBuffer, valueBuffer) {
                                    case let (labelBuffer?, valueBuffer?):
                                        let l = labelBuffer.rowPointer(y), v = valueBuffer.rowPointer(y)
                                        for x in 0..<width {
                                            let sample = input[x]
                                            nan |= sample != sample ? 1 : 0
                                            let level = label(sample)
                                            l[x] = Label(truncatingIfNeeded: level)
                                            v[x] = valueLookup[level]
                                        }
                                    case let (labelBuffer?, nil):
                                        let l = labelBuffer.rowPointer(y)
                                        for x in 0..<width {
                                            let sample = input[x]
                                            nan |= sample != sample ? 1 : 0
                                            l[x] = Label(truncatingIfNeeded: label(sample))
                                        }
                                    case let (nil, valueBuffer?):
                                        let v = valueBuffer.rowPointer(y)
                                        for x in 0..<width {
                                            let sample = input[x]
                                            nan |= sample != sample ? 1 : 0
                                            v[x] = valueLookup[label(sample)]
                                        }
                                    case (nil, nil):
                                        for x in 0..<width { nan |= input[x] != input[x] ? 1 : 0 }
                                    }
                                    if nan != 0 && firstNaN == nil { firstNaN = y }
                                }
                                return firstNaN
                            }
                            return partials.lazy.compactMap { $0 }.first
                        }
                    }
                }
            }
        }
        if let y = firstNaNRow {
            let x = image.withUnsafeBuffer { buffer in buffer.row(y).firstIndex { $0.isNaN } ?? 0 }
            throw .notANumber(x: x, y: y)
        }
        return QuantizedImages(labels: labels, values: values)
    }
}

/// Calls `body` with the mutable buffer of `image`, or with nil when there is no image.
@inlinable func withOptionalMutableBuffer<T: PixelSample, R>(_ image: inout Image<T>?, _ body: (MutableImageBuffer<T>?) throws -> R) rethrows -> R {
    if image != nil {
        return try image!.withUnsafeMutableBuffer { try body($0) }
    }
    return try body(nil)
}
