import Pixelwise

/// An untyped, read-only view of an image's memory, for encoders that hand rows of bytes to C.
struct RawImageView {
    let base: UnsafeRawPointer
    let width: Int
    let height: Int
    let channels: Int
    let sampleType: SampleType
    /// Bytes from one row start to the next.
    let rowStrideBytes: Int

    /// Bytes of pixel data in one row, `width * channels * sampleType.byteCount`.
    var rowBytes: Int { width * channels * sampleType.byteCount }
    /// Whether rows follow each other without gaps.
    var isContiguous: Bool { rowStrideBytes == rowBytes || height <= 1 }
    /// The first byte of row `y`.
    func row(_ y: Int) -> UnsafeRawPointer { base + y * rowStrideBytes }

    init<S: PixelSample>(_ buffer: ImageBuffer<S>) {
        base = UnsafeRawPointer(buffer.base)
        width = buffer.width
        height = buffer.height
        channels = buffer.channels
        sampleType = S.sampleType
        rowStrideBytes = buffer.rowStride * MemoryLayout<S>.stride
    }

    /// Calls `body` with a view of `image`'s samples.
    static func with<R>(_ image: AnyImage, _ body: (RawImageView) throws -> R) rethrows -> R {
        switch image {
        case .uint8(let typed): try typed.withUnsafeBuffer { try body(RawImageView($0)) }
        case .uint16(let typed): try typed.withUnsafeBuffer { try body(RawImageView($0)) }
        case .float32(let typed): try typed.withUnsafeBuffer { try body(RawImageView($0)) }
        case .float64(let typed): try typed.withUnsafeBuffer { try body(RawImageView($0)) }
        }
    }
}

/// An untyped, writable view of a freshly allocated image, for decoders that write straight into it.
struct MutableRawImageView {
    let base: UnsafeMutableRawPointer
    let width: Int
    let height: Int
    let channels: Int
    let sampleType: SampleType
    /// Bytes from one row start to the next (decoders allocate contiguous images, so this is `rowBytes`).
    let rowStrideBytes: Int

    var rowBytes: Int { width * channels * sampleType.byteCount }
    /// Total bytes of the image.
    var byteCount: Int { rowStrideBytes * height }
    func row(_ y: Int) -> UnsafeMutableRawPointer { base + y * rowStrideBytes }

    init<S: PixelSample>(_ buffer: MutableImageBuffer<S>) {
        base = UnsafeMutableRawPointer(buffer.base)
        width = buffer.width
        height = buffer.height
        channels = buffer.channels
        sampleType = S.sampleType
        rowStrideBytes = buffer.rowStride * MemoryLayout<S>.stride
    }
}

/// Helpers shared by the C-backed codecs.
enum Codecs {
    /// Allocates a contiguous image of the given shape and lets `fill` decode into its memory.
    ///
    /// The caller has already checked the pixel count against ``ImageReadOptions/maxPixels``; this
    /// additionally refuses sizes whose byte count does not fit an `Int`, so a permissive limit never
    /// turns into a trap in the allocator.
    /// With `reusing`, an image of the same sample type whose memory holds enough samples (and that
    /// nothing else reads any more), the new image is decoded into that memory instead.
    static func makeImage(_ sampleType: SampleType, width: Int, height: Int, channels: Int, path: String,
                          reusing reusable: AnyImage? = nil,
                          _ fill: (MutableRawImageView) throws -> Void) throws -> AnyImage {
        guard width >= 0, height >= 0, (1...4).contains(channels) else {
            throw ImageFileError.unsupported(path: path, detail: "\(channels) channels (images have 1 to 4)")
        }
        let (pixels, overflow1) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflow2) = pixels.multipliedReportingOverflow(by: channels * sampleType.byteCount)
        guard !overflow1, !overflow2, bytes < Int.max / 2 else {
            throw ImageFileError.unsupported(path: path, detail: "an image of \(width)×\(height)×\(channels) samples is too large to hold in memory")
        }
        func make<S: PixelSample>(_ type: S.Type) throws -> Image<S> {
            if let storage = reusable?.typed(as: S.self)?.storageForReuse, storage.isWritable, storage.count >= pixels * channels {
                try fill(MutableRawImageView(MutableImageBuffer(base: storage.base, width: width, height: height,
                                                                channels: channels, rowStride: width * channels)))
                return Image(storage: storage, width: width, height: height, channels: channels)
            }
            var image = Image<S>(uninitializedWidth: width, height: height, channels: channels)
            try image.withUnsafeMutableBuffer { try fill(MutableRawImageView($0)) }
            return image
        }
        switch sampleType {
        case .uint8: return .uint8(try make(UInt8.self))
        case .uint16: return .uint16(try make(UInt16.self))
        case .float32: return .float32(try make(Float.self))
        case .float64: return .float64(try make(Double.self))
        }
    }

    /// The final path component, for messages that should not repeat a temporary file's name.
    static func fileName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
