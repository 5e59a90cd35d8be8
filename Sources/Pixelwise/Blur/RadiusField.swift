/// Where a variable blur takes its per-pixel radius (box) or σ (Gaussian) from: one value per pixel,
/// produced a row at a time so that a 15000×15000 map never has to exist as `Double`s.
public protocol RadiusField: Sendable {
    /// Columns; must equal the image's width.
    var width: Int { get }
    /// Rows; must equal the image's height.
    var height: Int { get }
    /// Names the source in error messages (a file path in the CLI).
    var sourceName: String { get }
    /// Writes the `width` radii of row `y` to `radii`. Values are checked by ``validatedRowMaxima()``.
    func loadRow(_ y: Int, into radii: UnsafeMutablePointer<Double>)
    /// True when every radius is a whole number from 0 to 65535 whatever the values (uint8 and uint16 maps, a
    /// whole `--radius`), so that ``loadIntegerRow(_:into:)`` may be used: the box mean then takes its
    /// streaming path (``VariableBlur``). Defaults to false.
    var hasSmallIntegerRadii: Bool { get }
    /// Writes the `width` radii of row `y` as integers; only called when ``hasSmallIntegerRadii`` is true.
    func loadIntegerRow(_ y: Int, into radii: UnsafeMutablePointer<UInt16>)
    /// Writes the radii of columns `columns` of row `y` as integers (`radii[0]` is column `columns.lowerBound`);
    /// only called when ``hasSmallIntegerRadii`` is true. The streaming box mean works on column stripes and
    /// reads only its stripe. The default loads the whole row and copies the part asked for.
    func loadIntegerRow(_ y: Int, columns: Range<Int>, into radii: UnsafeMutablePointer<UInt16>)
}

extension RadiusField {
    @inlinable public var hasSmallIntegerRadii: Bool { false }
    @inlinable public func loadIntegerRow(_ y: Int, into radii: UnsafeMutablePointer<UInt16>) {
        preconditionFailure("\(Self.self) has no integer radii")
    }
    @inlinable public func loadIntegerRow(_ y: Int, columns: Range<Int>, into radii: UnsafeMutablePointer<UInt16>) {
        let row = UnsafeMutablePointer<UInt16>.allocate(capacity: Swift.max(width, 1))
        defer { row.deallocate() }
        loadIntegerRow(y, into: row)
        radii.update(from: row + columns.lowerBound, count: columns.count)
    }

    /// The largest radius of every row, after checking that every radius is finite and ≥ 0.
    /// Runs on every core; throws ``BlurError/invalidRadius(source:x:y:value:)`` for the first bad value found.
    @inlinable public func validatedRowMaxima() throws(BlurError) -> [Double] {
        let width = self.width
        let partials = Parallel.mapChunks(count: height, minimumChunk: 16) { rows -> (maxima: [Double], bad: (Int, Int, Double)?) in
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(width, 1))
            defer { buffer.deallocate() }
            var maxima = [Double]()
            maxima.reserveCapacity(rows.count)
            for y in rows {
                loadRow(y, into: buffer)
                var largest = 0.0
                var valid = true
                for x in 0..<width {
                    let r = buffer[x]
                    // One comparison rejects NaN (fails >=), negatives and +inf.
                    if !(r >= 0 && r < .infinity) { valid = false; break }
                    largest = Swift.max(largest, r)
                }
                if !valid {
                    let x = (0..<width).first { !(buffer[$0] >= 0 && buffer[$0] < .infinity) }!
                    return (maxima, (x, y, buffer[x]))
                }
                maxima.append(largest)
            }
            return (maxima, nil)
        }
        var maxima = [Double]()
        maxima.reserveCapacity(height)
        for part in partials {
            if let (x, y, value) = part.bad { throw .invalidRadius(source: sourceName, x: x, y: y, value: value) }
            maxima += part.maxima
        }
        return maxima
    }

    /// The largest radius of every row of a field with ``hasSmallIntegerRadii`` (always valid: no check needed),
    /// on every core.
    @inlinable public func integerRowMaxima() -> [Double] {
        let width = self.width
        return Parallel.mapChunks(count: height, minimumChunk: 16) { rows -> [Double] in
            let buffer = UnsafeMutablePointer<UInt16>.allocate(capacity: Swift.max(width, 1))
            defer { buffer.deallocate() }
            return rows.map { y in
                loadIntegerRow(y, into: buffer)
                var largest: UInt16 = 0
                for x in 0..<width { largest = Swift.max(largest, buffer[x]) }
                return Double(largest)
            }
        }.flatMap { $0 }
    }

    /// The whole field as an image (for `--save-radius-map`), in `Float` or `Double`.
    @inlinable public func image<Out: BinaryFloatingPoint & PixelSample>(as type: Out.Type = Double.self) -> Image<Out> {
        var result = Image<Out>(uninitializedWidth: width, height: height, channels: 1)
        let width = self.width
        result.withUnsafeMutableBuffer { target in
            Parallel.forEachChunk(count: height, minimumChunk: 16) { rows in
                let buffer = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(width, 1))
                defer { buffer.deallocate() }
                for y in rows {
                    loadRow(y, into: buffer)
                    let row = target.rowPointer(y)
                    for x in 0..<width { row[x] = Out(buffer[x]) }
                }
            }
        }
        return result
    }

    /// Checks that the field covers an image of the given size.
    @inlinable public func checkSize(imageWidth: Int, imageHeight: Int) throws(BlurError) {
        guard width == imageWidth, height == imageHeight else {
            throw .sizeMismatch(source: sourceName, width: width, height: height, imageWidth: imageWidth, imageHeight: imageHeight)
        }
    }
}

