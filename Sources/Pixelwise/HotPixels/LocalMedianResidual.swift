/// A sample type the hot-pixel kernels run on with SIMD: all four ``PixelSample`` types.
public protocol HotPixelSample: PixelSample, SIMDScalar, Codable {
    /// Lane-wise conversion to `Float` (exact for 8- and 16-bit integers).
    static func floats(_ vector: SIMD16<Self>) -> SIMD16<Float>
    /// The sample as `Float`.
    var floatValue: Float { get }
    /// Lane-wise `(min(low, v), max(high, v))`, spelled per type as comparisons and selects on the concrete
    /// vector type, which compile to single instructions (`pminub`, `minps`, …); the generic
    /// `pointwiseMin` stays a call, and comparisons on a generic `SIMD8<Sample>` were lowered lane by lane.
    static func widenRange(_ low: SIMD16<Self>, _ high: SIMD16<Self>, _ v: SIMD16<Self>) -> (SIMD16<Self>, SIMD16<Self>)
}

extension UInt8: HotPixelSample {
    @inlinable @inline(__always)
    public static func widenRange(_ low: SIMD16<UInt8>, _ high: SIMD16<UInt8>, _ v: SIMD16<UInt8>) -> (SIMD16<UInt8>, SIMD16<UInt8>) {
        (low.replacing(with: v, where: v .< low), high.replacing(with: v, where: high .< v))
    }
    @inlinable public static func floats(_ vector: SIMD16<UInt8>) -> SIMD16<Float> {
        SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: vector))
    }
    @inlinable public var floatValue: Float { Float(self) }
}

extension UInt16: HotPixelSample {
    @inlinable @inline(__always)
    public static func widenRange(_ low: SIMD16<UInt16>, _ high: SIMD16<UInt16>, _ v: SIMD16<UInt16>) -> (SIMD16<UInt16>, SIMD16<UInt16>) {
        (low.replacing(with: v, where: v .< low), high.replacing(with: v, where: high .< v))
    }
    @inlinable public static func floats(_ vector: SIMD16<UInt16>) -> SIMD16<Float> {
        SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: vector))
    }
    @inlinable public var floatValue: Float { Float(self) }
}

extension Float: HotPixelSample {
    @inlinable @inline(__always)
    public static func widenRange(_ low: SIMD16<Float>, _ high: SIMD16<Float>, _ v: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
        (low.replacing(with: v, where: v .< low), high.replacing(with: v, where: high .< v))
    }
    @inlinable public static func floats(_ vector: SIMD16<Float>) -> SIMD16<Float> { vector }
    @inlinable public var floatValue: Float { self }
}

extension Double: HotPixelSample {
    @inlinable @inline(__always)
    public static func widenRange(_ low: SIMD16<Double>, _ high: SIMD16<Double>, _ v: SIMD16<Double>) -> (SIMD16<Double>, SIMD16<Double>) {
        (low.replacing(with: v, where: v .< low), high.replacing(with: v, where: high .< v))
    }
    @inlinable public static func floats(_ vector: SIMD16<Double>) -> SIMD16<Float> {
        var result = SIMD16<Float>()
        for lane in 0..<16 { result[lane] = Float(vector[lane]) }
        return result
    }
    @inlinable public var floatValue: Float { Float(self) }
}

