#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSPNG
import Pixelwise

/// PNG through libspng.
///
/// Reading: 8- and 16-bit gray, gray+alpha, RGB and RGBA come out as they are stored (16-bit samples in
/// host byte order); 1-, 2- and 4-bit gray is scaled to 8 bits (a 4-bit 15 becomes 255), as libpng's
/// `expand_gray_1_2_4_to_8`, Pillow and OpenCV do; palette images are expanded to RGB, or to RGBA when
/// the file has a `tRNS` chunk. A `tRNS` colour key on a gray or RGB image is ignored (no alpha channel
/// is invented). Gamma, ICC and the other colour chunks are not applied: samples are the stored values.
///
/// Writing: `UInt8` and `UInt16` images with 1–4 channels; float images are refused (PNG holds
/// integers only).
public enum PNG {
    /// The zlib level used unless ``ImageWriteOptions/pngCompressionLevel`` says otherwise: 1, written like OpenCV's
    /// `imwrite` default (Sub filter, run-length strategy). On a noisy 3872×2592 RGB scene that took 0.41 s of CPU
    /// against 3.6 s at level 6 (Pillow's default), for a file 19% larger (9.36 MB, OpenCV's size, against 7.88 MB);
    /// the images this tool writes are large, so speed wins unless the user asks for a higher level.
    public static let defaultCompressionLevel = 1

    /// The header of the file at `path`.
    public static func readInfo(_ path: String) throws -> ImageInfo {
        let file = try MappedFile(path: path)
        let decoder = try Decoder(file: file, path: path)
        let layout = try decoder.layout()
        return ImageInfo(width: layout.width, height: layout.height, channels: layout.channels,
                         sampleType: layout.sampleType, format: .png)
    }

    /// Decodes the file at `path` straight into a new image's memory.
    public static func read(_ path: String, options: ImageReadOptions = .init()) throws -> AnyImage {
        let file = try MappedFile(path: path)
        let decoder = try Decoder(file: file, path: path)
        let layout = try decoder.layout()
        try options.checkPixelCount(width: layout.width, height: layout.height, path: path)
        return try Codecs.makeImage(layout.sampleType, width: layout.width, height: layout.height,
                                    channels: layout.channels, path: path) { target in
            var size = 0
            try decoder.check(spng_decoded_image_size(decoder.context, layout.format, &size))
            guard size == target.byteCount else {
                throw ImageFileError.corrupt(path: path, format: .png, detail: "decoded size \(size) bytes, expected \(target.byteCount)")
            }
            try decoder.check(spng_decode_image(decoder.context, target.base, size, layout.format, layout.flags))
        }
    }

