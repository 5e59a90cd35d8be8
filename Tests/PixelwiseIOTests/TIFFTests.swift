import CTIFF
import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

@Suite("TIFF")
struct TIFFTests {
    static let compressions = TIFFCompression.allCases

    @Test("writes and reads back identically, every type, channel count and compression",
          arguments: RoundTripCase.all(types: SampleType.allCases, channels: [1, 2, 3, 4]), compressions)
    func roundTrip(_ testCase: RoundTripCase, compression: TIFFCompression) throws {
        let folder = TemporaryFolder()
        let path = folder.file("image.tif")
        let image = randomAnyImage(testCase.sampleType, width: testCase.width, height: testCase.height,
                                   channels: testCase.channels, seed: testCase.seed)
        try ImageFile.write(image, to: path, options: .init(tiffCompression: compression))
        #expect(try ImageFile.read(path) == image)
        #expect(try ImageFile.info(path) == ImageInfo(width: testCase.width, height: testCase.height,
                                                      channels: testCase.channels, sampleType: testCase.sampleType,
                                                      format: .tiff))
        #expect(bytes(of: path)[2] == 42, "classic TIFF for small images")
    }

    @Test("compression and predictor tags are what was asked for", arguments: compressions, SampleType.allCases)
    func tags(compression: TIFFCompression, type: SampleType) throws {
        let folder = TemporaryFolder()
        let path = folder.file("tags.tif")
        try ImageFile.write(randomAnyImage(type, width: 20, height: 10, channels: 3, seed: 1), to: path,
                            options: .init(tiffCompression: compression))
        try withTIFF(path, "r") { tiff in
            let expected: Int32 = switch compression {
            case .none: COMPRESSION_NONE
            case .lzw: COMPRESSION_LZW
            case .deflate: COMPRESSION_ADOBE_DEFLATE
            }
            #expect(Int32(field(tiff, TIFFTAG_COMPRESSION, UInt16(0))) == expected)
            let predictor = Int32(field(tiff, TIFFTAG_PREDICTOR, UInt16(PREDICTOR_NONE)))
            // libtiff reports 0 or 1 (none) when no predictor applies.
            #expect((predictor == PREDICTOR_HORIZONTAL) == (compression != .none && type.isInteger))
        }
    }

    @Test("compression pays on photo-like images")
    func compressionPays() throws {
        let folder = TemporaryFolder()
        let image = AnyImage.uint8(photoLikeImage(width: 200, height: 100, channels: 3, seed: 2))
        var sizes = [TIFFCompression: Int]()
        for compression in TIFFCompression.allCases {
            let path = folder.file("\(compression).tif")
            try ImageFile.write(image, to: path, options: .init(tiffCompression: compression))
            sizes[compression] = bytes(of: path).count
            #expect(try ImageFile.read(path) == image)
        }
        #expect(sizes[.lzw]! < sizes[.none]! && sizes[.deflate]! < sizes[.none]!)
    }

    @Test("tiled files (tiles overhanging the edges) read back identically",
          arguments: SampleType.allCases, [1, 2, 3, 4])
    func tiled(type: SampleType, channels: Int) throws {
        let folder = TemporaryFolder()
        let path = folder.file("tiled.tif")
        for (width, height) in [(1, 1), (33, 9), (40, 47), (16, 16)] {
            let image = randomAnyImage(type, width: width, height: height, channels: channels, seed: UInt64(width * height))
            try AtomicFile.write(to: path) { temporary in
                try TIFF.write(image, toTemporary: temporary, reportedPath: path, compression: .deflate, tileSize: 16)
            }
            try withTIFF(path, "r") { tiff in #expect(TIFFIsTiled(tiff) != 0) }
            #expect(try ImageFile.read(path) == image)
        }
    }

    @Test("BigTIFF reads back identically", arguments: [TIFFCompression.none, .deflate])
    func bigTIFF(compression: TIFFCompression) throws {
        let folder = TemporaryFolder()
        let path = folder.file("big.tif")
        let image = randomAnyImage(.uint16, width: 37, height: 21, channels: 3, seed: 11)
        try AtomicFile.write(to: path) { temporary in
            try TIFF.write(image, toTemporary: temporary, reportedPath: path, compression: compression, bigTIFF: true)
        }
        #expect(bytes(of: path)[2] == 43, "BigTIFF signature")
        #expect(try ImageFile.format(of: path) == .tiff)
        #expect(try ImageFile.read(path) == image)
        // Tiled BigTIFF too.
        try AtomicFile.write(to: path) { temporary in
            try TIFF.write(image, toTemporary: temporary, reportedPath: path, compression: compression, tileSize: 32, bigTIFF: true)
        }
        #expect(try ImageFile.read(path) == image)
    }

    @Test("separate planes, in strips or tiles, big- or little-endian, interleave on read",
          arguments: [SampleType.uint8, .uint16, .float32, .float64], [false, true])
    func separatePlanes(type: SampleType, tiles: Bool) throws {
        let folder = TemporaryFolder()
        for (channels, bigEndian) in [(3, false), (2, true), (4, true)] {
            let path = folder.file("planar.tif")
            let width = 21, height = 11
            let image = randomAnyImage(type, width: width, height: height, channels: channels, seed: UInt64(channels))
            let bytesPerSample = type.byteCount
            let samples = rawSamples(image)
            try withTIFF(path, bigEndian ? "wb" : "wl") { tiff in
                set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(width))
                set(tiff, TIFFTAG_IMAGELENGTH, UInt32(height))
                set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(channels))
                set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(bytesPerSample * 8))
                set(tiff, TIFFTAG_SAMPLEFORMAT, type.isInteger ? SAMPLEFORMAT_UINT : SAMPLEFORMAT_IEEEFP)
                set(tiff, TIFFTAG_PHOTOMETRIC, channels >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK)
                set(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_SEPARATE)
                set(tiff, TIFFTAG_COMPRESSION, COMPRESSION_LZW)
                if channels == 2 || channels == 4 {
                    var extra = UInt16(EXTRASAMPLE_ASSOCALPHA)
                    withUnsafeMutablePointer(to: &extra) { set(tiff, TIFFTAG_EXTRASAMPLES, Int32(1), $0) }
                }
                // Plane `channel` of the rectangle x0..<x0+w, y0..<y0+h, padded to pw×ph with zeros.
                func plane(_ channel: Int, x0: Int, y0: Int, w: Int, h: Int, pw: Int, ph: Int) -> [UInt8] {
                    var out = [UInt8](repeating: 0, count: pw * ph * bytesPerSample)
                    for y in 0..<h {
                        for x in 0..<w {
                            let source = (((y0 + y) * width + x0 + x) * channels + channel) * bytesPerSample
                            let target = (y * pw + x) * bytesPerSample
                            out.replaceSubrange(target..<(target + bytesPerSample), with: samples[source..<(source + bytesPerSample)])
                        }
                    }
                    return out
                }
                if tiles {
                    set(tiff, TIFFTAG_TILEWIDTH, UInt32(16))
                    set(tiff, TIFFTAG_TILELENGTH, UInt32(16))
                    for channel in 0..<channels {
                        for y0 in stride(from: 0, to: height, by: 16) {
                            for x0 in stride(from: 0, to: width, by: 16) {
                                var data = plane(channel, x0: x0, y0: y0, w: min(16, width - x0), h: min(16, height - y0), pw: 16, ph: 16)
                                let tile = TIFFComputeTile(tiff, UInt32(x0), UInt32(y0), 0, UInt16(channel))
                                #expect(TIFFWriteEncodedTile(tiff, tile, &data, tmsize_t(data.count)) == data.count)
                            }
                        }
                    }
                } else {
                    let rowsPerStrip = 4
                    set(tiff, TIFFTAG_ROWSPERSTRIP, UInt32(rowsPerStrip))
                    for channel in 0..<channels {
                        for y0 in stride(from: 0, to: height, by: rowsPerStrip) {
                            let rows = min(rowsPerStrip, height - y0)
                            var data = plane(channel, x0: 0, y0: y0, w: width, h: rows, pw: width, ph: rows)
                            let strip = TIFFComputeStrip(tiff, UInt32(y0), UInt16(channel))
                            #expect(TIFFWriteEncodedStrip(tiff, strip, &data, tmsize_t(data.count)) == data.count)
                        }
                    }
                }
            }
            #expect(try ImageFile.read(path) == image, "\(channels) channels, big-endian \(bigEndian)")
        }
    }

    @Test("JPEG-compressed YCbCr TIFF (as scanners and GDAL write it) reads as RGB")
    func jpegYCbCr() throws {
        let folder = TemporaryFolder()
        let path = folder.file("jpeg.tif")
        let width = 48, height = 32
        let image = photoLikeImage(width: width, height: height, channels: 3, seed: 8)
        try withTIFF(path, "w") { tiff in
            set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(width))
            set(tiff, TIFFTAG_IMAGELENGTH, UInt32(height))
            set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(3))
            set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(8))
            set(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG)
            set(tiff, TIFFTAG_COMPRESSION, COMPRESSION_JPEG)
            set(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR)
            set(tiff, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB)
            set(tiff, TIFFTAG_JPEGQUALITY, Int32(95))
            set(tiff, TIFFTAG_ROWSPERSTRIP, UInt32(16))
            var samples = image.samples
            for strip in 0..<(height / 16) {
                let written = samples.withUnsafeMutableBytes { raw in
                    TIFFWriteEncodedStrip(tiff, UInt32(strip), raw.baseAddress! + strip * 16 * width * 3, tmsize_t(16 * width * 3))
                }
                #expect(written >= 0)
            }
        }
        let decoded = try #require(try ImageFile.read(path).typed(as: UInt8.self))
        #expect(decoded.width == width && decoded.height == height && decoded.channels == 3)
        let errors = zip(decoded.samples, image.samples).map { abs(Int($0) - Int($1)) }
        #expect(Double(errors.reduce(0, +)) / Double(errors.count) < 4, "mean abs error")
        #expect(errors.max()! <= 48)
    }

    @Test("a file cut in half is truncated", arguments: TIFFCompression.allCases)
    func truncated(compression: TIFFCompression) throws {
        let folder = TemporaryFolder()
        let whole = folder.file("whole.tif"), half = folder.file("half.tif")
        try ImageFile.write(randomAnyImage(.uint16, width: 64, height: 48, channels: 3, seed: 3), to: whole,
                            options: .init(tiffCompression: compression))
        writeFirstHalf(of: whole, to: half)
        let error = imageFileError { _ = try ImageFile.read(half) }
        #expect(isTruncated(error, .tiff), "got \(String(describing: error))")
        expectOneLine(error, naming: half)
    }

    @Test("a file whose directory comes first but whose pixels are cut is truncated")
    func truncatedPixels() throws {
        let folder = TemporaryFolder()
        let path = folder.file("cut.tif")
        let pixels = (0..<(20 * 10)).map { UInt8($0 & 0xFF) }
        let whole = handBuiltTIFF(width: 20, height: 10, pixels: pixels)
        writeBytes(whole, to: path)
        #expect(try ImageFile.read(path) == .uint8(Image(width: 20, height: 10, channels: 1, samples: pixels)))
        writeBytes(Array(whole.prefix(whole.count - 50)), to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isTruncated(error, .tiff), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
    }

    @Test("damaged compressed data and a damaged directory are corrupt")
    func corrupt() throws {
        let folder = TemporaryFolder()
        let whole = folder.file("whole.tif"), broken = folder.file("broken.tif")
        try ImageFile.write(.uint8(photoLikeImage(width: 64, height: 32, channels: 3, seed: 3)), to: whole,
                            options: .init(tiffCompression: .deflate))
        // libtiff puts the first strip right after the 8-byte header: break its zlib stream header.
        var data = bytes(of: whole)
        for index in 8..<24 { data[index] ^= 0xA5 }
        writeBytes(data, to: broken)
        let error = imageFileError { _ = try ImageFile.read(broken) }
        #expect(isCorrupt(error, .tiff), "got \(String(describing: error))")
        expectOneLine(error, naming: broken)

        // A directory whose entry count claims far more entries than the file holds.
        var directory = handBuiltTIFF(width: 4, height: 4, pixels: [UInt8](repeating: 1, count: 16))
        directory[8] = 0xFF
        directory[9] = 0x7F
        writeBytes(directory, to: broken)
        let bad = imageFileError { _ = try ImageFile.read(broken) }
        #expect(isCorrupt(bad, .tiff), "got \(String(describing: bad))")
        expectOneLine(bad, naming: broken)
    }

    @Test("unsupported sample types and layouts get a clear error", arguments: [
        (UInt16(64), UInt16(2), UInt16(1)),   // signed 64-bit (not exact in float64)
        (UInt16(24), UInt16(1), UInt16(1)),   // 24-bit
        (UInt16(8), UInt16(1), UInt16(5)),    // CMYK
    ])
    func unsupported(_ shape: (bits: UInt16, format: UInt16, photometric: UInt16)) throws {
        let folder = TemporaryFolder()
        let path = folder.file("odd.tif")
        let byteCount = (8 * Int(shape.bits) * 8 + 7) / 8
        writeBytes(handBuiltTIFF(width: 8, height: 8, bitsPerSample: shape.bits, sampleFormat: shape.format,
                                 photometric: shape.photometric, pixels: [UInt8](repeating: 0, count: byteCount)), to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isUnsupported(error), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
    }

    @Test("a header declaring more pixels than the limit is refused before decoding")
    func pixelLimit() throws {
        let folder = TemporaryFolder()
        let path = folder.file("small.tif")
        try ImageFile.write(.uint8(Image(width: 10, height: 10)), to: path)
        #expect(isTooManyPixels(imageFileError { _ = try ImageFile.read(path, options: .init(maxPixels: 99)) }))
        #expect(try ImageFile.read(path, options: .init(maxPixels: 100)).width == 10)
        // 1,000,000 × 1,000,000 declared in a file of a few hundred bytes.
        writeBytes(handBuiltTIFF(width: 1_000_000, height: 1_000_000, pixels: [UInt8](repeating: 0, count: 64)), to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isTooManyPixels(error), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
    }

    @Test("absurd tiles for a small image are refused before their buffer is allocated")
    func absurdTiles() throws {
        let folder = TemporaryFolder()
        let path = folder.file("tiles.tif")
        var tiff = HandBuiltTIFF()
        tiff.longs(256, [16])
        tiff.longs(257, [16])
        tiff.shorts(258, [8])
        tiff.shorts(259, [1])
        tiff.shorts(262, [1])
        tiff.shorts(277, [1])
        tiff.longs(322, [1 << 16])   // TileWidth
        tiff.longs(323, [1 << 16])   // TileLength
        tiff.longs(324, [0])         // TileOffsets (patched)
        tiff.longs(325, [256])       // TileByteCounts
        writeBytes(tiff.build(pixels: [UInt8](repeating: 0, count: 256)), to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isCorrupt(error, .tiff), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
    }

    @Test("concurrent reads of good and broken files each get their own pixels or their own message")
    func concurrentErrors() throws {
        let folder = TemporaryFolder()
        var paths = [String]()
        for index in 0..<3 {
            let path = folder.file("good\(index).tif")
            try ImageFile.write(randomAnyImage(.uint16, width: 30 + index, height: 20, channels: 3, seed: UInt64(index)), to: path)
            paths.append(path)
        }
        let damaged = folder.file("zlib.tif")
        var data = bytes(of: paths[0])
        for index in 8..<24 { data[index] ^= 0xA5 }
        writeBytes(data, to: damaged)
        let badDirectory = folder.file("directory.tif")
        data = bytes(of: paths[1])
        data.replaceSubrange(4..<8, with: [1, 0, 0, 0])
        writeBytes(data, to: badDirectory)
        let cut = folder.file("cut.tif")
        writeFirstHalf(of: paths[2], to: cut)
        paths += [damaged, badDirectory, cut]

        @Sendable func outcome(_ path: String) -> String {
            do { return "image \(try ImageFile.read(path).width)" } catch { return "\(error)" }
        }
        let files = paths
        let alone = files.map(outcome)
        #expect(Set(alone).count == paths.count, "every file has its own outcome: \(alone)")
        let runs = paths.count * 6
        let results = UnsafeMutableBufferPointer<String>.allocate(capacity: runs)
        results.initialize(repeating: "")
        defer { results.deallocate() }
        let shared = SendablePointer(results.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: runs) { index in
            shared.pointer![index] = outcome(files[index % files.count])
        }
        for index in 0..<runs { #expect(results[index] == alone[index % paths.count]) }
    }

    @Test("a region view is written as its own pixels")
    func regionWrite() throws {
        let folder = TemporaryFolder()
        let path = folder.file("region.tif")
        let image = randomImage(Float.self, width: 30, height: 20, channels: 2, seed: 5)
        let region = image.region(x: 7, y: 4, width: 13, height: 9)
        try ImageFile.write(AnyImage(region), to: path)
        #expect(try ImageFile.read(path) == AnyImage(region.compacted()))
    }

    // MARK: - Helpers

    /// The samples' bytes in row-major order (host order).
    private func rawSamples(_ image: AnyImage) -> [UInt8] {
        RawImageView.with(image) { view in
            (0..<view.height).flatMap { Array(UnsafeRawBufferPointer(start: view.row($0), count: view.rowBytes)) }
        }
    }

    /// A one-strip, one-sample-per-pixel little-endian TIFF with its directory before the pixels.
    private func handBuiltTIFF(width: UInt32, height: UInt32, bitsPerSample: UInt16 = 8, sampleFormat: UInt16 = 1,
                               photometric: UInt16 = 1, pixels: [UInt8]) -> [UInt8] {
        let entries: [(tag: UInt16, type: UInt16, value: UInt32)] = [
            (256, 4, width), (257, 4, height), (258, 3, UInt32(bitsPerSample)), (259, 3, 1),
            (262, 3, UInt32(photometric)), (273, 4, 0 /* patched below */), (277, 3, 1), (278, 4, height),
            (279, 4, UInt32(truncatingIfNeeded: UInt64(width) * UInt64(height) * UInt64(bitsPerSample) / 8)), (339, 3, UInt32(sampleFormat)),
        ]
        let dataOffset = UInt32(8 + 2 + entries.count * 12 + 4)
        var out: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0]
        func append16(_ value: UInt16) { out += [UInt8(value & 0xFF), UInt8(value >> 8)] }
        func append32(_ value: UInt32) { out += (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        append16(UInt16(entries.count))
        for entry in entries {
            append16(entry.tag)
            append16(entry.type)
            append32(1)
            let value = entry.tag == 273 ? dataOffset : entry.value
            if entry.type == 3 { append16(UInt16(value)); append16(0) } else { append32(value) }
        }
        append32(0)
        return out + pixels
    }
}

// MARK: - libtiff from the tests

/// Opens `path` with libtiff, runs `body`, closes.
func withTIFF(_ path: String, _ mode: String, _ body: (OpaquePointer) throws -> Void) throws {
    let tiff = try #require(TIFFOpen(path, mode))
    defer { TIFFClose(tiff) }
    try body(tiff)
}

/// `TIFFSetField`, which Swift cannot call directly (it is variadic).
func set(_ tiff: OpaquePointer, _ tag: Int32, _ values: CVarArg...) {
    let ok = withVaList(values) { TIFFVSetField(tiff, UInt32(tag), $0) }
    #expect(ok == 1, "TIFFSetField \(tag)")
}

/// `TIFFGetFieldDefaulted` for one value.
func field<T>(_ tiff: OpaquePointer, _ tag: Int32, _ initial: T) -> T {
    var value = initial
    _ = withUnsafeMutablePointer(to: &value) { pointer in withVaList([pointer]) { TIFFVGetFieldDefaulted(tiff, UInt32(tag), $0) } }
    return value
}

/// CMYK TIFFs are refused, saying what the file is, whatever their samples.
@Suite("TIFF CMYK")
struct TIFFCMYKTests {
    @Test("a CMYK TIFF is refused with a message naming it CMYK", arguments: [
        (4, 8, COMPRESSION_NONE), (4, 16, COMPRESSION_LZW), (5, 8, COMPRESSION_ADOBE_DEFLATE), (4, 8, COMPRESSION_JPEG),
    ] as [(Int, Int, Int32)])
    func cmykRefused(_ shape: (samples: Int, bits: Int, compression: Int32)) throws {
        let folder = TemporaryFolder()
        let path = folder.file("cmyk.tif")
        try withTIFF(path, "w") { tiff in
            set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(16))
            set(tiff, TIFFTAG_IMAGELENGTH, UInt32(8))
            set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(shape.bits))
            set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(shape.samples))
            set(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_SEPARATED)
            set(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG)
            set(tiff, TIFFTAG_COMPRESSION, shape.compression)
            set(tiff, TIFFTAG_ROWSPERSTRIP, UInt32(8))
            if shape.samples == 5 {
                var alpha = UInt16(EXTRASAMPLE_UNASSALPHA)
                set(tiff, TIFFTAG_EXTRASAMPLES, Int32(1), withUnsafeMutablePointer(to: &alpha) { $0 })
            }
            var data = [UInt8](repeating: 60, count: 16 * 8 * shape.samples * shape.bits / 8)
            #expect(TIFFWriteEncodedStrip(tiff, 0, &data, tmsize_t(data.count)) > 0)
        }
        for attempt in [{ _ = try ImageFile.read(path) }, { _ = try ImageFile.info(path) }] {
            let error = imageFileError(attempt)
            #expect(isUnsupported(error), "got \(String(describing: error))")
            #expect(error?.description.contains("CMYK (separated) TIFF, \(shape.samples) samples of \(shape.bits) bits") == true,
                    "\(String(describing: error))")
            expectOneLine(error, naming: path)
        }
    }
}
