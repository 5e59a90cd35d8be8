/// Exact Euclidean distance transform (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled
/// Functions", 2012): a column pass finds each pixel's vertical distance to the nearest region pixel in its
/// column, then a row pass takes the lower envelope of the parabolas (x − q)² + g(q)². Linear time.
///
/// The column pass is kept (2 bytes a pixel for images under 65535 rows) and the row pass runs a row at a
/// time on demand, so the distances of a 15000×15000 image are never stored as floating point.
public struct DistanceTransform: Sendable {
    public let width: Int
    public let height: Int
    @usableFromInline enum Columns: Sendable {
        case narrow([UInt16])
        case wide([UInt32])
    }
    @usableFromInline let columns: Columns

    /// The distance transform of `mask`: a pixel belongs to a region when any of its channels is nonzero.
    /// Throws ``BlurError/noRegionPixel(source:)`` when no pixel is nonzero, ``BlurError/emptyImage(source:)``
    /// for an empty mask.
    // Inlinable, with its column pass, so that the caller's mask type is specialised: reached from the CLI as a
    // generic, the pass ran unspecialised (every sample compare and counter step through a witness table,
    // ~40% of a 15000² `--distance-from` box blur's CPU).
    @inlinable
    public init<S: PixelSample>(mask: Image<S>, sourceName: String = "mask") throws(BlurError) {
        guard !mask.isEmpty else { throw .emptyImage(source: sourceName) }
        width = mask.width
        height = mask.height
        if mask.height < Int(UInt16.max) {
            columns = .narrow(Self.columnPass(mask, as: UInt16.self))
        } else {
            columns = .wide(Self.columnPass(mask, as: UInt32.self))
        }
        let found: Bool
        switch columns {
        case .narrow(let g): found = Self.hasRegion(g, width: width, height: height)
        case .wide(let g): found = Self.hasRegion(g, width: width, height: height)
        }
        guard found else { throw .noRegionPixel(source: sourceName) }
    }

    /// Memory the transform of a `width` × `height` mask holds: its column pass (see ``init(mask:sourceName:)``).
    public static func memoryNeed(width: Int, height: Int) -> MemoryNeed {
        MemoryNeed(count: width, size: height) * (height < Int(UInt16.max) ? 2 : 4)
    }

    /// A column with a region pixel has distance 0 somewhere, so the last row is finite in every such column.
    @inlinable
    static func hasRegion<G: FixedWidthInteger & UnsignedInteger>(_ g: [G], width: Int, height: Int) -> Bool {
        let last = (height - 1) * width
        return (0..<width).contains { g[last + $0] != G.max }
    }

    /// Vertical distance from each pixel to the nearest region pixel in its column; `G.max` means none.
    @inlinable
    static func columnPass<S: PixelSample, G: FixedWidthInteger & UnsignedInteger & Sendable>(_ mask: Image<S>, as: G.Type) -> [G] {
        let width = mask.width, height = mask.height, channels = mask.channels
        let infinity = G.max
        var g = [G](repeating: infinity, count: width * height)
        g.withUnsafeMutableBufferPointer { out in
            let target = SendablePointer(out.baseAddress!)
            mask.withUnsafeBuffer { source in
                Parallel.forEachChunk(count: width, minimumChunk: 64) { columns in
                    let g = target.pointer!
                    for y in 0..<height {
                        let row = source.rowPointer(y)
                        let current = g + y * width
                        for x in columns {
                            var inside = false
                            for c in 0..<channels where row[x * channels + c] != 0 { inside = true }
                            if inside {
                                current[x] = 0
                            } else if y > 0, current[x - width] != infinity {
                                current[x] = current[x - width] &+ 1
                            }
                        }
                    }
                    if height > 1 {
                        for y in stride(from: height - 2, through: 0, by: -1) {
                            let current = g + y * width
                            for x in columns where current[x + width] != infinity && current[x + width] &+ 1 < current[x] {
                                current[x] = current[x + width] &+ 1
                            }
                        }
                    }
                }
            }
        }
        return g
    }

