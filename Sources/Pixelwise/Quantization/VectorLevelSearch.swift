/// The float assignment for up to 32 levels, eight samples at a time: labels and level values without a
/// branch, a table lookup or a widening of the samples.
///
/// For each threshold t (sorted; label = number of thresholds ≤ v) one vector comparison `v ≥ t` gives
/// a mask of all-ones lanes; subtracting it counts the label, and XOR-ing `mask & (bits(value[t]) ^
/// bits(value[t + 1]))` into the bit pattern of `value[0]` walks the value along: the masks of sorted
/// thresholds are true for exactly the first `label` thresholds, so the XORs telescope to
/// `bits(value[label])` — the exact level value, whatever it is. On a generic x86-64 build one threshold
/// costs about four SSE2 operations per two doubles; the scalar sign-bit count it replaces cost ~17 ns a
/// pixel at 12000² (mostly moves between the vector and integer units), this ~3 ns.
///
/// Thresholds are processed seven at a time, unrolled (K = 8, the common case, is one group); the last
/// group is padded with NaN thresholds, which never count (`v ≥ NaN` is false) and move nothing (their
/// XOR difference is 0). A NaN sample gets some label in range; the caller refuses NaN.
@usableFromInline struct VectorLevelSearch<Sample: VectorSearchSample>: @unchecked Sendable {
    @usableFromInline typealias Lanes = SIMD8<Sample>
    @usableFromInline typealias Bits = Sample.LaneBits

    /// Thresholds per group of seven, broadcast to all lanes (padding: NaN).
    @usableFromInline let thresholds: UnsafeMutablePointer<Lanes>
    /// `bits(value[t]) ^ bits(value[t + 1])` per threshold, broadcast (padding: 0).
    @usableFromInline let steps: UnsafeMutablePointer<Bits>
    /// Thresholds rounded up to a multiple of seven.
    @usableFromInline let paddedCount: Int
    /// The bit pattern of `value[0]`.
    @usableFromInline let firstValueBits: Bits

    @usableFromInline static var groupSize: Int { 7 }
    /// Largest number of thresholds this search is meant for (beyond it, bisection is faster).
    @usableFromInline static var maximumThresholds: Int { 31 }

    /// Sorted `thresholds` in the sample type and the `values` (one more than thresholds) whose bit
    /// patterns the value output takes.
    @inlinable init(thresholds sorted: [Sample], values: [Sample]) {
        precondition(values.count == sorted.count + 1, "one value per level")
        let padded = Swift.max(Self.groupSize, (sorted.count + Self.groupSize - 1) / Self.groupSize * Self.groupSize)
        paddedCount = padded
        thresholds = .allocate(capacity: padded)
        steps = .allocate(capacity: padded)
        @inline(__always) func bits(_ value: Sample) -> Bits { unsafeBitCast(Lanes(repeating: value), to: Bits.self) }
        @inline(__always) func xor(_ a: Bits, _ b: Bits) -> Bits { Sample.xor(a, b) }
        for t in 0..<padded {
            if t < sorted.count {
                thresholds[t] = Lanes(repeating: sorted[t])
                steps[t] = xor(bits(values[t]), bits(values[t + 1]))
            } else {
                thresholds[t] = Lanes(repeating: .nan)
                steps[t] = Sample.zeroBits
            }
        }
        firstValueBits = bits(values[0])
    }

    @usableFromInline func deallocate() {
        thresholds.deallocate()
        steps.deallocate()
    }

    /// Labels (as mask-scalar lanes) and, when `withValues`, the bit patterns of the level values of eight
    /// samples. `withValues` is a constant at every call site, so the unused half compiles away.
    @inlinable @inline(__always) func search(_ v: Lanes, withValues: Bool) -> (labels: Bits, valueBits: Bits) {
        var labels = Sample.zeroBits
        var valueBits = firstValueBits
        @inline(__always) func step(_ t: Int) {
            Sample.step(v, atLeast: thresholds[t], moving: steps[t], labels: &labels, valueBits: &valueBits, withValues: withValues)
        }
        var t = 0
        while t < paddedCount {
            step(t); step(t &+ 1); step(t &+ 2); step(t &+ 3); step(t &+ 4); step(t &+ 5); step(t &+ 6)
            t &+= 7
        }
        return (labels, valueBits)
    }