/// The residual of every sample against a robust estimate from its neighbourhood: the median of the
/// eight same-channel samples of the ring around it, `step` pixels away (1 for RGB or gray images, 2 for
/// a CFA mosaic, where the same colour repeats every second photosite). The centre is left out so that a
/// defect does not pull its own estimate; the median ignores one bright or dark neighbour, so a defect
/// does not hide its neighbours either. With eight values the median is the mean of the 4th and 5th.
///
/// At the borders only the ring's in-bounds samples count (the median of 3 or 5).
public enum LocalMedianResidual {
    /// Residuals of row `y` of `image` into `output` (`width * channels` values, interleaved like the row).
    @inlinable
    public static func row<S: HotPixelSample>(_ image: ImageBuffer<S>, y: Int, step: Int,
                                              into output: UnsafeMutablePointer<Float>) {
        let width = image.width, height = image.height, channels = image.channels
        let rowLength = width &* channels
        let interiorRow = y >= step && y + step < height
        let lo = step &* channels
        let hi = (width - step) &* channels
        if !interiorRow, hi > lo, (y >= step) != (y + step < height) {
            edgeRow(image, y: y, step: step, from: lo, to: hi, into: output)
            return
        }
        guard interiorRow, hi > lo else {
            for index in 0..<rowLength {
                output[index] = ringResidual(image, x: index / channels, y: y, channel: index % channels, step: step)
            }
            return
        }
        let d = step &* channels
        let up = image.rowPointer(y - step), mid = image.rowPointer(y), down = image.rowPointer(y + step)
        // First and last columns: the ring has the five samples on the inner side (the row is wider than
        // two steps here, since hi > lo).
        for index in 0..<lo {
            output[index] = mid[index].floatValue - medianOfFive(
                up[index].floatValue, up[index &+ d].floatValue, mid[index &+ d].floatValue,
                down[index].floatValue, down[index &+ d].floatValue)
        }
        for index in hi..<rowLength {
            output[index] = mid[index].floatValue - medianOfFive(
                up[index &- d].floatValue, up[index].floatValue, mid[index &- d].floatValue,
                down[index &- d].floatValue, down[index].floatValue)
        }
        if S.self == UInt8.self {
            interiorUInt8(UnsafeRawPointer(up).assumingMemoryBound(to: UInt8.self),
                          UnsafeRawPointer(mid).assumingMemoryBound(to: UInt8.self),
                          UnsafeRawPointer(down).assumingMemoryBound(to: UInt8.self),
                          from: lo, to: hi, offset: d, into: output)
        } else {
            interior(up, mid, down, from: lo, to: hi, offset: d, into: output)
        }
    }

    /// A top or bottom row (exactly one neighbouring row in bounds): between `lo` and `hi` the ring has five
    /// samples, three in the other row and one on either side, and the median is their 3rd smallest, taken
    /// with ``medianOfFive(_:_:_:_:_:)`` instead of ``ringResidual(_:x:y:channel:step:)``'s sort (the same
    /// element, so the same `Float`). The corners (three ring samples) keep the general path.
    @inlinable
    static func edgeRow<S: HotPixelSample>(_ image: ImageBuffer<S>, y: Int, step: Int, from lo: Int, to hi: Int,
                                          into output: UnsafeMutablePointer<Float>) {
        let channels = image.channels, rowLength = image.width &* channels, d = step &* channels
        for index in 0..<lo { output[index] = ringResidual(image, x: index / channels, y: y, channel: index % channels, step: step) }
        for index in hi..<rowLength { output[index] = ringResidual(image, x: index / channels, y: y, channel: index % channels, step: step) }
        let mid = image.rowPointer(y), other = image.rowPointer(y >= step ? y &- step : y &+ step)
        for index in lo..<hi {
            output[index] = mid[index].floatValue - medianOfFive(
                mid[index &- d].floatValue, mid[index &+ d].floatValue,
                other[index &- d].floatValue, other[index &+ d].floatValue, other[index].floatValue)
        }
    }

    /// The 3rd smallest of five values, with a min/max network: of the pairs (a, b) and (c, d), the larger
    /// minimum and the smaller maximum bracket the median together with `e`, whose median of three it is.
    /// It returns one of the five values, so it equals the sorted ring's middle element exactly.
    @inlinable @inline(__always)
    static func medianOfFive(_ a: Float, _ b: Float, _ c: Float, _ d: Float, _ e: Float) -> Float {
        let low = Swift.max(Swift.min(a, b), Swift.min(c, d)), high = Swift.min(Swift.max(a, b), Swift.max(c, d))
        return Swift.max(Swift.min(low, high), Swift.min(Swift.max(low, high), e))
    }