    /// Squared Euclidean distances of row `y` to the nearest region pixel, exact integers held in `Double`.
    /// `scratch` needs room for `2 * width + 1` values (`vertices` and boundaries of the lower envelope).
    public func squaredDistances(row y: Int, into output: UnsafeMutablePointer<Double>) {
        switch columns {
        case .narrow(let g): g.withUnsafeBufferPointer { envelope($0.baseAddress! + y * width, into: output) }
        case .wide(let g): g.withUnsafeBufferPointer { envelope($0.baseAddress! + y * width, into: output) }
        }
    }

    /// The 1-D lower envelope of parabolas (x − q)² + f(q), f(q) = g(q)², skipping columns without regions.
    func envelope<G: FixedWidthInteger & UnsignedInteger>(_ g: UnsafePointer<G>, into output: UnsafeMutablePointer<Double>) {
        let n = width
        let vertices = UnsafeMutablePointer<Int>.allocate(capacity: n)
        let boundaries = UnsafeMutablePointer<Double>.allocate(capacity: n + 1)
        defer { vertices.deallocate(); boundaries.deallocate() }
        @inline(__always) func f(_ q: Int) -> Double { let d = Double(g[q]); return d * d }
        var k = -1
        for q in 0..<n where g[q] != G.max {
            let fq = f(q) + Double(q * q)
            if k < 0 {
                k = 0
                vertices[0] = q
                boundaries[0] = -.infinity
                boundaries[1] = .infinity
                continue
            }
            var s = 0.0
            while true {
                let v = vertices[k]
                // Intersection of the parabolas rooted at v and q (all terms are exact integers below 2^53).
                s = (fq - (f(v) + Double(v * v))) / Double(2 * (q - v))
                if s <= boundaries[k], k > 0 { k -= 1 } else { break }
            }
            if s <= boundaries[k] {  // k == 0 and q's parabola is below everywhere: replace.
                vertices[0] = q
                boundaries[0] = -.infinity
            } else {
                k += 1
                vertices[k] = q
                boundaries[k] = s
            }
            boundaries[k + 1] = .infinity
        }
        precondition(k >= 0, "distance transform row without any region column")
        var j = 0
        for x in 0..<n {
            while boundaries[j + 1] < Double(x) { j += 1 }
            let dx = Double(x - vertices[j])
            output[x] = dx * dx + f(vertices[j])
        }
    }

    /// Every squared distance as an image (tests and small images).
    public func squaredDistanceImage() -> Image<Double> {
        var result = Image<Double>(uninitializedWidth: width, height: height, channels: 1)
        result.withUnsafeMutableBuffer { target in
            for y in 0..<height { squaredDistances(row: y, into: target.rowPointer(y)) }
        }
        return result
    }
}

/// Radius from the distance to the nearest region pixel: `min(perPixel × distance, maximum)`
/// (`--distance-from MASK --per-pixel S --max-radius M`).
public struct DistanceRadius: RadiusField {
    /// Distances to the regions.
    public let transform: DistanceTransform
    /// Radius per pixel of distance.
    public let perPixel: Double
    /// The largest radius.
    public let maximum: Double
    public let sourceName: String
    public var width: Int { transform.width }
    public var height: Int { transform.height }

    /// `perPixel` must be finite and ≥ 0; `maximum` ≥ 0 (infinite means no cap).
    public init(_ transform: DistanceTransform, perPixel: Double, maximum: Double = .infinity,
                sourceName: String = "mask") throws(BlurError) {
        guard perPixel >= 0, perPixel.isFinite else {
            throw .invalidParameter(name: "--per-pixel", value: perPixel, requirement: "must be finite and ≥ 0")
        }
        guard maximum >= 0 else {
            throw .invalidParameter(name: "--max-radius", value: maximum, requirement: "must be ≥ 0")
        }
        self.transform = transform
        self.perPixel = perPixel
        self.maximum = maximum
        self.sourceName = sourceName
    }

    public func loadRow(_ y: Int, into radii: UnsafeMutablePointer<Double>) {
        transform.squaredDistances(row: y, into: radii)
        // A huge ratio (1e308) times a distance overflows to +inf, which the kernels refuse as a radius; any
        // finite radius past the image's size is clamped by them to the whole image, so the largest finite
        // one stands in for the overflow (a zero distance stays 0).
        for x in 0..<width {
            radii[x] = Swift.min(perPixel * radii[x].squareRoot(), maximum, .greatestFiniteMagnitude)
        }
    }
}