    /// One row: `count` samples from `input`; labels to `labels` and values to `values` when non-nil.
    /// Values are written from the bit patterns when `Value` is the sample type, else looked up in
    /// `valueTable` by label. Returns whether the row holds a NaN.
    @inlinable @inline(__always) func row<Label: FixedWidthInteger & SIMDScalar, Value>(
        _ input: UnsafePointer<Sample>, count: Int, labels: UnsafeMutablePointer<Label>?,
        values: UnsafeMutablePointer<Value>?, valueTable: UnsafePointer<Value>
    ) -> Bool {
        let valuesAreSamples = Value.self == Sample.self
        let withValues = values != nil && valuesAreSamples
        var nan = Sample.zeroBits
        @inline(__always) func store(_ result: (labels: Bits, valueBits: Bits), at x: Int, lanes: Int) {
            if lanes == 8 {
                if let labels {
                    Sample.store(result.labels, to: labels + x)
                }
                if let values {
                    if valuesAreSamples {
                        UnsafeMutableRawPointer(values + x).storeBytes(of: unsafeBitCast(result.valueBits, to: Lanes.self),
                                                                       as: Lanes.self)
                    } else {
                        for lane in 0..<8 { values[x &+ lane] = valueTable[Sample.lane(lane, of: result.labels)] }
                    }
                }
            } else {
                let levelValues = unsafeBitCast(result.valueBits, to: Lanes.self)
                for lane in 0..<lanes {
                    labels?[x &+ lane] = Label(truncatingIfNeeded: Sample.lane(lane, of: result.labels))
                    if let values {
                        values[x &+ lane] = valuesAreSamples ? unsafeBitCast(levelValues[lane], to: Value.self)
                            : valueTable[Sample.lane(lane, of: result.labels)]
                    }
                }
            }
        }
        var x = 0
        // Two separate loops so that `withValues` is a constant in each.
        if withValues {
            while x &+ 8 <= count {
                let v = UnsafeRawPointer(input + x).loadUnaligned(as: Lanes.self)
                Sample.accumulateNaN(v, into: &nan)
                store(search(v, withValues: true), at: x, lanes: 8)
                x &+= 8
            }
        } else {
            while x &+ 8 <= count {
                let v = UnsafeRawPointer(input + x).loadUnaligned(as: Lanes.self)
                Sample.accumulateNaN(v, into: &nan)
                store(search(v, withValues: false), at: x, lanes: 8)
                x &+= 8
            }
        }
        if x < count {
            // The tail goes through the same search, padded with zeros.
            var v = Lanes()
            for lane in 0..<(count &- x) { v[lane] = input[x &+ lane] }
            Sample.accumulateNaN(v, into: &nan)
            store(search(v, withValues: true), at: x, lanes: count &- x)
        }
        return Sample.anyLane(nan)
    }
}

/// The lane operations of ``VectorLevelSearch`` on concrete vector types. Written per sample type because
/// only concrete `SIMD8<Double>` / `SIMD8<Int64>` operations compile to vector instructions: the same
/// operations reached through the generic `SIMD` protocol are lowered lane by lane (measured: 3× slower
/// than the scalar search).
@usableFromInline protocol VectorSearchSample: BinaryFloatingPoint, PixelSample, SIMDScalar, Codable {
    /// Eight integer lanes as wide as the sample: labels, masks and bit patterns.
    associatedtype LaneBits
    static var zeroBits: LaneBits { get }
    static func xor(_ a: LaneBits, _ b: LaneBits) -> LaneBits
    /// One threshold: `labels += (v ≥ threshold)`, and when `withValues`, `valueBits ^= (v ≥ threshold) & step`.
    static func step(_ v: SIMD8<Self>, atLeast threshold: SIMD8<Self>, moving step: LaneBits,
                     labels: inout LaneBits, valueBits: inout LaneBits, withValues: Bool)
    static func accumulateNaN(_ v: SIMD8<Self>, into mask: inout LaneBits)
    static func anyLane(_ mask: LaneBits) -> Bool
    static func lane(_ lane: Int, of bits: LaneBits) -> Int
    /// Stores eight labels (each < 65536) as `Label`s.
    static func store<Label: FixedWidthInteger & SIMDScalar>(_ labels: LaneBits, to target: UnsafeMutablePointer<Label>)
}

