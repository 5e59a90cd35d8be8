/// Read-only unsafe access to an image's samples, valid only inside ``Image/withUnsafeBuffer(_:)``.
///
/// It is `Sendable` so that parallel kernels can capture it; the caller guarantees the image outlives
/// the work, which `withUnsafeBuffer` does by construction.
public struct ImageBuffer<Sample: PixelSample>: @unchecked Sendable {
    /// Pixel (0, 0), channel 0.
    public let base: UnsafePointer<Sample>
    public let width: Int
    public let height: Int
    public let channels: Int
    /// Samples from one row start to the next.
    public let rowStride: Int

    @inlinable public init(base: UnsafePointer<Sample>, width: Int, height: Int, channels: Int, rowStride: Int) {
        self.base = base
        self.width = width
        self.height = height
        self.channels = channels
        self.rowStride = rowStride
    }

    /// First sample of row `y`.
    @inlinable public func rowPointer(_ y: Int) -> UnsafePointer<Sample> { base + y &* rowStride }
    /// The `width * channels` samples of row `y`.
    @inlinable public func row(_ y: Int) -> UnsafeBufferPointer<Sample> {
        UnsafeBufferPointer(start: rowPointer(y), count: width &* channels)
    }
    /// The sample at (`x`, `y`, `channel`), unchecked.
    @inlinable public subscript(x: Int, y: Int, channel: Int) -> Sample {
        base[y &* rowStride &+ x &* channels &+ channel]
    }
}

/// Write access to an image's samples, valid only inside ``Image/withUnsafeMutableBuffer(_:)``.
public struct MutableImageBuffer<Sample: PixelSample>: @unchecked Sendable {
    /// Pixel (0, 0), channel 0.
    public let base: UnsafeMutablePointer<Sample>
    public let width: Int
    public let height: Int
    public let channels: Int
    /// Samples from one row start to the next.
    public let rowStride: Int

    @inlinable public init(base: UnsafeMutablePointer<Sample>, width: Int, height: Int, channels: Int, rowStride: Int) {
        self.base = base
        self.width = width
        self.height = height
        self.channels = channels
        self.rowStride = rowStride
    }

    /// The same memory, read-only.
    @inlinable public var readOnly: ImageBuffer<Sample> {
        ImageBuffer(base: UnsafePointer(base), width: width, height: height, channels: channels, rowStride: rowStride)
    }
    /// First sample of row `y`.
    @inlinable public func rowPointer(_ y: Int) -> UnsafeMutablePointer<Sample> { base + y &* rowStride }
    /// The `width * channels` samples of row `y`.
    @inlinable public func row(_ y: Int) -> UnsafeMutableBufferPointer<Sample> {
        UnsafeMutableBufferPointer(start: rowPointer(y), count: width &* channels)
    }
    /// The sample at (`x`, `y`, `channel`), unchecked.
    @inlinable public subscript(x: Int, y: Int, channel: Int) -> Sample {
        get { base[y &* rowStride &+ x &* channels &+ channel] }
        nonmutating set { base[y &* rowStride &+ x &* channels &+ channel] = newValue }
    }
}
