/// A 2-D image of interleaved samples: `channels` samples per pixel, rows `rowStride` samples apart.
///
/// `x` is the column and `y` the row, origin top-left, everywhere. An `Image` is a value: a region view
/// (``region(x:y:width:height:)``) shares memory with its parent without copying, and the first mutation
/// of a shared image copies just its own pixels (copy on write).
///
/// Kernels read and write through ``withUnsafeBuffer(_:)`` and ``withUnsafeMutableBuffer(_:)``, whose
/// buffers are `Sendable` so that ``Parallel`` can hand rows to every core.
public struct Image<Sample: PixelSample>: Sendable {
    @usableFromInline var storage: PixelStorage<Sample>
    /// Offset, in samples, of pixel (0, 0) from the start of `storage`.
    @usableFromInline var origin: Int
    /// Number of columns.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// Samples per pixel, 1 to 4 (gray, gray+alpha, RGB, RGBA).
    public let channels: Int
    /// Samples from the start of one row to the start of the next (≥ `width * channels`).
    public let rowStride: Int

    /// The largest channel count an image may have.
    public static var maximumChannels: Int { 4 }

    /// A new image of the given size with every sample set to `value`.
    public init(width: Int, height: Int, channels: Int = 1, repeating value: Sample = 0) {
        self.init(uninitializedWidth: width, height: height, channels: channels)
        storage.base.initialize(repeating: value, count: width * height * channels)
    }

    /// A new image whose samples are not initialised: for kernels that write every sample.
    public init(uninitializedWidth width: Int, height: Int, channels: Int = 1) {
        precondition(width >= 0 && height >= 0, "image size must not be negative")
        precondition((1...Self.maximumChannels).contains(channels), "channels must be 1...4")
        let (count, overflow) = width.multipliedReportingOverflow(by: height * channels)
        precondition(!overflow, "image too large")
        self.init(storage: PixelStorage(count: count), origin: 0,
                  width: width, height: height, channels: channels, rowStride: width * channels)
    }

    /// A new image from row-major interleaved samples (`samples.count == width * height * channels`).
    public init(width: Int, height: Int, channels: Int = 1, samples: [Sample]) {
        precondition(samples.count == width * height * channels, "sample count does not match the size")
        self.init(uninitializedWidth: width, height: height, channels: channels)
        samples.withUnsafeBufferPointer { source in
            if let from = source.baseAddress { storage.base.initialize(from: from, count: source.count) }
        }
    }

    /// An image over existing storage (used by decoders that fill or map memory themselves).
    public init(storage: PixelStorage<Sample>, origin: Int = 0, width: Int, height: Int, channels: Int,
                rowStride: Int? = nil) {
        let stride = rowStride ?? width * channels
        precondition(stride >= width * channels, "row stride shorter than a row")
        precondition(height == 0 || width == 0 || origin + (height - 1) * stride + width * channels <= storage.count,
                     "image does not fit its storage")
        self.storage = storage
        self.origin = origin
        self.width = width
        self.height = height
        self.channels = channels
        self.rowStride = stride
    }

    /// The memory behind the image, for a decoder that fills a new frame into the memory of a frame its
    /// caller no longer needs (a scan decoding frame after frame: no new allocation, no page faults).
    /// Writing through it changes every image that shares it, so hand it only for an image nothing else reads.
    public var storageForReuse: PixelStorage<Sample> { storage }

    /// Number of pixels, `width * height`.
    @inlinable public var pixelCount: Int { width * height }
    /// Number of samples, `width * height * channels`.
    @inlinable public var sampleCount: Int { width * height * channels }
    /// True when rows follow each other with no gap, so the samples form one run of memory.
    @inlinable public var isContiguous: Bool { rowStride == width * channels || height <= 1 }
    /// True when the image has no pixel.
    @inlinable public var isEmpty: Bool { width == 0 || height == 0 }

    /// The sample at column `x`, row `y`, channel `channel`. Traps when out of range.
    @inlinable public subscript(x: Int, y: Int, channel: Int = 0) -> Sample {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height && channel >= 0 && channel < channels,
                         "pixel (\(x), \(y)) channel \(channel) outside the \(width)×\(height)×\(channels) image")
            return storage.base[origin + y * rowStride + x * channels + channel]
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height && channel >= 0 && channel < channels,
                         "pixel (\(x), \(y)) channel \(channel) outside the \(width)×\(height)×\(channels) image")
            makeUnique()
            storage.base[origin + y * rowStride + x * channels + channel] = newValue
        }
    }

    /// All channels of the pixel at (`x`, `y`).
    public func pixel(x: Int, y: Int) -> [Sample] {
        (0..<channels).map { self[x, y, $0] }
    }

    /// A view of the rectangle with top-left corner (`x`, `y`): no pixel is copied.
    public func region(x: Int, y: Int, width: Int, height: Int) -> Image {
        precondition(x >= 0 && y >= 0 && width >= 0 && height >= 0 && x + width <= self.width
                     && y + height <= self.height, "region outside the image")
        return Image(storage: storage, origin: origin + y * rowStride + x * channels,
                     width: width, height: height, channels: channels, rowStride: rowStride)
    }

    /// The samples in row-major order, one array (tests and small images).
    public var samples: [Sample] {
        var result = [Sample]()
        result.reserveCapacity(sampleCount)
        withUnsafeBuffer { buffer in
            for y in 0..<height { result.append(contentsOf: buffer.row(y)) }
        }
        return result
    }

    /// A copy with its own contiguous storage.
    public func compacted() -> Image {
        var copy = Image(uninitializedWidth: width, height: height, channels: channels)
        let rowLength = width * channels
        withUnsafeBuffer { source in
            copy.withUnsafeMutableBuffer { target in
                for y in 0..<height {
                    target.rowPointer(y).update(from: source.rowPointer(y), count: rowLength)
                }
            }
        }
        return copy
    }

    /// Calls `body` with read-only access to the samples.
    @inlinable public func withUnsafeBuffer<R>(_ body: (ImageBuffer<Sample>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) {
            try body(ImageBuffer(base: UnsafePointer(storage.base + origin), width: width, height: height,
                                 channels: channels, rowStride: rowStride))
        }
    }

    /// Calls `body` with write access to the samples, copying them first if they are shared.
    @inlinable public mutating func withUnsafeMutableBuffer<R>(_ body: (MutableImageBuffer<Sample>) throws -> R) rethrows -> R {
        makeUnique()
        return try withExtendedLifetime(storage) {
            try body(MutableImageBuffer(base: storage.base + origin, width: width, height: height,
                                        channels: channels, rowStride: rowStride))
        }
    }

    @inlinable mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) || !storage.isWritable { self = compacted() }
    }
}

extension Image: Equatable {
    /// Two images are equal when they have the same size, channels and samples (strides may differ).
    public static func == (lhs: Image, rhs: Image) -> Bool {
        guard lhs.width == rhs.width, lhs.height == rhs.height, lhs.channels == rhs.channels else { return false }
        return lhs.withUnsafeBuffer { a in
            rhs.withUnsafeBuffer { b in
                (0..<lhs.height).allSatisfy { y in a.row(y).elementsEqual(b.row(y)) }
            }
        }
    }
}

extension Image: CustomStringConvertible {
    public var description: String { "Image<\(Sample.sampleType.rawValue)>(\(width)×\(height)×\(channels))" }
}