extension Double: VectorSearchSample {
    @usableFromInline typealias LaneBits = SIMD8<Int64>
    @inlinable @inline(__always) static var zeroBits: LaneBits { LaneBits() }
    @inlinable @inline(__always) static func xor(_ a: LaneBits, _ b: LaneBits) -> LaneBits { a ^ b }
    @inlinable @inline(__always) static func step(_ v: SIMD8<Double>, atLeast threshold: SIMD8<Double>, moving step: LaneBits,
                                                  labels: inout LaneBits, valueBits: inout LaneBits, withValues: Bool) {
        let mask = unsafeBitCast(v .>= threshold, to: LaneBits.self)
        labels &-= mask
        if withValues { valueBits ^= mask & step }
    }
    @inlinable @inline(__always) static func accumulateNaN(_ v: SIMD8<Double>, into mask: inout LaneBits) {
        mask |= unsafeBitCast(v .!= v, to: LaneBits.self)
    }
    @inlinable @inline(__always) static func anyLane(_ mask: LaneBits) -> Bool { mask != LaneBits() }
    @inlinable @inline(__always) static func lane(_ lane: Int, of bits: LaneBits) -> Int { Int(truncatingIfNeeded: bits[lane]) }
    @inlinable @inline(__always) static func store<Label: FixedWidthInteger & SIMDScalar>(_ labels: LaneBits, to target: UnsafeMutablePointer<Label>) {
        storeLabels(labels, to: target)
    }
}

extension Float: VectorSearchSample {
    @usableFromInline typealias LaneBits = SIMD8<Int32>
    @inlinable @inline(__always) static var zeroBits: LaneBits { LaneBits() }
    @inlinable @inline(__always) static func xor(_ a: LaneBits, _ b: LaneBits) -> LaneBits { a ^ b }
    @inlinable @inline(__always) static func step(_ v: SIMD8<Float>, atLeast threshold: SIMD8<Float>, moving step: LaneBits,
                                                  labels: inout LaneBits, valueBits: inout LaneBits, withValues: Bool) {
        let mask = unsafeBitCast(v .>= threshold, to: LaneBits.self)
        labels &-= mask
        if withValues { valueBits ^= mask & step }
    }
    @inlinable @inline(__always) static func accumulateNaN(_ v: SIMD8<Float>, into mask: inout LaneBits) {
        mask |= unsafeBitCast(v .!= v, to: LaneBits.self)
    }
    @inlinable @inline(__always) static func anyLane(_ mask: LaneBits) -> Bool { mask != LaneBits() }
    @inlinable @inline(__always) static func lane(_ lane: Int, of bits: LaneBits) -> Int { Int(truncatingIfNeeded: bits[lane]) }
    @inlinable @inline(__always) static func store<Label: FixedWidthInteger & SIMDScalar>(_ labels: LaneBits, to target: UnsafeMutablePointer<Label>) {
        storeLabels(labels, to: target)
    }
}

/// Narrows eight label lanes to `Label` (UInt8 or UInt16, chosen at compile time) in one store.
@inlinable @inline(__always) func storeLabels<Lane: FixedWidthInteger & SIMDScalar, Label: FixedWidthInteger & SIMDScalar>(
    _ labels: SIMD8<Lane>, to target: UnsafeMutablePointer<Label>
) {
    let raw = UnsafeMutableRawPointer(target)
    if Label.self == UInt8.self, Lane.self == Int64.self {
        raw.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: unsafeBitCast(labels, to: SIMD8<Int64>.self)), as: SIMD8<UInt8>.self)
    } else if Label.self == UInt16.self, Lane.self == Int64.self {
        raw.storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: unsafeBitCast(labels, to: SIMD8<Int64>.self)), as: SIMD8<UInt16>.self)
    } else if Label.self == UInt8.self, Lane.self == Int32.self {
        raw.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: unsafeBitCast(labels, to: SIMD8<Int32>.self)), as: SIMD8<UInt8>.self)
    } else if Label.self == UInt16.self, Lane.self == Int32.self {
        raw.storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: unsafeBitCast(labels, to: SIMD8<Int32>.self)), as: SIMD8<UInt16>.self)
    } else {
        for lane in 0..<8 { target[lane] = Label(truncatingIfNeeded: labels[lane]) }
    }
}