    /// Encodes `image` to `temporary` (``ImageFile`` renames it to `reportedPath` when done).
    public static func write(_ image: AnyImage, toTemporary temporary: String, reportedPath: String,
                             compressionLevel: Int = defaultCompressionLevel, metadata: ImageMetadata = .none) throws {
        guard (0...9).contains(compressionLevel) else {
            throw ImageFileError.cannotWrite(path: reportedPath, reason: "PNG compression level \(compressionLevel) is outside 0...9")
        }
        let bitDepth: UInt8
        switch image.sampleType {
        case .uint8: bitDepth = 8
        case .uint16: bitDepth = 16
        case .float32, .float64:
            throw ImageFileError.unsupported(path: reportedPath, detail: ImageFormat.png.cannotHold(image.sampleType)!)
        }
        guard image.width > 0, image.height > 0 else {
            throw ImageFileError.unsupported(path: reportedPath, detail: "a PNG must have at least one pixel (the image is \(image.width)×\(image.height))")
        }
        guard image.width <= Int(Int32.max), image.height <= Int(Int32.max) else {
            throw ImageFileError.unsupported(path: reportedPath, detail: "PNG width and height are at most 2^31-1")
        }
        let colorType: spng_color_type
        switch image.channels {
        case 1: colorType = SPNG_COLOR_TYPE_GRAYSCALE
        case 2: colorType = SPNG_COLOR_TYPE_GRAYSCALE_ALPHA
        case 3: colorType = SPNG_COLOR_TYPE_TRUECOLOR
        default: colorType = SPNG_COLOR_TYPE_TRUECOLOR_ALPHA
        }
        guard let context = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue)) else {
            throw ImageFileError.cannotWrite(path: reportedPath, reason: "out of memory")
        }
        defer { spng_ctx_free(context) }
        guard let file = fopen(temporary, "wb") else {
            throw ImageFileError.cannotWrite(path: reportedPath, reason: FileSystem.lastErrorText)
        }
        var closed = false
        defer { if !closed { fclose(file) } }
        func check(_ code: Int32) throws {
            guard code == 0 else {
                throw ImageFileError.cannotWrite(path: reportedPath, reason: code == Int32(SPNG_IO_ERROR.rawValue)
                                                 ? FileSystem.lastErrorText : String(cString: spng_strerror(code)))
            }
        }
        try check(spng_set_png_file(context, file))
        var header = spng_ihdr(width: UInt32(image.width), height: UInt32(image.height), bit_depth: bitDepth,
                               color_type: UInt8(colorType.rawValue), compression_method: 0, filter_method: 0,
                               interlace_method: 0)
        try check(spng_set_ihdr(context, &header))
        // Metadata: libspng keeps pointers to these until the file is written. One the library refuses
        // (an EXIF block that does not start like one) is left out rather than failing the image.
        var owned = [UnsafeMutableRawPointer]()
        defer { owned.forEach { free($0) } }
        func copy(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar> {
            let memory = malloc(max(bytes.count, 1))!
            bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            owned.append(memory)
            return memory.assumingMemoryBound(to: CChar.self)
        }
        if let exif = metadata.exif, !exif.isEmpty {
            var chunk = spng_exif(length: exif.count, data: copy(exif))
            _ = spng_set_exif(context, &chunk)
        }
        if let icc = metadata.iccProfile, !icc.isEmpty {
            var chunk = spng_iccp()
            withUnsafeMutableBytes(of: &chunk.profile_name) { name in
                let text = Array("ICC profile".utf8)
                name.copyBytes(from: text)
            }
            chunk.profile_len = icc.count
            chunk.profile = copy(icc)
            _ = spng_set_iccp(context, &chunk)
        }
        if let xmp = metadata.xmp, !xmp.isEmpty {
            var chunk = spng_text()
            withUnsafeMutableBytes(of: &chunk.keyword) { $0.copyBytes(from: Array(Self.xmpKeyword.utf8)) }
            chunk.type = Int32(SPNG_ITXT.rawValue)
            chunk.length = xmp.count
            chunk.text = copy(xmp + [0])  // libspng measures the text with strlen
            chunk.language_tag = copy([0])
            chunk.translated_keyword = copy([0])
            _ = spng_set_text(context, &chunk, 1)
        }
        try check(spng_set_option(context, SPNG_IMG_COMPRESSION_LEVEL, Int32(compressionLevel)))
        if compressionLevel <= 1 {
            // OpenCV's fast recipe: the Sub filter alone and zlib's run-length strategy. Trying all five
            // filters per row and Z_FILTERED's matching cost more CPU than level 1's deflate itself.
            try check(spng_set_option(context, SPNG_FILTER_CHOICE, Int32(SPNG_FILTER_CHOICE_SUB.rawValue)))
            try check(spng_set_option(context, SPNG_IMG_COMPRESSION_STRATEGY, 3))  // Z_RLE
        }
        // Progressive encoding takes one row at a time, so region views (row stride > row) need no copy.
        let format = Int32(SPNG_FMT_PNG.rawValue)  // host-endian 16-bit samples
        try check(spng_encode_image(context, nil, 0, format,
                                    Int32(SPNG_ENCODE_PROGRESSIVE.rawValue | SPNG_ENCODE_FINALIZE.rawValue)))
        try RawImageView.with(image) { view in
            for y in 0..<view.height {
                let code = spng_encode_row(context, view.row(y), view.rowBytes)
                // The last row returns SPNG_EOI: the image is complete.
                if code == Int32(SPNG_EOI.rawValue) { break }
                try check(code)
            }
        }
        closed = true
        if fclose(file) != 0 { throw ImageFileError.cannotWrite(path: reportedPath, reason: FileSystem.lastErrorText) }
    }

    /// The iTXt keyword of an XMP packet.
    static let xmpKeyword = "XML:com.adobe.xmp"

    /// The EXIF (`eXIf`), ICC profile (`iCCP`) and XMP (`iTXt` "XML:com.adobe.xmp") of the PNG at `path`,
    /// from the chunks before the image data.
    public static func readMetadata(_ path: String) throws -> ImageMetadata {
        let file = try MappedFile(path: path)
        let decoder = try Decoder(file: file, path: path)
        _ = try decoder.layout()
        let context = decoder.context
        _ = spng_decode_chunks(context)
        var metadata = ImageMetadata()
        var exif = spng_exif()
        if spng_get_exif(context, &exif) == 0, let data = exif.data, exif.length > 0 {
            metadata.exif = Array(UnsafeRawBufferPointer(start: data, count: exif.length))
        }
        var iccp = spng_iccp()
        if spng_get_iccp(context, &iccp) == 0, let profile = iccp.profile, iccp.profile_len > 0 {
            metadata.iccProfile = Array(UnsafeRawBufferPointer(start: profile, count: iccp.profile_len))
        }
        var count: UInt32 = 0
        if spng_get_text(context, nil, &count) == 0, count > 0 {
            var texts = [spng_text](repeating: spng_text(), count: Int(count))
            if spng_get_text(context, &texts, &count) == 0 {
                for var text in texts.prefix(Int(count)) {
                    let keyword = withUnsafeBytes(of: &text.keyword) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    if keyword == xmpKeyword, let body = text.text, metadata.xmp == nil {
                        // libspng NUL-terminates the text; its `length` can count past it (0.7.3, iTXt).
                        metadata.xmp = Array(UnsafeRawBufferPointer(start: body, count: min(strlen(body), text.length)))
                    }
                }
            }
        }
        return metadata
    }

    /// A libspng decoding context over a mapped file.
    private final class Decoder {
        let context: OpaquePointer
        let file: MappedFile
        let path: String

        init(file: MappedFile, path: String) throws {
            guard let context = spng_ctx_new(0) else {
                throw ImageFileError.unreadable(path: path, reason: "out of memory")
            }
            self.context = context
            self.file = file
            self.path = path
            // Our own pixel limit is checked after the header; libspng's guards the chunk sizes.
            try check(spng_set_png_buffer(context, file.bytes.baseAddress, file.bytes.count))
        }

        deinit { spng_ctx_free(context) }

        /// Maps a libspng status to our errors: running out of bytes is truncation, anything else corruption.
        func check(_ code: Int32) throws {
            guard code != 0 else { return }
            if code == Int32(SPNG_IO_EOF.rawValue) || code == Int32(SPNG_EOF.rawValue) {
                throw ImageFileError.truncated(path: path, format: .png)
            }
            throw ImageFileError.corrupt(path: path, format: .png, detail: String(cString: spng_strerror(code)))
        }

        /// How the file's pixels map to an image: shape, sample type, libspng output format and flags.
        struct Layout {
            var width, height, channels: Int
            var sampleType: SampleType
            var format: Int32
            var flags: Int32
        }

        func layout() throws -> Layout {
            var header = spng_ihdr()
            try check(spng_get_ihdr(context, &header))
            let width = Int(header.width), height = Int(header.height)
            let depth = Int(header.bit_depth)
            let png = Int32(SPNG_FMT_PNG.rawValue)
            switch spng_color_type(UInt32(header.color_type)) {
            case SPNG_COLOR_TYPE_GRAYSCALE where depth < 8:
                return Layout(width: width, height: height, channels: 1, sampleType: .uint8,
                              format: Int32(SPNG_FMT_G8.rawValue), flags: 0)
            case SPNG_COLOR_TYPE_GRAYSCALE:
                return Layout(width: width, height: height, channels: 1, sampleType: depth == 16 ? .uint16 : .uint8,
                              format: png, flags: 0)
            case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
                return Layout(width: width, height: height, channels: 2, sampleType: depth == 16 ? .uint16 : .uint8,
                              format: png, flags: 0)
            case SPNG_COLOR_TYPE_TRUECOLOR:
                return Layout(width: width, height: height, channels: 3, sampleType: depth == 16 ? .uint16 : .uint8,
                              format: png, flags: 0)
            case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA:
                return Layout(width: width, height: height, channels: 4, sampleType: depth == 16 ? .uint16 : .uint8,
                              format: png, flags: 0)
            case SPNG_COLOR_TYPE_INDEXED:
                var transparency = spng_trns()
                let code = spng_get_trns(context, &transparency)
                if code == 0 {
                    return Layout(width: width, height: height, channels: 4, sampleType: .uint8,
                                  format: Int32(SPNG_FMT_RGBA8.rawValue), flags: Int32(SPNG_DECODE_TRNS.rawValue))
                }
                if code != Int32(SPNG_ECHUNKAVAIL.rawValue) { try check(code) }
                return Layout(width: width, height: height, channels: 3, sampleType: .uint8,
                              format: Int32(SPNG_FMT_RGB8.rawValue), flags: 0)
            default:
                throw ImageFileError.corrupt(path: path, format: .png, detail: "unknown colour type \(header.color_type)")
            }
        }
    }
}
