import Pixelwise

/// Reading and writing image files of any supported format: the one entry point the CLI uses.
///
/// On read the format comes from the file's leading bytes, never its name; on write from the target's
/// extension (or ``ImageWriteOptions/format``). Every write goes through ``AtomicFile``.
public enum ImageFile {
    /// The format of the file at `path`, from its signature.
    ///
    /// Camera RAW files are the one exception: many are TIFF containers, so a file whose extension is a
    /// RAW one (``CameraRaw/fileExtensions``) and whose signature is TIFF or unknown goes to LibRaw.
    public static func format(of path: String) throws -> ImageFormat {
        let prefix = try FileSystem.readPrefix(path, count: 16)
        let sniffed = ImageFormat(signature: prefix)
        if CameraRaw.hasRawExtension(path), sniffed == nil || sniffed == .tiff { return .raw }
        if let format = sniffed { return format }
        throw ImageFileError.unknownFormat(path: path)
    }

    /// Width, height, channels, sample type and format, from the header only.
    public static func info(_ path: String, options: ImageReadOptions = .init()) throws -> ImageInfo {
        let format = try format(of: path)
        try checkPage(options, format: format, path: path)
        switch format {
        case .npy: return try NPY.readInfo(path)
        case .tiff: return try TIFF.readInfo(path, page: options.page)
        case let other: return try codec(for: other, path: path).readInfo(path)
        }
    }

    /// Only a TIFF has pages past the first.
    static func checkPage(_ options: ImageReadOptions, format: ImageFormat, path: String) throws {
        if let page = options.page, page != 0, format != .tiff {
            throw ImageFileError.unsupported(path: path, detail: "no page \(page): a \(format.displayName) file has one image (--page applies to multi-page TIFFs)")
        }
    }

    /// Decodes the whole image at `path`.
    public static func read(_ path: String, options: ImageReadOptions = .init()) throws -> AnyImage {
        try read(path, options: options, reusing: nil)
    }

    /// Decodes the whole image at `path`; a JPEG is decoded into the memory of `reusable` when that is an
    /// 8-bit image large enough, which the caller must no longer need (its samples are overwritten, even
    /// if decoding fails). Other formats allocate as ``read(_:options:)`` does.
    public static func read(_ path: String, options: ImageReadOptions = .init(), reusing reusable: AnyImage?) throws -> AnyImage {
        let format = try format(of: path)
        try checkPage(options, format: format, path: path)
        return switch format {
        case .npy: try NPY.readImage(path, options: options)
        case .jpeg: try JPEG.read(path, options: options, reusing: reusable)
        case let other: try codec(for: other, path: path).read(path, options)
        }
    }

    /// Memory that ``read(_:options:)`` allocates for the file at `path`, whose header said `info`: the decoded
    /// samples, or nothing for an NPY file read in place from its memory map (its pages are the file's, which
    /// the kernel can drop and read again). Reads the header only.
    public static func decodeMemory(_ path: String, info: ImageInfo, options: ImageReadOptions = .init()) -> MemoryNeed {
        if info.format == .npy, let array = try? NPY.open(path), array.readsInPlace(options: options) { return .zero }
        return .image(width: info.width, height: info.height, channels: info.channels, sampleType: info.sampleType)
    }

    /// Memory ``write(_:to:options:)`` holds beside the image while encoding `samples` bytes of samples to
    /// `path` (format from its extension unless given): libspng and TurboJPEG keep the whole compressed
    /// stream, counted as half the samples (photos compress to a third or less as PNG, far less as JPEG; pure
    /// noise as PNG would take up to the whole), TIFF a strip of about 1 MB and its compressed copy; NPY and
    /// PNM write as they go.
    public static func encodeMemory(_ path: String, samples: MemoryNeed, format: ImageFormat? = nil) -> MemoryNeed {
        switch format ?? ImageFormat(pathExtensionOf: path) {
        case .png, .jpeg: MemoryNeed(bytes: samples.bytes / 2)
        case .tiff: MemoryNeed(bytes: Swift.min(samples.bytes, 2 << 20))
        case .npy, .pnm, .raw, nil: .zero
        }
    }

    /// Encodes `image` to `path` atomically, in the format its extension names.
    public static func write(_ image: AnyImage, to path: String, options: ImageWriteOptions = .init()) throws {
        guard let format = options.format ?? ImageFormat(pathExtensionOf: path) else {
            throw ImageFileError.unknownExtension(path: path)
        }
        try AtomicFile.write(to: path) { temporary in
            switch format {
            case .npy: try NPY.write(image, toTemporary: temporary, reportedPath: path)
            case let other: try codec(for: other, path: path).write(image, temporary, path, options)
            }
        }
    }

    /// The C-backed codecs, as function values so that each format lives in its own file.
    struct Codec {
        var readInfo: (String) throws -> ImageInfo
        var read: (String, ImageReadOptions) throws -> AnyImage
        /// image, temporary path, reported path, options
        var write: (AnyImage, String, String, ImageWriteOptions) throws -> Void
    }

    static func codec(for format: ImageFormat, path: String) throws -> Codec {
        switch format {
        case .png:
            Codec(readInfo: PNG.readInfo, read: PNG.read,
                  write: { image, temporary, path, options in
                      try PNG.write(image, toTemporary: temporary, reportedPath: path, compressionLevel: options.pngCompressionLevel,
                                    metadata: options.metadata)
                  })
        case .jpeg:
            Codec(readInfo: JPEG.readInfo, read: { try JPEG.read($0, options: $1) },
                  write: { image, temporary, path, options in
                      try JPEG.write(image, toTemporary: temporary, reportedPath: path, quality: options.jpegQuality,
                                     metadata: options.metadata)
                  })
        case .tiff:
            Codec(readInfo: TIFF.readInfo, read: TIFF.read,
                  write: { image, temporary, path, options in
                      try TIFF.write(image, toTemporary: temporary, reportedPath: path, compression: options.tiffCompression,
                                     metadata: options.metadata)
                  })
        case .pnm:
            Codec(readInfo: PNM.readInfo, read: PNM.read,
                  write: { image, temporary, path, _ in try PNM.write(image, toTemporary: temporary, reportedPath: path) })
        case .raw:
            Codec(readInfo: CameraRaw.readInfo, read: CameraRaw.read,
                  write: { _, _, path, _ in
                      throw ImageFileError.unsupported(path: path, detail: "writing camera RAW files (write .tif, .png or .npy)")
                  })
        case .npy:
            Codec(readInfo: NPY.readInfo, read: NPY.readImage,
                  write: { image, temporary, path, _ in try NPY.write(image, toTemporary: temporary, reportedPath: path) })
        }
    }
}
