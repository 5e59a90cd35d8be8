/// How values between pixel centres are computed. Pixel centres are at integer coordinates.
public enum Interpolation: String, Sendable, CaseIterable {
    /// The pixel whose centre is nearest (fractional coordinates round half up).
    case nearest
    /// Bilinear interpolation of the four surrounding pixels (scipy's `map_coordinates(order=1)`).
    case bilinear
}

/// Reading pixel values at many points: the `sample` command's kernels.
///
/// Points are interleaved `x, y` pairs in one buffer, as an N×2 NPY stores them, so a memory-mapped
/// points file is used in place. Output is N×C, row-major, in point order. Every point is checked first,
/// so an error names the first bad point and nothing partial is returned.
public enum Gather {
    /// Nearest-pixel values at integer points: `out[i*C + c] = image[x_i, y_i, c]`.
    @inlinable public static func nearest<S: PixelSample, Coordinate: BinaryInteger & Sendable>(
        _ image: Image<S>, points: UnsafeBufferPointer<Coordinate>, into output: UnsafeMutableBufferPointer<S>
    ) throws {
        let count = points.count / 2
        precondition(output.count >= count * image.channels, "output too small")
        try validate(points: points, width: image.width, height: image.height) { Double($0) }
        let out = SendablePointer(output.baseAddress)
        let input = SendableConstPointer(points.baseAddress)
        image.withUnsafeBuffer { buffer in
            let channels = buffer.channels
            Parallel.forEachChunk(count: count, minimumChunk: 16_384) { range in
                let points = input.pointer!, out = out.pointer!
                switch channels {
                case 1:
                    for i in range {
                        out[i] = buffer.base[Int(truncatingIfNeeded: points[2 &* i &+ 1]) &* buffer.rowStride
                                             &+ Int(truncatingIfNeeded: points[2 &* i])]
                    }
                case 3:
                    for i in range {
                        let p = buffer.base + (Int(truncatingIfNeeded: points[2 &* i &+ 1]) &* buffer.rowStride
                                               &+ Int(truncatingIfNeeded: points[2 &* i]) &* 3)
                        out[3 &* i] = p[0]; out[3 &* i &+ 1] = p[1]; out[3 &* i &+ 2] = p[2]
                    }
                default:
                    for i in range {
                        let p = buffer.base + (Int(truncatingIfNeeded: points[2 &* i &+ 1]) &* buffer.rowStride
                                               &+ Int(truncatingIfNeeded: points[2 &* i]) &* channels)
                        for c in 0..<channels { out[channels &* i &+ c] = p[c] }
                    }
                }
            }
        }
    }

    /// Nearest-pixel values at fractional points (each coordinate rounds half up to a pixel centre).
    @inlinable public static func nearest<S: PixelSample, Coordinate: BinaryFloatingPoint & Sendable>(
        _ image: Image<S>, points: UnsafeBufferPointer<Coordinate>, into output: UnsafeMutableBufferPointer<S>
    ) throws {
        let count = points.count / 2
        precondition(output.count >= count * image.channels, "output too small")
        var rounded = [Int](repeating: 0, count: points.count)
        try rounded.withUnsafeMutableBufferPointer { target in
            let target = SendablePointer(target.baseAddress), input = SendableConstPointer(points.baseAddress)
            for i in 0..<points.count where !Double(points[i]).isFinite {
                throw SamplingError.pointNotFinite(index: i / 2)
            }
            Parallel.forEachChunk(count: points.count, minimumChunk: 65_536) { range in
                for i in range {
                    let value = (Double(input.pointer![i]) + 0.5).rounded(.down)
                    target.pointer![i] = value.magnitude < 9e18 ? Int(value) : Int.min
                }
            }
        }
        do {
            try rounded.withUnsafeBufferPointer { try nearest(image, points: $0, into: output) }
        } catch SamplingError.pointOutside(let index, _, _, let width, let height) {
            throw SamplingError.pointOutside(index: index, x: Double(points[2 * index]),
                                             y: Double(points[2 * index + 1]), width: width, height: height)
        }
    }

    /// Bilinear values at fractional points, as float64: the weighted mean of the four pixels around
    /// (x, y) with weights (1−fx)(1−fy), fx(1−fy), (1−fx)fy, fx·fy. Points must lie within
    /// `0...width-1` × `0...height-1`.
    @inlinable public static func bilinear<S: PixelSample, Coordinate: BinaryFloatingPoint & Sendable>(
        _ image: Image<S>, points: UnsafeBufferPointer<Coordinate>, into output: UnsafeMutableBufferPointer<Double>
    ) throws {
        let count = points.count / 2
        precondition(output.count >= count * image.channels, "output too small")
        try validate(points: points, width: image.width, height: image.height) { Double($0) }
        let out = SendablePointer(output.baseAddress)
        let input = SendableConstPointer(points.baseAddress)
        image.withUnsafeBuffer { buffer in
            let channels = buffer.channels, maxX = buffer.width - 1, maxY = buffer.height - 1
            Parallel.forEachChunk(count: count, minimumChunk: 8_192) { range in
                let points = input.pointer!, out = out.pointer!
                for i in range {
                    let x = Double(points[2 &* i]), y = Double(points[2 &* i &+ 1])
                    let x0 = Swift.min(Int(x), maxX), y0 = Swift.min(Int(y), maxY)
                    let fx = x - Double(x0), fy = y - Double(y0)
                    let x1 = Swift.min(x0 &+ 1, maxX), y1 = Swift.min(y0 &+ 1, maxY)
                    let row0 = buffer.rowPointer(y0), row1 = buffer.rowPointer(y1)
                    for c in 0..<channels {
                        let a = row0[x0 &* channels &+ c].doubleValue, b = row0[x1 &* channels &+ c].doubleValue
                        let d = row1[x0 &* channels &+ c].doubleValue, e = row1[x1 &* channels &+ c].doubleValue
                        let top = a * (1 - fx) + b * fx
                        let bottom = d * (1 - fx) + e * fx
                        out[channels &* i &+ c] = top * (1 - fy) + bottom * fy
                    }
                }
            }
        }
    }

    /// Checks every point in parallel and throws for the first (lowest index) that is outside.
    @inlinable static func validate<Coordinate: Sendable>(
        points: UnsafeBufferPointer<Coordinate>, width: Int, height: Int,
        _ toDouble: @escaping @Sendable (Coordinate) -> Double
    ) throws {
        let count = points.count / 2
        let input = SendableConstPointer(points.baseAddress)
        let maxX = Double(width - 1), maxY = Double(height - 1)
        let firstBad = Parallel.mapChunks(count: count, minimumChunk: 65_536) { range -> Int? in
            let p = input.pointer!
            for i in range {
                let x = toDouble(p[2 &* i]), y = toDouble(p[2 &* i &+ 1])
                // Written so that NaN fails too.
                if !(x >= 0 && x <= maxX && y >= 0 && y <= maxY) { return i }
            }
            return nil
        }.lazy.compactMap { $0 }.first
        if let index = firstBad {
            let x = toDouble(points[2 * index]), y = toDouble(points[2 * index + 1])
            if !x.isFinite || !y.isFinite { throw SamplingError.pointNotFinite(index: index) }
            throw SamplingError.pointOutside(index: index, x: x, y: y, width: width, height: height)
        }
    }
}
