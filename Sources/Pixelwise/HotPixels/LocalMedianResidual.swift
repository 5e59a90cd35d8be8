/// A sample type the hot-pixel kernels run on with SIMD: all four ``PixelSample`` types.
public protocol HotPixelSample: PixelSample, SIMDScalar, Codable {
    /// Lane-wise conversion to `Float` (exact for 8- and 16-bit integers).
    static func floats(_ vector: SIMD16<Self>) -> SIMD16<Float>
    /// The sample as `Float`.
    var floatValue: Float { get }
}

extension UInt8: HotPixelSample {
    @inlinable public static func floats(_ vector: SIMD16<UInt8>) -> SIMD16<Float> {
        SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: vector))
    }
    @inlinable public var floatValue: Float { Float(self) }
}

extension UInt16: HotPixelSample {
    @inlinable public static func floats(_ vector: SIMD16<UInt16>) -> SIMD16<Float> {
        SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: vector))
    }
    @inlinable public var floatValue: Float { Float(self) }
}

extension Float: HotPixelSample {
    @inlinable public static func floats(_ vector: SIMD16<Float>) -> SIMD16<Float> { vector }
    @inlinable public var floatValue: Float { self }
}

extension Double: HotPixelSample {
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
        guard interiorRow, hi > lo else {
            for index in 0..<rowLength {
                output[index] = borderResidual(image, x: index / channels, y: y, channel: index % channels, step: step)
            }
            return
        }
        for index in 0..<lo { output[index] = borderResidual(image, x: index / channels, y: y, channel: index % channels, step: step) }
        for index in hi..<rowLength { output[index] = borderResidual(image, x: index / channels, y: y, channel: index % channels, step: step) }

