import Pixelwise

/// The file formats Pixelwise reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable, Codable {
    case png, jpeg, tiff, npy, pnm, raw

    /// The name used in messages and `info`.
    public var displayName: String {
        switch self {
        case .png: "PNG"
        case .jpeg: "JPEG"
        case .tiff: "TIFF"
        case .npy: "NPY"
        case .pnm: "PNM"
        case .raw: "camera RAW"
        }
    }

    /// The format whose signature starts `bytes` (the first 16 bytes of a file are enough), if any.
    /// Camera RAW files are recognised by LibRaw, not here (many are TIFF containers).
    public init?(signature bytes: [UInt8]) {
        func starts(_ prefix: [UInt8]) -> Bool { bytes.count >= prefix.count && Array(bytes.prefix(prefix.count)) == prefix }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { self = .png }
        else if starts([0xFF, 0xD8]) { self = .jpeg }  // FF D8 FF, or junk before the first marker
        else if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A])
                    || starts([0x49, 0x49, 0x2B, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2B]) { self = .tiff }
        else if starts([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { self = .npy }
        else if starts([0x50, 0x35]) || starts([0x50, 0x36]) { self = .pnm }
        // Plain PBM/PGM/PPM (P1, P2, P3) and raw PBM (P4): "P1"… then whitespace, so that text files
        // starting with "P1" and a letter are not taken for images.
        else if bytes.count >= 3, bytes[0] == 0x50, (0x31...0x34).contains(bytes[1]),
                bytes[2] == 0x20 || (0x09...0x0D).contains(bytes[2]) || bytes[2] == 0x23 { self = .pnm }
        else { return nil }
    }

    /// The format an output path asks for by its extension (case-insensitive), if any.
    public init?(pathExtensionOf path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": self = .png
        case "jpg", "jpeg", "jpe": self = .jpeg
        case "tif", "tiff": self = .tiff
        case "npy": self = .npy
        case "pgm", "ppm", "pnm": self = .pnm
        default: return nil
        }
    }
}

extension ImageFormat {
    /// Why a file of this format cannot hold samples of `type`, in one phrase naming formats that can; nil when
    /// it can. The writers refuse with it, and commands check their outputs with it before computing anything.
    public func cannotHold(_ type: SampleType) -> String? {
        switch (self, type) {
        case (.tiff, _), (.npy, _), (.png, .uint8), (.png, .uint16), (.pnm, .uint8), (.pnm, .uint16), (.jpeg, .uint8): nil
        case (.png, _): "PNG holds 8- or 16-bit integer samples, not \(type) (write .tif or .npy to keep floats)"
        case (.pnm, _): "PGM/PPM hold 8- or 16-bit integer samples, not \(type) (write .tif or .npy to keep floats)"
        case (.jpeg, _): "JPEG holds 8-bit samples, not \(type) (write .png or .tif for 16-bit, .tif or .npy for floats)"
        case (.raw, _): "writing camera RAW files (write .tif, .png or .npy)"
        }
    }

    /// Throws ``ImageFileError/unsupported(path:detail:)`` when the file `path` names by its extension cannot
    /// hold samples of `type` (an unknown extension is left to the writer).
    public static func checkOutput(_ path: String, holds type: SampleType) throws {
        if let reason = ImageFormat(pathExtensionOf: path)?.cannotHold(type) {
            throw ImageFileError.unsupported(path: path, detail: reason)
        }
    }
}

/// What a file's header says, without decoding the pixels.
public struct ImageInfo: Sendable, Equatable, Codable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var sampleType: SampleType
    public var format: ImageFormat
    /// For camera RAW files, the 2×2 colour-filter pattern of the mosaic's top-left corner ("RGGB", "BGGR",
    /// "GRBG" or "GBRG"); nil for every other format (and absent from JSON).
    public var cfaPattern: String?

    public init(width: Int, height: Int, channels: Int, sampleType: SampleType, format: ImageFormat,
                cfaPattern: String? = nil) {
        self.width = width
        self.height = height
        self.channels = channels
        self.sampleType = sampleType
        self.format = format
        self.cfaPattern = cfaPattern
    }
}

/// Options that apply to reading any format.
public struct ImageReadOptions: Sendable {
    /// The most pixels a header may declare before the file is refused (guard against decompression
    /// bombs). Default 2^31.
    public var maxPixels: Int
    /// Whether uncompressed formats (NPY) may be memory-mapped instead of read into memory.
    public var allowMemoryMap: Bool
    /// The page of a multi-page TIFF to read, 0 being the first; nil reads the first and reports a file of
    /// several pages to ``warn``. Another format has page 0 only.
    public var page: Int? = nil
    /// Told about what a read chose for the user (a multi-page TIFF read as its first page), one line
    /// naming the file. Nil: nobody is told.
    public var warn: (@Sendable (String) -> Void)? = nil

    /// The default limit of ``maxPixels``: 2^31 pixels.
    public static let defaultMaxPixels = 1 << 31

    /// Options with the defaults: the 2^31-pixel limit, NPY files mapped when possible.
    public init(maxPixels: Int = ImageReadOptions.defaultMaxPixels, allowMemoryMap: Bool = true) {
        self.maxPixels = maxPixels
        self.allowMemoryMap = allowMemoryMap
    }

    /// Throws ``ImageFileError/tooManyPixels(path:width:height:limit:)`` when the declared size is over the limit.
    public func checkPixelCount(width: Int, height: Int, path: String) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw ImageFileError.tooManyPixels(path: path, width: width, height: height, limit: maxPixels)
        }
    }
}

/// TIFF compression schemes we write.
public enum TIFFCompression: String, Sendable, CaseIterable {
    case none, lzw, deflate
}

/// Options that apply to writing.
public struct ImageWriteOptions: Sendable {
    /// The format, when not taken from the extension.
    public var format: ImageFormat?
    /// JPEG quality 1...100.
    public var jpegQuality: Int
    /// TIFF compression.
    public var tiffCompression: TIFFCompression
    /// PNG (zlib) compression level, 0 (none, fastest) to 9 (smallest, slowest).
    public var pngCompressionLevel: Int
    /// Metadata to write with the image, as much of it as the format holds (``ImageMetadata``).
    public var metadata: ImageMetadata = .none

    /// Options with the defaults (format from the extension, JPEG quality 95).
    public init(format: ImageFormat? = nil, jpegQuality: Int = 95, tiffCompression: TIFFCompression = .deflate,
                pngCompressionLevel: Int = PNG.defaultCompressionLevel) {
        self.format = format
        self.jpegQuality = jpegQuality
        self.tiffCompression = tiffCompression
        self.pngCompressionLevel = pngCompressionLevel
    }
}
