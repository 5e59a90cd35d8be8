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
        let file = try Reader(path: path)
        let layout = try file.layout()
        return ImageInfo(width: layout.width, height: layout.height, channels: layout.channels,
                         sampleType: layout.sampleType, format: .tiff)
    }

    /// Decodes the first image of the file at `path`.
    public static func read(_ path: String, options: ImageReadOptions = .init()) throws -> AnyImage {
        let file = try Reader(path: path)
        let layout = try file.layout()
        try options.checkPixelCount(width: layout.width, height: layout.height, path: path)
        try file.checkComplete()
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
                             bigTIFF: Bool? = nil) throws {
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
            _ = Messages.silenceGlobalHandlers
            guard let options = TIFFOpenOptionsAlloc() else { throw failure("out of memory") }
            defer { TIFFOpenOptionsFree(options) }
            let me = Unmanaged.passUnretained(self).toOpaque()
            TIFFOpenOptionsSetErrorHandlerExtR(options, errorHandler, me)
            TIFFOpenOptionsSetWarningHandlerExtR(options, warningHandler, nil)
            guard let handle = TIFFOpenExt(path, mode, options) else {
                throw failure(first ?? "libtiff cannot open it")
            }
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
    }

    /// An open TIFF file being read.
    final class Reader {
        let path: String
        let handle: OpaquePointer
        let messages: Messages
        let fileSize: Int

        init(path: String) throws {
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

        func layout() throws -> Layout {
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

            let sampleType: SampleType
            switch (format, bits) {
            case (SAMPLEFORMAT_UINT, 8): sampleType = .uint8
            case (SAMPLEFORMAT_UINT, 16): sampleType = .uint16
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
                case PHOTOMETRIC_SEPARATED: "CMYK (separated)"
                case PHOTOMETRIC_YCBCR: "YCbCr"
                case PHOTOMETRIC_CIELAB, PHOTOMETRIC_ICCLAB, PHOTOMETRIC_ITULAB: "Lab colour"
                case PHOTOMETRIC_MASK: "transparency mask"
                default: "photometric \(photometric)"
                }
                throw ImageFileError.unsupported(path: path, detail: "\(name) TIFF (we read gray and RGB, with or without alpha)")
            }
            let layout = Layout(width: Int(width), height: Int(height), channels: channels, sampleType: sampleType,
                                separatePlanes: planar == PLANARCONFIG_SEPARATE && channels > 1,
                                tiled: TIFFIsTiled(handle) != 0)
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