    /// The interior of an 8-bit row, 16 samples per step in byte lanes: unsigned byte minimum and maximum
    /// are single SSE2 instructions (`pminub`, `pmaxub`), so the whole selection network runs on 16 samples
    /// at a time. The result `2·centre − (4th + 5th)` is formed in 16-bit lanes (even and odd bytes: mask and
    /// shift), sign-extended to 32-bit lanes (shifts), halved and converted exactly to `Float` with the
    /// 1.5·2²² trick, and the four groups transposed back into sample order (18 operations fewer per 16
    /// samples than forming it byte by byte in 32-bit lanes; the same `Float`s). Everything here is written with operations that compile
    /// to single instructions: the standard library's generic `pointwiseMin` and SIMD conversions are not
    /// inlined into this module (measured: 20% of a scan's CPU went to calls of them).
    /// A row whose interior is not a multiple of 16 ends with one block overlapping the previous one (the
    /// overlapped samples are computed twice, identically), so no scalar tail is needed.
    @inlinable
    static func interiorUInt8(_ up: UnsafePointer<UInt8>, _ mid: UnsafePointer<UInt8>, _ down: UnsafePointer<UInt8>,
                              from lo: Int, to hi: Int, offset d: Int, into output: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<UInt8>
        @inline(__always) func load(_ p: UnsafePointer<UInt8>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        // Bit pattern of 1.5·2²², whose last mantissa bit is worth ½: adding an integer t to it gives 1.5·2²² + t/2
        // exactly (|t| ≤ 510), so subtracting 1.5·2²² leaves t/2 with no multiplication.
        let magic = SIMD4<Int32>(repeating: 0x4AC0_0000)
        @inline(__always) func block(_ index: Int) {
            let (fourth, fifth) = middlePairBytes(
                load(up + (index &- d)), load(up + index), load(up + (index &+ d)), load(mid + (index &- d)),
                load(mid + (index &+ d)), load(down + (index &- d)), load(down + index), load(down + (index &+ d)))
            typealias W = SIMD8<UInt16>
            let centre = unsafeBitCast(load(mid + index), to: W.self)
            let lower = unsafeBitCast(fourth, to: W.self), upper = unsafeBitCast(fifth, to: W.self)
            // 2·centre − 4th − 5th in 16-bit lanes (−510…510, two's complement), even samples and odd samples.
            let even = ((centre & 0xFF) &<< 1) &- (lower & 0xFF) &- (upper & 0xFF)
            let odd = ((centre &>> 8) &<< 1) &- (lower &>> 8) &- (upper &>> 8)
            // Sign-extended to 32 bits: the low word of each 32-bit lane of `even` is sample 4j, the high word
            // sample 4j + 2; of `odd`, 4j + 1 and 4j + 3.
            let evenWords = unsafeBitCast(even, to: SIMD4<Int32>.self), oddWords = unsafeBitCast(odd, to: SIMD4<Int32>.self)
            @inline(__always) func half(_ twice: SIMD4<Int32>) -> SIMD4<Float> {
                unsafeBitCast(twice &+ magic, to: SIMD4<Float>.self) - 6_291_456
            }
            let g0 = half((evenWords &<< 16) &>> 16), g1 = half((oddWords &<< 16) &>> 16)
            let g2 = half(evenWords &>> 16), g3 = half(oddWords &>> 16)
            let target = UnsafeMutableRawPointer(output + index)
            target.storeBytes(of: SIMD4(g0[0], g1[0], g2[0], g3[0]), as: SIMD4<Float>.self)
            target.storeBytes(of: SIMD4(g0[1], g1[1], g2[1], g3[1]), toByteOffset: 16, as: SIMD4<Float>.self)
            target.storeBytes(of: SIMD4(g0[2], g1[2], g2[2], g3[2]), toByteOffset: 32, as: SIMD4<Float>.self)
            target.storeBytes(of: SIMD4(g0[3], g1[3], g2[3], g3[3]), toByteOffset: 48, as: SIMD4<Float>.self)
        }
        guard hi &- lo >= 16 else {
            scalarInterior(up, mid, down, from: lo, to: hi, offset: d, into: output)
            return
        }
        var index = lo
        while index &+ 16 <= hi {
            block(index)
            index &+= 16
        }
        if index < hi { block(hi &- 16) }
    }

    /// ``middlePair(_:_:_:_:_:_:_:_:)`` on byte vectors with minimum and maximum spelled as comparisons and
    /// selects, which the compiler inlines as `pminub`/`pmaxub` (the generic `pointwiseMin` stays a call).
    @inlinable @inline(__always)
    static func middlePairBytes(_ a0: SIMD16<UInt8>, _ a1: SIMD16<UInt8>, _ a2: SIMD16<UInt8>, _ a3: SIMD16<UInt8>,
                                _ b0: SIMD16<UInt8>, _ b1: SIMD16<UInt8>, _ b2: SIMD16<UInt8>, _ b3: SIMD16<UInt8>)
        -> (SIMD16<UInt8>, SIMD16<UInt8>) {
        typealias V = SIMD16<UInt8>
        @inline(__always) func minimum(_ x: V, _ y: V) -> V { x.replacing(with: y, where: y .< x) }
        @inline(__always) func maximum(_ x: V, _ y: V) -> V { x.replacing(with: y, where: x .< y) }
        // Compare-exchanges written out (a nested `inout` helper was left as a call by the optimiser).
        var (a0, a1) = (minimum(a0, a1), maximum(a0, a1)), (a2, a3) = (minimum(a2, a3), maximum(a2, a3))
        (a0, a2) = (minimum(a0, a2), maximum(a0, a2)); (a1, a3) = (minimum(a1, a3), maximum(a1, a3))
        (a1, a2) = (minimum(a1, a2), maximum(a1, a2))
        var (b0, b1) = (minimum(b0, b1), maximum(b0, b1)), (b2, b3) = (minimum(b2, b3), maximum(b2, b3))
        (b0, b2) = (minimum(b0, b2), maximum(b0, b2)); (b1, b3) = (minimum(b1, b3), maximum(b1, b3))
        (b1, b2) = (minimum(b1, b2), maximum(b1, b2))
        let evenThird = maximum(maximum(a0, b0), minimum(a2, b2))
        let oddSecond = minimum(maximum(a1, b1), minimum(a3, b3))
        return (minimum(evenThird, oddSecond), maximum(evenThird, oddSecond))
    }

    /// The interior of a row of any sample type, 16 samples per step (the same overlapping last block).
    @inlinable
    static func interior<S: HotPixelSample>(_ up: UnsafePointer<S>, _ mid: UnsafePointer<S>, _ down: UnsafePointer<S>,
                                            from lo: Int, to hi: Int, offset d: Int, into output: UnsafeMutablePointer<Float>) {
        @inline(__always) func load(_ p: UnsafePointer<S>) -> SIMD16<S> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD16<S>.self)
        }
        @inline(__always) func block(_ index: Int) {
            let (lower, upper) = middlePair(
                load(up + (index &- d)), load(up + index), load(up + (index &+ d)), load(mid + (index &- d)),
                load(mid + (index &+ d)), load(down + (index &- d)), load(down + index), load(down + (index &+ d)))
            let centre = S.floats(load(mid + index))
            let residual = centre - 0.5 * (S.floats(lower) + S.floats(upper))
            UnsafeMutableRawPointer(output + index).storeBytes(of: residual, as: SIMD16<Float>.self)
        }
        guard hi &- lo >= 16 else {
            scalarInterior(up, mid, down, from: lo, to: hi, offset: d, into: output)
            return
        }
        var index = lo
        while index &+ 16 <= hi {
            block(index)
            index &+= 16
        }
        if index < hi { block(hi &- 16) }
    }

    /// Interior samples one at a time (rows with fewer than 16 interior samples), without allocating.
    @inlinable
    static func scalarInterior<S: HotPixelSample>(_ up: UnsafePointer<S>, _ mid: UnsafePointer<S>, _ down: UnsafePointer<S>,
                                                  from lo: Int, to hi: Int, offset d: Int,
                                                  into output: UnsafeMutablePointer<Float>) {
        var index = lo
        while index < hi {
            let (lower, upper) = middlePair(
                SIMD2(repeating: up[index &- d].floatValue), SIMD2(repeating: up[index].floatValue),
                SIMD2(repeating: up[index &+ d].floatValue), SIMD2(repeating: mid[index &- d].floatValue),
                SIMD2(repeating: mid[index &+ d].floatValue), SIMD2(repeating: down[index &- d].floatValue),
                SIMD2(repeating: down[index].floatValue), SIMD2(repeating: down[index &+ d].floatValue))
            output[index] = mid[index].floatValue - 0.5 * (lower[0] + upper[0])
            index &+= 1
        }
    }

    /// The 4th and 5th smallest of eight vectors, lane by lane, with 28 minimum/maximum operations: sort
    /// each half of four (5 compare-exchanges each, giving sorted A and B), then the middle of Batcher's
    /// odd-even merge of A and B, pruned to the two outputs needed. The merge's even half (A0, A2, B0, B2)
    /// contributes its 3rd smallest, `max(max(A0, B0), min(A2, B2))`; its odd half (A1, A3, B1, B3) its 2nd
    /// smallest, `min(max(A1, B1), min(A3, B3))`; the final compare-exchange of those two gives the 4th and
    /// 5th of all eight (8 operations instead of the 14 of the min-of-max formulas).
    @inlinable @inline(__always)
    static func middlePair<V: SIMD>(_ a0: V, _ a1: V, _ a2: V, _ a3: V, _ b0: V, _ b1: V, _ b2: V, _ b3: V)
        -> (V, V) where V.Scalar: Comparable {
        @inline(__always) func exchange(_ x: inout V, _ y: inout V) {
            let low = pointwiseMin(x, y)
            y = pointwiseMax(x, y)
            x = low
        }
        var (a0, a1, a2, a3) = (a0, a1, a2, a3)
        var (b0, b1, b2, b3) = (b0, b1, b2, b3)
        exchange(&a0, &a1); exchange(&a2, &a3); exchange(&a0, &a2); exchange(&a1, &a3); exchange(&a1, &a2)
        exchange(&b0, &b1); exchange(&b2, &b3); exchange(&b0, &b2); exchange(&b1, &b3); exchange(&b1, &b2)
        let evenThird = pointwiseMax(pointwiseMax(a0, b0), pointwiseMin(a2, b2))
        let oddSecond = pointwiseMin(pointwiseMax(a1, b1), pointwiseMin(a3, b3))
        return (pointwiseMin(evenThird, oddSecond), pointwiseMax(evenThird, oddSecond))
    }

    /// ``borderResidual(_:x:y:channel:step:)`` without allocating: the in-bounds ring (up to eight values)
    /// in a fixed buffer on the stack, insertion-sorted. Same arithmetic, so the same `Float`.
    @inlinable
    static func ringResidual<S: HotPixelSample>(_ image: ImageBuffer<S>, x: Int, y: Int, channel: Int,
                                                step: Int) -> Float {
        // A stack buffer of scalars: element writes into a SIMD8 go through memory and stall the reload.
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 8) { ring in
        var count = 0
        let channels = image.channels
        for dy in stride(from: -step, through: step, by: step) {
            let ny = y &+ dy
            guard ny >= 0, ny < image.height else { continue }
            let row = image.rowPointer(ny)
            for dx in stride(from: -step, through: step, by: step) where dx != 0 || dy != 0 {
                let nx = x &+ dx
                guard nx >= 0, nx < image.width else { continue }
                let value = row[nx &* channels &+ channel].floatValue
                var slot = count
                while slot > 0, ring[slot &- 1] > value {   // insertion sort as the values arrive
                    ring[slot] = ring[slot &- 1]
                    slot &-= 1
                }
                ring[slot] = value
                count &+= 1
            }
        }
        if count == 0 { return 0 }
        let centre = image.rowPointer(y)[x &* channels &+ channel].floatValue
        let median = count % 2 == 1 ? ring[count / 2] : 0.5 * (ring[count / 2 &- 1] + ring[count / 2])
        return centre - median
        }
    }

    /// The residual of one sample against the median of its in-bounds ring (slow path, and the reference).
    public static func borderResidual<S: HotPixelSample>(_ image: ImageBuffer<S>, x: Int, y: Int, channel: Int,
                                                         step: Int) -> Float {
        var ring: [Float] = []
        ring.reserveCapacity(8)
        for dy in [-step, 0, step] {
            for dx in [-step, 0, step] where dx != 0 || dy != 0 {
                let nx = x + dx, ny = y + dy
                if nx >= 0, nx < image.width, ny >= 0, ny < image.height {
                    ring.append(image[nx, ny, channel].floatValue)
                }
            }
        }
        let centre = image[x, y, channel].floatValue
        if ring.isEmpty { return 0 }
        ring.sort()
        let median = ring.count % 2 == 1 ? ring[ring.count / 2] : 0.5 * (ring[ring.count / 2 - 1] + ring[ring.count / 2])
        return centre - median
    }
}

