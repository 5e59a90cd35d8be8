#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CTurboJPEG
import Pixelwise

/// JPEG through libjpeg-turbo's TurboJPEG API.
///
/// Reading: 8-bit gray (1 channel) and colour (YCbCr or RGB, 3 channels RGB), baseline or progressive.
/// CMYK/YCCK files are refused. A progressive file with an absurd number of scans (a known way to make a
/// small file take minutes) is refused too (`TJFLAG_LIMITSCANS`).
/// Decoding goes straight into the new image's memory with libjpeg's accurate integer DCT (the default of
/// libjpeg, Pillow and OpenCV, so values match theirs). Any libjpeg *warning* — "Premature end of JPEG
/// file" on a cut file, "Corrupt JPEG data" — stops decoding and is reported as an error: a truncated
/// JPEG never silently becomes a half-grey image.
///
/// Writing: `UInt8` images with 1 (gray) or 3 (RGB) channels, at ``ImageWriteOptions/jpegQuality``.
/// Chroma subsampling: 4:4:4 (full-resolution colour) at quality 90 and above, where the point is to keep
/// detail; 4:2:0 below 90, as libjpeg's `cjpeg` does by default, where the point is a small file.
///
/// Thread safety: every call creates its own TurboJPEG handle, so any number of threads may decode or
/// encode different files at once.
public enum JPEG {
    /// The quality at and above which colour is written without chroma subsampling (4:4:4).
    public static let fullChromaQuality = 90

    /// The header of the file at `path`.
    public static func readInfo(_ path: String) throws -> ImageInfo {
        let file = try MappedFile(path: path)
        let decoder = try Handle(decompressing: path)
        let bytes = UnsafeRawBufferPointer(file.bytes)
        let header = try withoutJunkAfterSOI(bytes) { try decoder.header($0) }
        return ImageInfo(width: header.width, height: header.height, channels: header.channels,
                         sampleType: .uint8, format: .jpeg)
    }

    /// Decodes the file at `path` straight into a new image's memory, or into the memory of `reusable` (an
    /// image nothing reads any more, see ``Pixelwise/Image/storageForReuse``) when it is 8-bit and large enough.
    public static func read(_ path: String, options: ImageReadOptions = .init(), reusing reusable: AnyImage? = nil) throws -> AnyImage {
        let file = try MappedFile(path: path)
        return try withoutJunkAfterSOI(UnsafeRawBufferPointer(file.bytes)) {
            try decode($0, path: path, options: options, reusing: reusable)
        }
    }

    /// The most bytes of junk skipped before one marker of the header (past it: left to libjpeg, an error).
    static let junkAfterSOILimit = 1 << 16