        let d = step &* channels
        let up = image.rowPointer(y - step), mid = image.rowPointer(y), down = image.rowPointer(y + step)
        var index = lo
        if S.self == UInt8.self {
            index = interiorUInt8(UnsafeRawPointer(up).assumingMemoryBound(to: UInt8.self),
                                  UnsafeRawPointer(mid).assumingMemoryBound(to: UInt8.self),
                                  UnsafeRawPointer(down).assumingMemoryBound(to: UInt8.self),
                                  from: lo, to: hi, offset: d, into: output)
        }
        while index &+ 16 <= hi {
            @inline(__always) func load(_ p: UnsafePointer<S>) -> SIMD16<S> {
                UnsafeRawPointer(p).loadUnaligned(as: SIMD16<S>.self)
            }
            let (lower, upper) = middlePair(
                load(up + (index - d)), load(up + index), load(up + (index + d)), load(mid + (index - d)),
                load(mid + (index + d)), load(down + (index - d)), load(down + index), load(down + (index + d)))
            let centre = S.floats(load(mid + index))
            let residual = centre - 0.5 * (S.floats(lower) + S.floats(upper))
            UnsafeMutableRawPointer(output + index).storeBytes(of: residual, as: SIMD16<Float>.self)
            index &+= 16
        }
        while index < hi {
            var ring: [Float] = [up[index - d].floatValue, up[index].floatValue, up[index + d].floatValue,
                                 mid[index - d].floatValue, mid[index + d].floatValue, down[index - d].floatValue,
                                 down[index].floatValue, down[index + d].floatValue]
            ring.sort()
            let median = 0.5 * (ring[3] + ring[4])
            output[index] = mid[index].floatValue - median
            index &+= 1
        }
    }

    /// The interior of an 8-bit row, 16 samples at a time, in 16-bit lanes where min and max are plain
    /// vector arithmetic (`d = a − b`, `m = d >> 15`, `min = b + (d & m)`): the standard library's
    /// `pointwiseMin` on integer vectors is a lane-by-lane loop. Returns where it stopped.
    @inlinable
    static func interiorUInt8(_ up: UnsafePointer<UInt8>, _ mid: UnsafePointer<UInt8>, _ down: UnsafePointer<UInt8>,
                              from lo: Int, to hi: Int, offset d: Int, into output: UnsafeMutablePointer<Float>) -> Int {
        typealias V = SIMD8<Int16>
        // 16 bytes load as eight 16-bit words; the even bytes are `word & 0xFF`, the odd ones `word >> 8`:
        // widening with plain vector arithmetic (the generic SIMD conversions are lane loops).
        @inline(__always) func load(_ p: UnsafePointer<UInt8>) -> (V, V) {
            let words = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt16>.self)
            return (unsafeBitCast(words & 0x00FF, to: V.self), unsafeBitCast(words &>> 8, to: V.self))
        }
        @inline(__always) func exchange(_ x: inout V, _ y: inout V) {
            let difference = x &- y
            let masked = difference & (difference &>> 15)   // x − y where x < y, else 0
            let low = y &+ masked
            y = x &- masked
            x = low
        }
        @inline(__always) func minimum(_ x: V, _ y: V) -> V {
            let difference = x &- y
            return y &+ (difference & (difference &>> 15))
        }
        @inline(__always) func maximum(_ x: V, _ y: V) -> V {
            let difference = x &- y
            return x &- (difference & (difference &>> 15))
        }
        /// 2·centre − (4th + 5th) of the ring, exact in 16 bits.
        @inline(__always) func twiceResidual(_ centre: V, _ ring: (V, V, V, V, V, V, V, V)) -> V {
            var (a0, a1, a2, a3, b0, b1, b2, b3) = ring
            exchange(&a0, &a1); exchange(&a2, &a3); exchange(&a0, &a2); exchange(&a1, &a3); exchange(&a1, &a2)
            exchange(&b0, &b1); exchange(&b2, &b3); exchange(&b0, &b2); exchange(&b1, &b3); exchange(&b1, &b2)
            let fourth = minimum(minimum(a3, b3), minimum(maximum(a0, b2), minimum(maximum(a1, b1), maximum(a2, b0))))
            let fifth = minimum(minimum(maximum(a0, b3), maximum(a1, b2)), minimum(maximum(a2, b1), maximum(a3, b0)))
            return (centre &<< 1) &- (fourth &+ fifth)
        }
        var index = lo
        while index &+ 16 <= hi {
            let n0 = load(up + (index - d)), n1 = load(up + index), n2 = load(up + (index + d)), n3 = load(mid + (index - d))
            let n4 = load(mid + (index + d)), n5 = load(down + (index - d)), n6 = load(down + index), n7 = load(down + (index + d))
            let centre = load(mid + index)
            let even = twiceResidual(centre.0, (n0.0, n1.0, n2.0, n3.0, n4.0, n5.0, n6.0, n7.0))
            let odd = twiceResidual(centre.1, (n0.1, n1.1, n2.1, n3.1, n4.1, n5.1, n6.1, n7.1))
            let target = output + index
            for lane in 0..<8 {
                target[2 &* lane] = Float(even[lane]) * 0.5
                target[2 &* lane &+ 1] = Float(odd[lane]) * 0.5
            }
            index &+= 16
        }
        return index
    }

    /// The 4th and 5th smallest of eight vectors, lane by lane: sort each half of four (5 compare-exchanges
    /// each), then the order statistics of the union of two sorted lists A and B of four:
    /// 4th = min(A4, B4, max(A1,B3), max(A2,B2), max(A3,B1)), 5th = min(max(A1,B4), max(A2,B3), max(A3,B2), max(A4,B1)).
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
        let fourth = pointwiseMin(pointwiseMin(a3, b3),
                                 pointwiseMin(pointwiseMax(a0, b2), pointwiseMin(pointwiseMax(a1, b1), pointwiseMax(a2, b0))))
        let fifth = pointwiseMin(pointwiseMin(pointwiseMax(a0, b3), pointwiseMax(a1, b2)),
                                pointwiseMin(pointwiseMax(a2, b1), pointwiseMax(a3, b0)))
        return (fourth, fifth)
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