/// The same radius everywhere (`--radius R`).
public struct UniformRadius: RadiusField {
    public let width: Int
    public let height: Int
    public let radius: Double
    public var sourceName: String { "--radius" }

    /// The same `radius` for every pixel of a `width`×`height` image.
    public init(width: Int, height: Int, radius: Double) {
        self.width = width
        self.height = height
        self.radius = radius
    }

    @inlinable public func loadRow(_ y: Int, into radii: UnsafeMutablePointer<Double>) {
        radii.update(repeating: radius, count: width)
    }

    @inlinable public var hasSmallIntegerRadii: Bool { radius == radius.rounded(.down) && radius >= 0 && radius <= 65535 }

    @inlinable public func loadIntegerRow(_ y: Int, into radii: UnsafeMutablePointer<UInt16>) {
        radii.update(repeating: UInt16(radius), count: width)
    }

    @inlinable public func loadIntegerRow(_ y: Int, columns: Range<Int>, into radii: UnsafeMutablePointer<UInt16>) {
        radii.update(repeating: UInt16(radius), count: columns.count)
    }
}

/// A radius per pixel read from a one-channel image of any sample type (`--radius-map`).
public struct RadiusMap<Sample: PixelSample>: RadiusField {
    /// The one-channel map: each value is its pixel's radius (or σ).
    public let map: Image<Sample>
    public let sourceName: String
    public var width: Int { map.width }
    public var height: Int { map.height }

    /// Throws ``BlurError/notOneChannel(source:channels:)`` unless the map has one channel.
    public init(_ map: Image<Sample>, sourceName: String = "radius map") throws(BlurError) {
        guard map.channels == 1 else { throw .notOneChannel(source: sourceName, channels: map.channels) }
        self.map = map
        self.sourceName = sourceName
    }

    @inlinable public func loadRow(_ y: Int, into radii: UnsafeMutablePointer<Double>) {
        map.withUnsafeBuffer { buffer in
            let row = buffer.rowPointer(y)
            for x in 0..<buffer.width { radii[x] = row[x].doubleValue }
        }
    }

    @inlinable public var hasSmallIntegerRadii: Bool { Sample.self == UInt8.self || Sample.self == UInt16.self }

    @inlinable public func loadIntegerRow(_ y: Int, into radii: UnsafeMutablePointer<UInt16>) {
        loadIntegerRow(y, columns: 0..<width, into: radii)
    }

    @inlinable public func loadIntegerRow(_ y: Int, columns: Range<Int>, into radii: UnsafeMutablePointer<UInt16>) {
        map.withUnsafeBuffer { buffer in
            let row = UnsafeRawPointer(buffer.rowPointer(y) + columns.lowerBound)
            if Sample.self == UInt8.self {
                let bytes = row.assumingMemoryBound(to: UInt8.self)
                for x in 0..<columns.count { radii[x] = UInt16(bytes[x]) }
            } else {
                precondition(Sample.self == UInt16.self, "\(Sample.self) radii are not integers")
                radii.update(from: row.assumingMemoryBound(to: UInt16.self), count: columns.count)
            }
        }
    }
}