    /// Calls `body` with `bytes`, or, when the header has junk between its marker segments (bytes that are
    /// not a marker where one must start: after SOI, after a segment whose length overshoots, as some writers
    /// produce — libjpeg warns "extraneous bytes before marker" and skips them, Pillow ignores the warning),
    /// with a copy without those bytes. Only the header is walked, up to the first SOS; junk in the
    /// entropy-coded data stays an error.
    static func withoutJunkAfterSOI<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return try body(bytes) }
        var junk = [Range<Int>]()
        var position = 2
        walk: while position + 1 < bytes.count {
            if bytes[position] != 0xFF || bytes[position + 1] == 0x00 {
                // Junk (FF 00 is no marker either): skip to the next byte pair that is a marker (FF, then
                // not 00 or FF).
                var next = position
                let end = min(bytes.count - 1, position + junkAfterSOILimit)
                while next < end, !(bytes[next] == 0xFF && bytes[next + 1] != 0x00 && bytes[next + 1] != 0xFF) { next += 1 }
                guard next < end else { break walk }
                junk.append(position..<next)
                position = next
                continue
            }
            let marker = bytes[position + 1]
            switch marker {
            case 0xFF: position += 1  // fill byte
            case 0xDA, 0xD9: break walk  // SOS: entropy-coded data follows; EOI
            case 0x01, 0xD0...0xD7: position += 2  // parameterless
            default:
                guard position + 3 < bytes.count else { break walk }
                position += 2 + (Int(bytes[position + 2]) << 8 | Int(bytes[position + 3]))
            }
        }
        guard !junk.isEmpty else { return try body(bytes) }
        var cleaned = [UInt8]()
        cleaned.reserveCapacity(bytes.count)
        var start = 0
        for range in junk {
            cleaned += bytes[start..<range.lowerBound]
            start = range.upperBound
        }
        cleaned += bytes[start...]
        return try cleaned.withUnsafeBytes { try body($0) }
    }

    /// Decodes a JPEG held in memory (`path` names it in errors).
    static func decode(_ bytes: UnsafeRawBufferPointer, path: String, options: ImageReadOptions = .init(),
                       reusing reusable: AnyImage? = nil) throws -> AnyImage {
        let decoder = try Handle(decompressing: path)
        let header = try decoder.header(bytes)
        try options.checkPixelCount(width: header.width, height: header.height, path: path)
        return try Codecs.makeImage(.uint8, width: header.width, height: header.height, channels: header.channels,
                                    path: path, reusing: reusable) { target in
            let pixelFormat = header.channels == 1 ? TJPF_GRAY : TJPF_RGB
            let status = tjDecompress2(decoder.handle, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                       UInt(bytes.count), target.base.assumingMemoryBound(to: UInt8.self),
                                       Int32(header.width), Int32(target.rowStrideBytes), Int32(header.height),
                                       pixelFormat.rawValue, TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)
            if status != 0 { throw decoder.readError() }
        }
    }

    /// Encodes `image` to `temporary` (``ImageFile`` renames it to `reportedPath` when done).
    public static func write(_ image: AnyImage, toTemporary temporary: String, reportedPath: String,
                             quality: Int, metadata: ImageMetadata = .none) throws {
        if let reason = ImageFormat.jpeg.cannotHold(image.sampleType) {
            throw ImageFileError.unsupported(path: reportedPath, detail: reason)
        }
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageFileError.unsupported(
                path: reportedPath,
                detail: "JPEG holds gray or RGB, not \(image.channels) channels (write .png or .tif to keep alpha)")
        }
        guard (1...100).contains(quality) else {
            throw ImageFileError.cannotWrite(path: reportedPath, reason: "JPEG quality \(quality) is outside 1...100")
        }
        guard image.width > 0, image.height > 0, image.width <= 65_535, image.height <= 65_535 else {
            throw ImageFileError.unsupported(
                path: reportedPath,
                detail: "JPEG sizes are 1 to 65535 pixels a side, not \(image.width)×\(image.height)")
        }
        // A region view of a very wide image may have a row pitch past Int32: compact it first.
        let source = RawImageView.with(image) { $0.rowStrideBytes } > Int(Int32.max)
            ? image.apply(Compacted()) : image
        let encoder = try Handle(compressingFor: reportedPath)
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        defer { if output != nil { tjFree(output) } }
        try RawImageView.with(source) { view in
            let gray = view.channels == 1
            let subsampling = gray ? TJSAMP_GRAY : (quality >= fullChromaQuality ? TJSAMP_444 : TJSAMP_420)
            let status = tjCompress2(encoder.handle, view.base.assumingMemoryBound(to: UInt8.self),
                                     Int32(view.width), Int32(view.rowStrideBytes), Int32(view.height),
                                     (gray ? TJPF_GRAY : TJPF_RGB).rawValue, &output, &size,
                                     Int32(subsampling.rawValue), Int32(quality), TJFLAG_ACCURATEDCT)
            if status != 0 {
                throw ImageFileError.cannotWrite(path: reportedPath, reason: encoder.message)
            }
        }
        let writer = try FileWriter(path: temporary, reportedPath: reportedPath)
        let encoded = UnsafeRawBufferPointer(start: output, count: Int(size))
        if metadata.exif == nil, metadata.xmp == nil, metadata.iccProfile == nil {
            try writer.write(encoded)
        } else {
            try writer.write(inserting(metadata, into: encoded))
        }
        try writer.close()
    }

    /// One TurboJPEG instance, destroyed with this object.
    private final class Handle {
        let handle: tjhandle
        let path: String

        init(decompressing path: String) throws {
            guard let handle = tjInitDecompress() else {
                throw ImageFileError.unreadable(path: path, reason: "cannot start the JPEG decoder")
            }
            self.handle = handle
            self.path = path
        }

        init(compressingFor path: String) throws {
            guard let handle = tjInitCompress() else {
                throw ImageFileError.cannotWrite(path: path, reason: "cannot start the JPEG encoder")
            }
            self.handle = handle
            self.path = path
        }

        deinit { tjDestroy(handle) }

        /// The last message of this instance, one line.
        var message: String {
            guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
            return String(cString: text).split(separator: "\n").first.map(String.init) ?? "unknown error"
        }

        /// The error for a failed decoding step: a file that ends early is truncated, anything else corrupt.
        func readError() -> ImageFileError {
            let message = self.message
            if message.contains("Premature end") || message.contains("empty input") {
                return .truncated(path: path, format: .jpeg)
            }
            return .corrupt(path: path, format: .jpeg, detail: message)
        }

        struct Header {
            var width, height, channels: Int
        }

        /// Reads the frame header and maps the JPEG colour space to our channel count.
        func header(_ bytes: UnsafeRawBufferPointer) throws -> Header {
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorSpace: Int32 = 0
            let status = tjDecompressHeader3(handle, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                             UInt(bytes.count), &width, &height, &subsampling, &colorSpace)
            if status != 0 { throw readError() }
            // libjpeg pads a stream that ends before its frame header with an end marker and reports no
            // frame at all (0×0): the file stops before the image starts.
            guard width > 0, height > 0 else { throw ImageFileError.truncated(path: path, format: .jpeg) }
            switch TJCS(UInt32(colorSpace)) {
            case TJCS_GRAY: return Header(width: Int(width), height: Int(height), channels: 1)
            case TJCS_YCbCr, TJCS_RGB: return Header(width: Int(width), height: Int(height), channels: 3)
            case TJCS_CMYK, TJCS_YCCK:
                throw ImageFileError.unsupported(path: path, detail: "CMYK JPEG (we read gray and RGB JPEGs; convert it to RGB first)")
            default:
                throw ImageFileError.unsupported(path: path, detail: "JPEG colour space \(colorSpace) (we read gray and RGB)")
            }
        }
    }
}

/// A compact copy of whatever image, as an ``AnyImage``.
struct Compacted: ImageOperation {
    typealias Failure = Never
    func callAsFunction<S: PixelSample>(_ image: Image<S>) -> AnyImage { AnyImage(image.compacted()) }
}
