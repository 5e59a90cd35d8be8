#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CTIFF
import Pixelwise

/// TIFF through libtiff.
///
/// Reading: the first image of the file, with 8- or 16-bit unsigned integer or 32- or 64-bit IEEE float
/// samples, 1–4 channels (gray, gray+alpha, RGB, RGBA), contiguous or separate planes, in strips or
/// tiles, classic TIFF or BigTIFF, with any compression libtiff decodes (none, LZW, Deflate, PackBits,
/// JPEG, ZSTD, …) and any predictor. Contiguous strips decode straight into the image's memory; tiles and
/// separate planes go through one tile- or strip-sized buffer. Palette, CMYK, Lab, 1-bit and
/// min-is-white images are refused with a message saying so.
///
/// Writing: any image, in strips of about 1 MiB, with ``TIFFCompression`` none, LZW or Deflate
/// (integers get the horizontal-differencing predictor, which is what makes LZW/Deflate pay on photos;
/// floats are written without predictor for the widest compatibility). BigTIFF is chosen automatically
/// when the file might pass 4 GiB.
///
/// libtiff's messages never reach stderr: each open file carries its own handler that keeps the message
/// for our one-line ``ImageFileError``, which also makes concurrent reads of different files safe.
public enum TIFF {
    /// The header of the file at `path`.
    public static func readInfo(_ path: String) throws -> ImageInfo {
        try readInfo(path, page: nil)
    }

    /// The header of page `page` (0 is the first; nil: the first) of the TIFF at `path`.
    public static func readInfo(_ path: String, page: Int?) throws -> ImageInfo {
        let file = try Reader(path: path, page: page)
        let layout = try file.layout()
        return ImageInfo(width: layout.width, height: layout.height, channels: layout.channels,
                         sampleType: layout.sampleType, format: .tiff)
    }

    /// Decodes the first image of the file at `path`.
    ///
    /// `options.page` chooses another page of a multi-page TIFF (0 is the first); without it, a file of
    /// several pages is read as its first, and ``ImageReadOptions/warn`` is told how many there are.
    public static func read(_ path: String, options: ImageReadOptions = .init()) throws -> AnyImage {
        let file = try Reader(path: path, page: options.page)
        if options.page == nil, let warn = options.warn {
            let pages = Int(TIFFNumberOfDirectories(file.handle))
            if pages > 1 {
                warn("\(path): a TIFF of \(pages) pages; reading page 0, the first (choose one with --page N, 0 to \(pages - 1))")
            }
            if TIFFSetDirectory(file.handle, 0) != 1 { throw file.corrupt("cannot go back to the first page") }
        }
        let layout = try file.layout()
        try options.checkPixelCount(width: layout.width, height: layout.height, path: path)
        try file.checkComplete()
        if let integer = layout.storedInteger {
            // Signed or 32-bit integers: decoded as stored, then converted exactly to float32/float64.
            let stored = try Codecs.makeImage(layout.storedLayout.sampleType, width: layout.width, height: layout.height,
                                              channels: layout.channels, path: path) { target in
                try file.decode(layout.storedLayout, into: target)
            }
            let count = layout.width * layout.height * layout.channels
            return try Codecs.makeImage(layout.sampleType, width: layout.width, height: layout.height,
                                        channels: layout.channels, path: path) { target in
                RawImageView.with(stored) { source in
                    let raw = source.base
                    func value(_ index: Int) -> Double {
                        switch (integer.signed, integer.bits) {
                        case (true, 8): Double(raw.load(fromByteOffset: index, as: Int8.self))
                        case (true, 16): Double(raw.load(fromByteOffset: 2 * index, as: Int16.self))
                        case (true, _): Double(raw.load(fromByteOffset: 4 * index, as: Int32.self))
                        default: Double(raw.load(fromByteOffset: 4 * index, as: UInt32.self))
                        }
                    }
                    if layout.sampleType == .float32 {
                        let out = target.base.assumingMemoryBound(to: Float.self)
                        for index in 0..<count { out[index] = Float(value(index)) }
                    } else {
                        let out = target.base.assumingMemoryBound(to: Double.self)
                        for index in 0..<count { out[index] = value(index) }
                    }
                }
            }
        }
        return try Codecs.makeImage(layout.sampleType, width: layout.width, height: layout.height,
                                    channels: layout.channels, path: path) { target in
            try file.decode(layout, into: target)
        }
    }

    /// Encodes `image` to `temporary` (``ImageFile`` renames it to `reportedPath` when done).
    ///
    /// - Parameters:
    ///   - tileSize: write square tiles of this side (a multiple of 16) instead of strips.
    ///   - bigTIFF: force BigTIFF (`true`) or classic TIFF (`false`); `nil` chooses BigTIFF only when the
    ///     file might pass 4 GiB.
    public static func write(_ image: AnyImage, toTemporary temporary: String, reportedPath: String,
                             compression: TIFFCompression = .deflate, tileSize: Int? = nil,
                             bigTIFF: Bool? = nil, metadata: ImageMetadata = .none) throws {
        guard image.width > 0, image.height > 0, image.width <= Int(UInt32.max), image.height <= Int(UInt32.max) else {
            throw ImageFileError.unsupported(path: reportedPath, detail: "a TIFF must be 1 to 2^32-1 pixels a side, not \(image.width)×\(image.height)")
        }
        if let tileSize, tileSize <= 0 || tileSize % 16 != 0 {
            throw ImageFileError.cannotWrite(path: reportedPath, reason: "TIFF tile size \(tileSize) is not a positive multiple of 16")
        }
        let sampleType = image.sampleType
        let dataBytes = image.width * image.height * image.channels * sampleType.byteCount
        // Deflate/LZW can grow incompressible data slightly; leave generous room for that and the tags.
        let useBigTIFF = bigTIFF ?? (dataBytes + dataBytes / 32 + (64 << 20) >= 1 << 32)
        let messages = Messages()
        defer { withExtendedLifetime(messages) {} }  // libtiff holds an unretained pointer to it
        let handle = try messages.open(temporary, mode: useBigTIFF ? "w8" : "w", failure: { reason in
            ImageFileError.cannotWrite(path: reportedPath, reason: reason)
        })
        var closed = false
        defer { if !closed { TIFFClose(handle) } }
        func fail(_ fallback: String) -> ImageFileError {
            .cannotWrite(path: reportedPath, reason: messages.first ?? fallback)
        }
        // EXIF first: its IFDs are written before the image's directory, which, written last as usual, can
        // then point to them. A tag libtiff refuses is left out, and what it said about it forgotten.
        let exif = metadata.exif.flatMap { EXIFDirectories(stream: $0) }
        let exifPointers = exif?.writeSubdirectories(to: handle) ?? (nil, nil)
        messages.reset()
        func set(_ tag: Int32, _ values: CVarArg...) throws {
            let ok = withVaList(values) { TIFFVSetField(handle, UInt32(tag), $0) }
            if ok != 1 { throw fail("cannot set TIFF tag \(tag)") }
        }
        try set(TIFFTAG_IMAGEWIDTH, UInt32(image.width))
        try set(TIFFTAG_IMAGELENGTH, UInt32(image.height))
        try set(TIFFTAG_SAMPLESPERPIXEL, Int32(image.channels))
        try set(TIFFTAG_BITSPERSAMPLE, Int32(sampleType.byteCount * 8))
        try set(TIFFTAG_SAMPLEFORMAT, sampleType.isInteger ? SAMPLEFORMAT_UINT : SAMPLEFORMAT_IEEEFP)
        try set(TIFFTAG_PHOTOMETRIC, image.channels >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK)
        try set(TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG)
        if image.channels == 2 || image.channels == 4 {
            var alpha = UInt16(EXTRASAMPLE_UNASSALPHA)
            try withUnsafeMutablePointer(to: &alpha) { try set(TIFFTAG_EXTRASAMPLES, Int32(1), $0) }
        }
        switch compression {
        case .none: try set(TIFFTAG_COMPRESSION, COMPRESSION_NONE)
        case .lzw: try set(TIFFTAG_COMPRESSION, COMPRESSION_LZW)
        case .deflate: try set(TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE)
        }
        if compression != .none && sampleType.isInteger {
            try set(TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL)
        }
        try writeMetadata(metadata, to: handle, fail: fail)
        exif?.setPrimary(on: handle, pointers: exifPointers)
        messages.reset()
        let pixelBytes = image.channels * sampleType.byteCount
        let rowBytes = image.width * pixelBytes
        try RawImageView.with(image) { view in
            if let tileSize {
                try set(TIFFTAG_TILEWIDTH, UInt32(tileSize))
                try set(TIFFTAG_TILELENGTH, UInt32(tileSize))
                let tileRowBytes = tileSize * pixelBytes
                // libtiff's predictor and byte swapping work in place: always hand it a scratch copy.
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: tileRowBytes * tileSize, alignment: 16)
                defer { buffer.deallocate() }
                for tileY in stride(from: 0, to: view.height, by: tileSize) {
                    for tileX in stride(from: 0, to: view.width, by: tileSize) {
                        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: tileRowBytes * tileSize)
                        let rows = min(tileSize, view.height - tileY), columns = min(tileSize, view.width - tileX)
                        for row in 0..<rows {
                            (buffer + row * tileRowBytes).copyMemory(from: view.row(tileY + row) + tileX * pixelBytes,
                                                                     byteCount: columns * pixelBytes)
                        }
                        let tile = TIFFComputeTile(handle, UInt32(tileX), UInt32(tileY), 0, 0)
                        if TIFFWriteEncodedTile(handle, tile, buffer, tmsize_t(tileRowBytes * tileSize)) < 0 {
                            throw fail("cannot write tile at (\(tileX), \(tileY))")
                        }
                    }
                }
            } else {
                let rowsPerStrip = max(1, min(view.height, (1 << 20) / max(rowBytes, 1)))
                try set(TIFFTAG_ROWSPERSTRIP, UInt32(rowsPerStrip))
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: rowsPerStrip * rowBytes, alignment: 16)
                defer { buffer.deallocate() }
                for (strip, firstRow) in stride(from: 0, to: view.height, by: rowsPerStrip).enumerated() {
                    let rows = min(rowsPerStrip, view.height - firstRow)
                    if view.isContiguous {
                        buffer.copyMemory(from: view.row(firstRow), byteCount: rows * rowBytes)
                    } else {
                        for row in 0..<rows {
                            (buffer + row * rowBytes).copyMemory(from: view.row(firstRow + row), byteCount: rowBytes)
                        }
                    }
                    if TIFFWriteEncodedStrip(handle, UInt32(strip), buffer, tmsize_t(rows * rowBytes)) < 0 {
                        throw fail("cannot write the strip at row \(firstRow)")
                    }
                }
            }
        }
        // Flushing writes the directory; a failure (full disk) shows here, which TIFFClose would hide.
        if TIFFFlush(handle) != 1 { throw fail("cannot write the TIFF directory") }
        closed = true
        TIFFClose(handle)
    }

    // MARK: - Metadata

    /// The resolution, ICC profile (34675), XMP packet (700), GeoTIFF/GDAL tags
    /// (``ImageMetadata/TIFFTag/geoTags``) and EXIF of the first image of the TIFF at `path`.
    public static func readMetadata(_ path: String) throws -> ImageMetadata {
        try readMetadata(path, page: nil)
    }

    /// The metadata of page `page` (0 is the first; nil: the first) of the TIFF at `path`: its resolution,
    /// ICC profile (34675), XMP packet (700), GeoTIFF/GDAL tags (``ImageMetadata/TIFFTag/geoTags``) and
    /// EXIF. libtiff reads tags it does not know (the GeoTIFF ones) as anonymous fields; their values come
    /// back as stored. EXIF is the page's EXIF and GPS IFDs with its camera, date and orientation tags,
    /// rewritten by libtiff as the stream a JPEG or PNG holds (``EXIFDirectories``).
    public static func readMetadata(_ path: String, page: Int?) throws -> ImageMetadata {
        let reader = try Reader(path: path, page: page)
        let handle = reader.handle
        var metadata = ImageMetadata()
        if let x = reader.field(TIFFTAG_XRESOLUTION, Float(0), defaulted: false),
           let y = reader.field(TIFFTAG_YRESOLUTION, Float(0), defaulted: false) {
            let unit = reader.field(TIFFTAG_RESOLUTIONUNIT, UInt16(RESUNIT_INCH)) ?? UInt16(RESUNIT_INCH)
            metadata.resolution = .init(x: Double(x), y: Double(y), unit: unit)
        }
        func counted(_ tag: UInt32, wide: Bool) -> (count: Int, pointer: UnsafeMutableRawPointer)? {
            var count32: UInt32 = 0, count16: UInt16 = 0
            var pointer: UnsafeMutableRawPointer? = nil
            let ok = withUnsafeMutablePointer(to: &count32) { c32 in
                withUnsafeMutablePointer(to: &count16) { c16 in
                    withUnsafeMutablePointer(to: &pointer) { p in
                        withVaList([wide ? OpaquePointer(c32) : OpaquePointer(c16), p]) { TIFFVGetField(handle, tag, $0) }
                    }
                }
            }
            guard ok == 1, let pointer else { return nil }
            return (wide ? Int(count32) : Int(count16), pointer)
        }
        if let (count, pointer) = counted(UInt32(TIFFTAG_ICCPROFILE), wide: true), count > 0 {
            metadata.iccProfile = Array(UnsafeRawBufferPointer(start: pointer, count: count))
        }
        if let (count, pointer) = counted(UInt32(TIFFTAG_XMLPACKET), wide: true), count > 0 {
            metadata.xmp = Array(UnsafeRawBufferPointer(start: pointer, count: count))
        }
        for tag in ImageMetadata.TIFFTag.geoTags {
            guard let field = TIFFFindField(handle, UInt32(tag), TIFF_NOTYPE), TIFFFieldPassCount(field) != 0 else { continue }
            let type = TIFFFieldDataType(field)
            let elementSize = Int(TIFFDataWidth(type))
            guard elementSize > 0, let values = counted(UInt32(tag), wide: TIFFFieldReadCount(field) == TIFF_VARIABLE2) else { continue }
            metadata.tiffTags.append(.init(tag: tag, type: UInt16(type.rawValue), count: values.count,
                                           bytes: Array(UnsafeRawBufferPointer(start: values.pointer, count: values.count * elementSize))))
        }
        // Last: reading the EXIF and GPS IFDs leaves the page's directory.
        metadata.exif = EXIFDirectories(readingFrom: handle)?.stream()
        return metadata
    }

    /// Sets `metadata`'s tags on a TIFF being written, registering the GeoTIFF/GDAL tags libtiff does not
    /// know (`TIFFMergeFieldInfo`, variable count). EXIF is written by ``EXIFDirectories``.
    static func writeMetadata(_ metadata: ImageMetadata, to handle: OpaquePointer,
                              fail: (String) -> ImageFileError) throws {
        func set(_ tag: UInt32, _ values: CVarArg...) throws {
            let ok = withVaList(values) { TIFFVSetField(handle, tag, $0) }
            if ok != 1 { throw fail("cannot set TIFF tag \(tag)") }
        }
        if let resolution = metadata.resolution {
            try set(UInt32(TIFFTAG_XRESOLUTION), resolution.x)
            try set(UInt32(TIFFTAG_YRESOLUTION), resolution.y)
            try set(UInt32(TIFFTAG_RESOLUTIONUNIT), Int32(resolution.unit))
        }
        if let icc = metadata.iccProfile, !icc.isEmpty {
            try icc.withUnsafeBytes { try set(UInt32(TIFFTAG_ICCPROFILE), UInt32(icc.count), OpaquePointer($0.baseAddress!)) }
        }
        if let xmp = metadata.xmp, !xmp.isEmpty {
            try xmp.withUnsafeBytes { try set(UInt32(TIFFTAG_XMLPACKET), UInt32(xmp.count), OpaquePointer($0.baseAddress!)) }
        }
        for tag in metadata.tiffTags where !tag.bytes.isEmpty {
            let type = TIFFDataType(rawValue: UInt32(tag.type))
            guard TIFFDataWidth(type) > 0,
                  tag.bytes.count == tag.count * Int(TIFFDataWidth(type)) else { continue }
            if TIFFFindField(handle, UInt32(tag.tag), type) == nil {
                var info = TIFFFieldInfo(field_tag: UInt32(tag.tag), field_readcount: Int16(TIFF_VARIABLE2),
                                         field_writecount: Int16(TIFF_VARIABLE2), field_type: type,
                                         field_bit: UInt16(FIELD_CUSTOM), field_oktochange: 1, field_passcount: 1,
                                         field_name: Self.fieldNames[tag.tag] ?? Self.fieldNames[0]!)
                if TIFFMergeFieldInfo(handle, &info, 1) != 0 { throw fail("cannot register TIFF tag \(tag.tag)") }
            }
            try tag.bytes.withUnsafeBytes { try set(UInt32(tag.tag), UInt32(tag.count), OpaquePointer($0.baseAddress!)) }
        }
    }

    /// Names for the tags registered on write (libtiff keeps the pointers: static, never freed).
    nonisolated(unsafe) static let fieldNames: [UInt16: UnsafeMutablePointer<CChar>] = {
        let names: [UInt16: String] = [0: "Unknown", 33550: "ModelPixelScaleTag", 33922: "ModelTiepointTag",
                                       34264: "ModelTransformationTag", 34735: "GeoKeyDirectoryTag",
                                       34736: "GeoDoubleParamsTag", 34737: "GeoAsciiParamsTag",
                                       42112: "GDAL_METADATA", 42113: "GDAL_NODATA"]
        return names.mapValues { strdup($0)! }
    }()

    // MARK: - Messages

    /// Keeps libtiff's error messages for one open file, instead of letting libtiff print them.
    final class Messages {
        private(set) var errors: [String] = []
        /// The first message since the last ``reset()``: libtiff reports the cause first and its
        /// consequences ("Failed to read directory") after.
        var first: String? { errors.first }
        func reset() { errors.removeAll() }

        /// libtiff's process-wide handlers print to stderr; they are replaced once by silent ones. Each
        /// open file then gets its own handler (``errorHandler``), so messages go to the right caller.
        private static let silenceGlobalHandlers: Void = {
            TIFFSetErrorHandler(nil)
            TIFFSetWarningHandler(nil)
        }()

        /// Opens `path` with our handlers installed, or throws `failure(message)`.
        func open(_ path: String, mode: String, failure: (String) -> ImageFileError) throws -> OpaquePointer {
            guard let handle = open({ TIFFOpenExt(path, mode, $0) }) else {
                throw failure(first ?? "libtiff cannot open it")
            }
            return handle
        }

        /// Calls `opener` with libtiff open options that install our handlers (`TIFFOpenExt`,
        /// `TIFFClientOpenExt`), and gives back what it opened.
        func open(_ opener: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
            _ = Messages.silenceGlobalHandlers
            guard let options = TIFFOpenOptionsAlloc() else {
                append("out of memory")
                return nil
            }
            defer { TIFFOpenOptionsFree(options) }
            let me = Unmanaged.passUnretained(self).toOpaque()
            TIFFOpenOptionsSetErrorHandlerExtR(options, errorHandler, me)
            TIFFOpenOptionsSetWarningHandlerExtR(options, warningHandler, nil)
            guard let handle = opener(options) else { return nil }
            reset()  // anything said while opening a file that opened is not the cause of a later failure
            return handle
        }

        func append(_ message: String) { errors.append(message) }
    }

    // MARK: - Reading

    /// How the first image's samples are laid out in the file.
    struct Layout {
        var width, height, channels: Int
        var sampleType: SampleType
        var separatePlanes: Bool
        var tiled: Bool
        /// Decoded through libtiff's RGBA interface (``Reader/rgbaLayout()``), not as stored.
        var viaRGBA = false
        /// 12-bit samples packed two to three bytes (big-endian bit order), unpacked to `UInt16`.
        var packed12 = false
        /// Integer samples we hold as floats (signed 8/16/32-bit, unsigned 32-bit): decoded as stored, then
        /// converted exactly (``TIFF/read(_:options:)``).
        var storedInteger: (signed: Bool, bits: Int)? = nil
        /// The layout of the stored samples of a ``storedInteger`` image: same byte size, our types.
        var storedLayout: Layout {
            var stored = self
            stored.storedInteger = nil
            if let integer = storedInteger {
                stored.sampleType = integer.bits == 8 ? .uint8 : integer.bits == 16 ? .uint16 : .float32
            }
            return stored
        }
    }

    /// An open TIFF file being read.
    final class Reader {
        let path: String
        let handle: OpaquePointer
        let messages: Messages
        let fileSize: Int

        init(path: String, page: Int? = nil) throws {
            self.path = path
            var status = stat()
            try FileSystem.checkReadable(path)
            guard stat(path, &status) == 0 else { throw ImageFileError.unreadable(path: path, reason: FileSystem.lastErrorText) }
            let fileSize = Int(status.st_size)
            let messages = Messages()
            self.fileSize = fileSize
            self.messages = messages
            handle = try messages.open(path, mode: "r", failure: { reason in
                // libtiff writes the directory after the pixels, so a cut file usually loses it: say so.
                TIFF.directoryIsPastEnd(path: path, fileSize: fileSize)
                    ? .truncated(path: path, format: .tiff)
                    : .corrupt(path: path, format: .tiff, detail: reason)
            })
            if let page, page != 0 {
                guard page > 0, page <= Int(UInt32.max) / 2, TIFFSetDirectory(handle, UInt32(page)) == 1 else {
                    let pages = Int(TIFFNumberOfDirectories(handle))
                    throw ImageFileError.unsupported(path: path, detail: "no page \(page): the TIFF has \(pages) page\(pages == 1 ? "" : "s") (--page 0 to \(pages - 1))")
                }
            }
        }

        deinit { TIFFClose(handle) }

        func corrupt(_ fallback: String) -> ImageFileError {
            .corrupt(path: path, format: .tiff, detail: messages.first ?? fallback)
        }

        /// A tag's value, or its default when the file omits it and the TIFF spec gives one.
        func field<T>(_ tag: Int32, _ initial: T, defaulted: Bool = true) -> T? {
            var value = initial
            let ok = withUnsafeMutablePointer(to: &value) { pointer in
                withVaList([pointer]) {
                    defaulted ? TIFFVGetFieldDefaulted(handle, UInt32(tag), $0) : TIFFVGetField(handle, UInt32(tag), $0)
                }
            }
            return ok == 1 ? value : nil
        }

        /// The layout of the first image: read as stored when we can (``directLayout()``), else through
        /// libtiff's RGBA interface when that reads it (``rgbaLayout()``).
        func layout() throws -> Layout {
            do {
                return try directLayout()
            } catch let error as ImageFileError {
                guard case .unsupported = error, let layout = rgbaLayout() else { throw error }
                return layout
            }
        }

        /// What libtiff's RGBA interface (`TIFFReadRGBAImage`) makes of the images we do not read as stored:
        /// 1/2/4-bit gray (CCITT G3/G4 fax included) and min-is-white gray, scaled to 8 bits (1-bit black is 0,
        /// white 255); palette images expanded to RGB through their colour map; YCbCr and CIE Lab converted to
        /// RGB. 8-bit results: 1 channel for gray, 3 for colour, plus alpha when the file has it. Signed,
        /// float and CMYK samples are not read this way (their values would be wrong).
        func rgbaLayout() -> Layout? {
            guard let width = field(TIFFTAG_IMAGEWIDTH, UInt32(0), defaulted: false),
                  let height = field(TIFFTAG_IMAGELENGTH, UInt32(0), defaulted: false), width > 0, height > 0 else { return nil }
            let format = Int32(field(TIFFTAG_SAMPLEFORMAT, UInt16(SAMPLEFORMAT_UINT)) ?? UInt16(SAMPLEFORMAT_UINT))
            let photometric = field(TIFFTAG_PHOTOMETRIC, UInt16(PHOTOMETRIC_MINISBLACK), defaulted: false)
                .map(Int32.init) ?? PHOTOMETRIC_MINISBLACK
            guard format == SAMPLEFORMAT_UINT, photometric != PHOTOMETRIC_SEPARATED else { return nil }
            var message = [CChar](repeating: 0, count: 1024)
            guard TIFFRGBAImageOK(handle, &message) == 1 else { return nil }
            let samples = Int(field(TIFFTAG_SAMPLESPERPIXEL, UInt16(1)) ?? 1)
            var extraCount: UInt16 = 0
            var extraTypes: UnsafeMutablePointer<UInt16>? = nil
            let hasExtra = withUnsafeMutablePointer(to: &extraCount) { count in
                withUnsafeMutablePointer(to: &extraTypes) { types in
                    withVaList([count, types]) { TIFFVGetFieldDefaulted(handle, UInt32(TIFFTAG_EXTRASAMPLES), $0) }
                }
            } == 1 && extraCount > 0
            let gray = (photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE)
                && samples - Int(hasExtra ? extraCount : 0) == 1
            let channels = (gray ? 1 : 3) + (hasExtra ? 1 : 0)
            return Layout(width: Int(width), height: Int(height), channels: channels, sampleType: .uint8,
                          separatePlanes: false, tiled: TIFFIsTiled(handle) != 0, viaRGBA: true)
        }

        /// Decodes 12-bit strips (any compression libtiff decodes) and unpacks each row's samples, two in
        /// three bytes, most significant bits first, into `UInt16` values 0...4095.
        func decodePacked12(_ layout: Layout, into target: MutableRawImageView) throws {
            let samplesPerRow = layout.width * layout.channels
            let packedRow = (samplesPerRow * 12 + 7) / 8
            let rowsPerStrip = min(Int(field(TIFFTAG_ROWSPERSTRIP, UInt32(UInt32.max)) ?? UInt32.max), layout.height)
            guard rowsPerStrip > 0, Int(TIFFStripSize64(handle)) >= packedRow * min(rowsPerStrip, layout.height) else {
                throw corrupt("12-bit strips of an unexpected size")
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: packedRow * rowsPerStrip, alignment: 16)
            defer { buffer.deallocate() }
            for (strip, firstRow) in stride(from: 0, to: layout.height, by: rowsPerStrip).enumerated() {
                let rows = min(rowsPerStrip, layout.height - firstRow)
                if TIFFReadEncodedStrip(handle, UInt32(strip), buffer, tmsize_t(rows * packedRow)) < 0 {
                    throw corrupt("cannot decode strip \(strip)")
                }
                for row in 0..<rows {
                    let source = (buffer + row * packedRow).assumingMemoryBound(to: UInt8.self)
                    let out = target.row(firstRow + row).assumingMemoryBound(to: UInt16.self)
                    for index in 0..<samplesPerRow {
                        let bit = index * 12, byte = bit / 8
                        let high = UInt16(source[byte]), low = UInt16(byte + 1 < packedRow ? source[byte + 1] : 0)
                        let pair = high << 8 | low
                        out[index] = bit % 8 == 0 ? pair >> 4 : pair & 0x0FFF
                    }
                }
            }
        }

        /// Decodes through `TIFFReadRGBAImageOriented` (top-left origin) and keeps the layout's channels.
        func decodeRGBA(_ layout: Layout, into target: MutableRawImageView) throws {
            let count = layout.width * layout.height
            let raster = UnsafeMutablePointer<UInt32>.allocate(capacity: count)
            defer { raster.deallocate() }
            guard TIFFReadRGBAImageOriented(handle, UInt32(layout.width), UInt32(layout.height), raster,
                                            Int32(ORIENTATION_TOPLEFT), 1) == 1 else {
                throw corrupt("libtiff cannot decode the image to RGBA")
            }
            // Each raster pixel is ABGR in a 32-bit word: R in the low byte.
            for y in 0..<layout.height {
                let row = target.row(y).assumingMemoryBound(to: UInt8.self)
                let source = raster + y * layout.width
                for x in 0..<layout.width {
                    let pixel = source[x]
                    let r = UInt8(pixel & 0xFF), g = UInt8((pixel >> 8) & 0xFF), b = UInt8((pixel >> 16) & 0xFF)
                    let a = UInt8(pixel >> 24)
                    switch layout.channels {
                    case 1: row[x] = r
                    case 2: row[2 * x] = r; row[2 * x + 1] = a
                    case 3: row[3 * x] = r; row[3 * x + 1] = g; row[3 * x + 2] = b
                    default: row[4 * x] = r; row[4 * x + 1] = g; row[4 * x + 2] = b; row[4 * x + 3] = a
                    }
                }
            }
        }

        func directLayout() throws -> Layout {
            guard let width = field(TIFFTAG_IMAGEWIDTH, UInt32(0), defaulted: false),
                  let height = field(TIFFTAG_IMAGELENGTH, UInt32(0), defaulted: false) else {
                throw corrupt("no image width or length")
            }
            let channels = Int(field(TIFFTAG_SAMPLESPERPIXEL, UInt16(1)) ?? 1)
            let bits = Int(field(TIFFTAG_BITSPERSAMPLE, UInt16(1)) ?? 1)
            let format = Int32(field(TIFFTAG_SAMPLEFORMAT, UInt16(SAMPLEFORMAT_UINT)) ?? UInt16(SAMPLEFORMAT_UINT))
            let planar = Int32(field(TIFFTAG_PLANARCONFIG, UInt16(PLANARCONFIG_CONTIG)) ?? UInt16(PLANARCONFIG_CONTIG))
            let photometric = field(TIFFTAG_PHOTOMETRIC, UInt16(PHOTOMETRIC_MINISBLACK), defaulted: false)
                .map(Int32.init) ?? PHOTOMETRIC_MINISBLACK
            let compression = Int32(field(TIFFTAG_COMPRESSION, UInt16(COMPRESSION_NONE)) ?? UInt16(COMPRESSION_NONE))
            // Said first, whatever its samples: "5 samples per pixel" would not tell a CMYK+alpha file for what it is.
            if photometric == PHOTOMETRIC_SEPARATED {
                throw ImageFileError.unsupported(
                    path: path,
                    detail: "CMYK (separated) TIFF, \(channels) samples of \(bits) bits (we read gray and RGB, with or without alpha; convert it to RGB first)")
            }

            let sampleType: SampleType
            switch (format, bits) {
            case (SAMPLEFORMAT_UINT, 8): sampleType = .uint8
            case (SAMPLEFORMAT_UINT, 16): sampleType = .uint16
            case (SAMPLEFORMAT_UINT, 12): sampleType = .uint16  // unpacked, values kept (0...4095)
            case (SAMPLEFORMAT_INT, 8), (SAMPLEFORMAT_INT, 16): sampleType = .float32
            case (SAMPLEFORMAT_INT, 32), (SAMPLEFORMAT_UINT, 32): sampleType = .float64
            case (SAMPLEFORMAT_IEEEFP, 32): sampleType = .float32
            case (SAMPLEFORMAT_IEEEFP, 64): sampleType = .float64
            default:
                let kind = switch format {
                case SAMPLEFORMAT_UINT: "unsigned integer"
                case SAMPLEFORMAT_INT: "signed integer"
                case SAMPLEFORMAT_IEEEFP: "float"
                case SAMPLEFORMAT_COMPLEXINT, SAMPLEFORMAT_COMPLEXIEEEFP: "complex"
                default: "format-\(format)"
                }
                throw ImageFileError.unsupported(
                    path: path,
                    detail: "TIFF with \(bits)-bit \(kind) samples (we read 8/16-bit unsigned integer and 32/64-bit float)")
            }
            guard (1...4).contains(channels) else {
                throw ImageFileError.unsupported(path: path, detail: "TIFF with \(channels) samples per pixel (images have 1 to 4 channels)")
            }
            switch photometric {
            case PHOTOMETRIC_MINISBLACK, PHOTOMETRIC_RGB:
                break
            case PHOTOMETRIC_YCBCR where compression == COMPRESSION_JPEG && sampleType == .uint8 && channels == 3:
                // JPEG-in-TIFF: let libjpeg convert to RGB while decoding.
                let ok = withVaList([JPEGCOLORMODE_RGB]) { TIFFVSetField(handle, UInt32(TIFFTAG_JPEGCOLORMODE), $0) }
                guard ok == 1 else { throw corrupt("cannot convert YCbCr to RGB") }
            default:
                let name = switch photometric {
                case PHOTOMETRIC_MINISWHITE: "min-is-white gray"
                case PHOTOMETRIC_PALETTE: "palette colour"
                case PHOTOMETRIC_YCBCR: "YCbCr"
                case PHOTOMETRIC_CIELAB, PHOTOMETRIC_ICCLAB, PHOTOMETRIC_ITULAB: "Lab colour"
                case PHOTOMETRIC_MASK: "transparency mask"
                default: "photometric \(photometric)"
                }
                throw ImageFileError.unsupported(path: path, detail: "\(name) TIFF (we read gray and RGB, with or without alpha)")
            }
            var layout = Layout(width: Int(width), height: Int(height), channels: channels, sampleType: sampleType,
                                separatePlanes: planar == PLANARCONFIG_SEPARATE && channels > 1,
                                tiled: TIFFIsTiled(handle) != 0)
            if bits == 12 {
                guard !layout.separatePlanes, !layout.tiled else {
                    throw ImageFileError.unsupported(path: path, detail: "12-bit TIFF in tiles or separate planes (we read 12-bit strips of interleaved samples)")
                }
                layout.packed12 = true
            }
            if format == SAMPLEFORMAT_INT || bits == 32 && format == SAMPLEFORMAT_UINT {
                layout.storedInteger = (signed: format == SAMPLEFORMAT_INT, bits: bits)
            }
            guard layout.width > 0, layout.height > 0 else { throw corrupt("declares a size of \(width)×\(height)") }
            return layout
        }

        /// Throws ``ImageFileError/truncated(path:format:)`` when a strip or tile lies past the end of the file.
        func checkComplete() throws {
            let count = TIFFIsTiled(handle) != 0 ? TIFFNumberOfTiles(handle) : TIFFNumberOfStrips(handle)
            for index in 0..<count {
                var failed: Int32 = 0
                let offset = TIFFGetStrileOffsetWithErr(handle, index, &failed)
                if failed != 0 { throw corrupt("cannot read the offset of strip or tile \(index)") }
                let length = TIFFGetStrileByteCountWithErr(handle, index, &failed)
                if failed != 0 { throw corrupt("cannot read the length of strip or tile \(index)") }
                let (end, overflow) = offset.addingReportingOverflow(length)
                if overflow || end > UInt64(fileSize) {
                    throw ImageFileError.truncated(path: path, format: .tiff)
                }
            }
        }

        /// Decodes every strip or tile into `target`.
        func decode(_ layout: Layout, into target: MutableRawImageView) throws {
            if layout.viaRGBA { return try decodeRGBA(layout, into: target) }
            if layout.packed12 { return try decodePacked12(layout, into: target) }
            let sampleBytes = layout.sampleType.byteCount
            let pixelBytes = layout.channels * sampleBytes
            let planes = layout.separatePlanes ? layout.channels : 1
            /// Bytes per pixel in one decoded strip or tile: all channels, or one plane.
            let storedPixelBytes = layout.separatePlanes ? sampleBytes : pixelBytes

            if layout.tiled {
                guard let tileWidth = field(TIFFTAG_TILEWIDTH, UInt32(0)).map(Int.init),
                      let tileHeight = field(TIFFTAG_TILELENGTH, UInt32(0)).map(Int.init),
                      tileWidth > 0, tileHeight > 0 else { throw corrupt("bad tile size") }
                // A tile may overhang the image, but not by absurd amounts: its buffer is allocated here.
                guard tileWidth.multipliedReportingOverflow(by: tileHeight).partialValue <= max(4 * layout.width * layout.height, 1 << 22),
                      tileWidth <= 1 << 20, tileHeight <= 1 << 20 else {
                    throw ImageFileError.corrupt(path: path, format: .tiff,
                                                 detail: "tiles of \(tileWidth)×\(tileHeight) for a \(layout.width)×\(layout.height) image")
                }
                let tileBytes = tileWidth * tileHeight * storedPixelBytes
                guard Int(TIFFTileSize64(handle)) == tileBytes else {
                    throw ImageFileError.unsupported(path: path, detail: "TIFF tiles whose size libtiff computes differently (subsampled?)")
                }
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: tileBytes, alignment: 16)
                defer { buffer.deallocate() }
                for plane in 0..<planes {
                    for tileY in stride(from: 0, to: layout.height, by: tileHeight) {
                        for tileX in stride(from: 0, to: layout.width, by: tileWidth) {
                            let tile = TIFFComputeTile(handle, UInt32(tileX), UInt32(tileY), 0, UInt16(plane))
                            let got = Int(TIFFReadEncodedTile(handle, tile, buffer, tmsize_t(tileBytes)))
                            guard got == tileBytes else { throw corrupt("cannot decode the tile at (\(tileX), \(tileY))") }
                            let rows = min(tileHeight, layout.height - tileY), columns = min(tileWidth, layout.width - tileX)
                            for row in 0..<rows {
                                let source = buffer + row * tileWidth * storedPixelBytes
                                let destination = target.row(tileY + row) + tileX * pixelBytes
                                if layout.separatePlanes {
                                    scatter(source, to: destination + plane * sampleBytes, count: columns,
                                            sampleBytes: sampleBytes, channels: layout.channels)
                                } else {
                                    destination.copyMemory(from: source, byteCount: columns * pixelBytes)
                                }
                            }
                        }
                    }
                }
            } else {
                let declared = field(TIFFTAG_ROWSPERSTRIP, UInt32.max).map(Int.init) ?? layout.height
                let rowsPerStrip = max(1, min(declared, layout.height))
                guard Int(TIFFScanlineSize64(handle)) == layout.width * storedPixelBytes else {
                    throw ImageFileError.unsupported(path: path, detail: "TIFF rows whose size libtiff computes differently (subsampled?)")
                }
                let stripRowBytes = layout.width * storedPixelBytes
                let buffer: UnsafeMutableRawPointer? = layout.separatePlanes
                    ? .allocate(byteCount: rowsPerStrip * stripRowBytes, alignment: 16) : nil
                defer { buffer?.deallocate() }
                for plane in 0..<planes {
                    for firstRow in stride(from: 0, to: layout.height, by: rowsPerStrip) {
                        let rows = min(rowsPerStrip, layout.height - firstRow)
                        let strip = TIFFComputeStrip(handle, UInt32(firstRow), UInt16(plane))
                        let expected = rows * stripRowBytes
                        if let buffer {
                            let got = Int(TIFFReadEncodedStrip(handle, strip, buffer, tmsize_t(expected)))
                            guard got == expected else { throw corrupt("cannot decode the strip at row \(firstRow)") }
                            for row in 0..<rows {
                                scatter(buffer + row * stripRowBytes, to: target.row(firstRow + row) + plane * sampleBytes,
                                        count: layout.width, sampleBytes: sampleBytes, channels: layout.channels)
                            }
                        } else {
                            // Contiguous samples: decode straight into the image.
                            let got = Int(TIFFReadEncodedStrip(handle, strip, target.row(firstRow), tmsize_t(expected)))
                            guard got == expected else { throw corrupt("cannot decode the strip at row \(firstRow)") }
                        }
                    }
                }
            }
        }

        /// Copies `count` samples of one plane into every `channels`-th sample slot of `destination`.
        private func scatter(_ source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count: Int,
                             sampleBytes: Int, channels: Int) {
            func run<T>(_ type: T.Type) {
                let from = source.assumingMemoryBound(to: T.self)
                let to = destination.assumingMemoryBound(to: T.self)
                for index in 0..<count { to[index &* channels] = from[index] }
            }
            switch sampleBytes {
            case 1: run(UInt8.self)
            case 2: run(UInt16.self)
            case 4: run(UInt32.self)
            default: run(UInt64.self)
            }
        }
    }

    /// Whether the file's first directory offset points past its end (a cut file).
    static func directoryIsPastEnd(path: String, fileSize: Int) -> Bool {
        guard let prefix = try? FileSystem.readPrefix(path, count: 16), prefix.count >= 8 else { return true }
        let little = prefix[0] == 0x49
        func number(_ range: Range<Int>) -> UInt64 {
            let bytes = little ? Array(prefix[range].reversed()) : Array(prefix[range])
            return bytes.reduce(0) { $0 << 8 | UInt64($1) }
        }
        let isBig = number(2..<4) == 43
        if isBig {
            guard prefix.count >= 16 else { return true }
            let offset = number(8..<16)  // any 64-bit value: + 8 could overflow (found by FuzzTIFF)
            return offset > UInt64(fileSize) || UInt64(fileSize) - offset < 8
        }
        return number(4..<8) + 2 > UInt64(fileSize)
    }
}

/// libtiff's per-file error handler: formats the message into the file's ``TIFF/Messages``.
/// Returning 1 tells libtiff the message is handled (no global handler runs).
private let errorHandler: TIFFErrorHandlerExtR = { _, userData, module, format, arguments in
    guard let userData, let format, let arguments else { return 1 }
    var buffer = [CChar](repeating: 0, count: 512)
    _ = vsnprintf(&buffer, buffer.count, format, arguments)
    let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.split(separator: "\n").joined(separator: " ")
    let messages = Unmanaged<TIFF.Messages>.fromOpaque(userData).takeUnretainedValue()
    messages.append(text)
    return 1
}

/// Warnings (unknown tags and the like) are dropped: they never stop a read.
private let warningHandler: TIFFErrorHandlerExtR = { _, _, _, _, _ in 1 }
