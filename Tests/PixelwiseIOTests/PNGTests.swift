import CSPNG
import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

@Suite("PNG")
struct PNGTests {
    @Test("writes and reads back identically", arguments: RoundTripCase.all(types: [.uint8, .uint16], channels: [1, 2, 3, 4]))
    func roundTrip(_ testCase: RoundTripCase) throws {
        let folder = TemporaryFolder()
        let path = folder.file("image.png")
        let image = randomAnyImage(testCase.sampleType, width: testCase.width, height: testCase.height,
                                   channels: testCase.channels, seed: testCase.seed)
        try ImageFile.write(image, to: path)
        #expect(try ImageFile.read(path) == image)
        let info = try ImageFile.info(path)
        #expect(info == ImageInfo(width: testCase.width, height: testCase.height, channels: testCase.channels,
                                  sampleType: testCase.sampleType, format: .png))
    }

    @Test("every compression level round-trips; higher levels give smaller files; out-of-range levels are refused")
    func compressionLevels() throws {
        let folder = TemporaryFolder()
        let image = AnyImage.uint8(photoLikeImage(width: 120, height: 80, channels: 3, seed: 4))
        var sizes = [Int]()
        for level in 0...9 {
            let path = folder.file("level\(level).png")
            try ImageFile.write(image, to: path, options: .init(pngCompressionLevel: level))
            #expect(try ImageFile.read(path) == image)
            sizes.append(bytes(of: path).count)
        }
        #expect(sizes[9] < sizes[0])
        let path = folder.file("bad.png")
        let error = imageFileError { try ImageFile.write(image, to: path, options: .init(pngCompressionLevel: 10)) }
        #expect(error != nil)
        expectOneLine(error, naming: path)
    }

    @Test("a region view (row stride past the row) is written as its own pixels")
    func regionWrite() throws {
        let folder = TemporaryFolder()
        let path = folder.file("region.png")
        let image = randomImage(UInt16.self, width: 31, height: 17, channels: 3, seed: 7)
        let region = image.region(x: 3, y: 2, width: 19, height: 11)
        try ImageFile.write(AnyImage(region), to: path)
        #expect(try ImageFile.read(path) == AnyImage(region.compacted()))
    }

    @Test("16-bit samples are big-endian in the file and host order in the image")
    func sixteenBitByteOrder() throws {
        let folder = TemporaryFolder()
        let path = folder.file("wide.png")
        let image = Image<UInt16>(width: 3, height: 1, channels: 1, samples: [0x0102, 0xA0B0, 0xFFFE])
        try ImageFile.write(.uint16(image), to: path)
        // Decode with libspng's SPNG_FMT_RAW, which gives the stored big-endian bytes untouched.
        let file = bytes(of: path)
        let context = try #require(spng_ctx_new(0))
        defer { spng_ctx_free(context) }
        var raw = [UInt8](repeating: 0, count: 6)
        let status = file.withUnsafeBytes { buffer in
            _ = spng_set_png_buffer(context, buffer.baseAddress, buffer.count)
            return spng_decode_image(context, &raw, raw.count, Int32(SPNG_FMT_RAW.rawValue), 0)
        }
        #expect(status == 0)
        #expect(raw == [0x01, 0x02, 0xA0, 0xB0, 0xFF, 0xFE])
    }

    @Test("palette images expand to RGB, or RGBA when the file has tRNS", arguments: [false, true])
    func palette(withTransparency: Bool) throws {
        let folder = TemporaryFolder()
        let path = folder.file("palette.png")
        let width = 13, height = 5
        var palette = spng_plte()
        palette.n_entries = 7
        let colours: [(UInt8, UInt8, UInt8)] = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 20, 30), (200, 100, 50), (255, 255, 255)]
        withUnsafeMutableBytes(of: &palette.entries) { raw in
            let entries = raw.bindMemory(to: spng_plte_entry.self)
            for (index, colour) in colours.enumerated() {
                entries[index] = spng_plte_entry(red: colour.0, green: colour.1, blue: colour.2, alpha: 255)
            }
        }
        let alphas: [UInt8] = [0, 128, 255, 7]  // entries 4... are opaque
        var indices = [UInt8]()
        var generator = SplitMix64(seed: 3)
        for _ in 0..<(width * height) { indices.append(UInt8.random(in: 0..<7, using: &generator)) }
        try encodeIndexed(path: path, width: width, height: height, bitDepth: 8, palette: &palette,
                          alphas: withTransparency ? alphas : nil, packedRows: indices, rowBytes: width)
        let decoded = try ImageFile.read(path)
        let channels = withTransparency ? 4 : 3
        var expected = [UInt8]()
        for index in indices {
            let colour = colours[Int(index)]
            expected += [colour.0, colour.1, colour.2]
            if withTransparency { expected.append(Int(index) < alphas.count ? alphas[Int(index)] : 255) }
        }
        #expect(decoded == .uint8(Image(width: width, height: height, channels: channels, samples: expected)))
        #expect(try ImageFile.info(path).channels == channels)
    }

    @Test("low-bit-depth palette images expand to RGB", arguments: [1, 2, 4])
    func lowBitPalette(bitDepth: Int) throws {
        let folder = TemporaryFolder()
        let path = folder.file("palette\(bitDepth).png")
        let width = 11, height = 3
        let entries = 1 << bitDepth
        var palette = spng_plte()
        palette.n_entries = UInt32(entries)
        withUnsafeMutableBytes(of: &palette.entries) { raw in
            let table = raw.bindMemory(to: spng_plte_entry.self)
            for index in 0..<entries {
                table[index] = spng_plte_entry(red: UInt8(index * 13), green: UInt8(255 - index), blue: UInt8(index * 7), alpha: 255)
            }
        }
        var generator = SplitMix64(seed: UInt64(bitDepth))
        let indices = (0..<(width * height)).map { _ in Int.random(in: 0..<entries, using: &generator) }
        let (packed, rowBytes) = pack(indices, width: width, height: height, bitDepth: bitDepth)
        try encodeIndexed(path: path, width: width, height: height, bitDepth: UInt8(bitDepth), palette: &palette,
                          alphas: nil, packedRows: packed, rowBytes: rowBytes)
        let expected = indices.flatMap { [UInt8($0 * 13), UInt8(255 - $0), UInt8($0 * 7)] }
        #expect(try ImageFile.read(path) == .uint8(Image(width: width, height: height, channels: 3, samples: expected)))
    }

    @Test("1-, 2- and 4-bit gray is scaled to 8 bits", arguments: [1, 2, 4])
    func lowBitGray(bitDepth: Int) throws {
        let folder = TemporaryFolder()
        let path = folder.file("gray\(bitDepth).png")
        let width = 19, height = 4
        let levels = 1 << bitDepth
        var generator = SplitMix64(seed: 10 + UInt64(bitDepth))
        let values = (0..<(width * height)).map { _ in Int.random(in: 0..<levels, using: &generator) }
        let (packed, rowBytes) = pack(values, width: width, height: height, bitDepth: bitDepth)
        try encode(path: path, width: width, height: height, bitDepth: UInt8(bitDepth),
                   colorType: SPNG_COLOR_TYPE_GRAYSCALE, packedRows: packed, rowBytes: rowBytes)
        let expected = values.map { UInt8($0 * 255 / (levels - 1)) }
        #expect(try ImageFile.read(path) == .uint8(Image(width: width, height: height, channels: 1, samples: expected)))
        #expect(try ImageFile.info(path).sampleType == .uint8)
    }

    @Test("float images are refused with a pointer to .tif and .npy")
    func floatRefused() throws {
        let folder = TemporaryFolder()
        let path = folder.file("float.png")
        let error = imageFileError { try ImageFile.write(.float32(Image(width: 2, height: 2)), to: path) }
        #expect(isUnsupported(error))
        #expect(error?.description.contains(".tif") == true && error?.description.contains(".npy") == true)
        expectOneLine(error, naming: path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a file cut in half is truncated")
    func truncated() throws {
        let folder = TemporaryFolder()
        let whole = folder.file("whole.png"), half = folder.file("half.png")
        try ImageFile.write(.uint8(randomImage(UInt8.self, width: 64, height: 48, channels: 3, seed: 1)), to: whole)
        writeFirstHalf(of: whole, to: half)
        let error = imageFileError { _ = try ImageFile.read(half) }
        #expect(isTruncated(error, .png), "got \(String(describing: error))")
        expectOneLine(error, naming: half)
        // Cut inside the header too.
        writeBytes(Array(bytes(of: whole).prefix(20)), to: half)
        let early = imageFileError { _ = try ImageFile.read(half) }
        #expect(isTruncated(early, .png), "got \(String(describing: early))")
    }

    @Test("flipped bytes in the header or the data are corrupt", arguments: [16, 60])
    func corrupt(offset: Int) throws {
        let folder = TemporaryFolder()
        let whole = folder.file("whole.png"), broken = folder.file("broken.png")
        try ImageFile.write(.uint8(randomImage(UInt8.self, width: 32, height: 32, channels: 3, seed: 2)), to: whole)
        var data = bytes(of: whole)
        for index in offset..<(offset + 4) { data[index] ^= 0x5A }
        writeBytes(data, to: broken)
        let error = imageFileError { _ = try ImageFile.read(broken) }
        #expect(isCorrupt(error, .png), "got \(String(describing: error))")
        expectOneLine(error, naming: broken)
    }

    @Test("a header declaring more pixels than the limit is refused before decoding")
    func pixelLimit() throws {
        let folder = TemporaryFolder()
        let path = folder.file("small.png")
        try ImageFile.write(.uint8(Image(width: 10, height: 10)), to: path)
        #expect(isTooManyPixels(imageFileError { _ = try ImageFile.read(path, options: .init(maxPixels: 99)) }))
        #expect(try ImageFile.read(path, options: .init(maxPixels: 100)).width == 10)
        // A 100000×100000 IHDR (CRC fixed up) in a tiny file: refused by the default limit, nothing allocated.
        var data = bytes(of: path)
        let big: [UInt8] = [0x00, 0x01, 0x86, 0xA0]
        data.replaceSubrange(16..<20, with: big)
        data.replaceSubrange(20..<24, with: big)
        let crc = crc32(data[12..<29])
        data.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        writeBytes(data, to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isTooManyPixels(error), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
    }

    // MARK: - Building odd PNGs with libspng

    /// Packs `values` (each < 2^bitDepth) into PNG rows, most significant bits first.
    private func pack(_ values: [Int], width: Int, height: Int, bitDepth: Int) -> ([UInt8], Int) {
        let rowBytes = (width * bitDepth + 7) / 8
        var packed = [UInt8](repeating: 0, count: rowBytes * height)
        for y in 0..<height {
            for x in 0..<width {
                let bit = x * bitDepth
                packed[y * rowBytes + bit / 8] |= UInt8(values[y * width + x] << (8 - bitDepth - bit % 8))
            }
        }
        return (packed, rowBytes)
    }

    private func encodeIndexed(path: String, width: Int, height: Int, bitDepth: UInt8, palette: inout spng_plte,
                               alphas: [UInt8]?, packedRows: [UInt8], rowBytes: Int) throws {
        try encode(path: path, width: width, height: height, bitDepth: bitDepth, colorType: SPNG_COLOR_TYPE_INDEXED,
                   packedRows: packedRows, rowBytes: rowBytes) { context in
            #expect(spng_set_plte(context, &palette) == 0)
            if let alphas {
                var transparency = spng_trns()
                transparency.n_type3_entries = UInt32(alphas.count)
                withUnsafeMutableBytes(of: &transparency.type3_alpha) { raw in
                    for (index, alpha) in alphas.enumerated() { raw[index] = alpha }
                }
                #expect(spng_set_trns(context, &transparency) == 0)
            }
        }
    }

    private func encode(path: String, width: Int, height: Int, bitDepth: UInt8, colorType: spng_color_type,
                        packedRows: [UInt8], rowBytes: Int, extra: (OpaquePointer) -> Void = { _ in }) throws {
        let context = try #require(spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue)))
        defer { spng_ctx_free(context) }
        #expect(spng_set_option(context, SPNG_ENCODE_TO_BUFFER, 1) == 0)
        var header = spng_ihdr(width: UInt32(width), height: UInt32(height), bit_depth: bitDepth,
                               color_type: UInt8(colorType.rawValue), compression_method: 0, filter_method: 0,
                               interlace_method: 0)
        #expect(spng_set_ihdr(context, &header) == 0)
        extra(context)
        let status = packedRows.withUnsafeBytes {
            spng_encode_image(context, $0.baseAddress, rowBytes * height, Int32(SPNG_FMT_PNG.rawValue),
                              Int32(SPNG_ENCODE_FINALIZE.rawValue))
        }
        #expect(status == 0, "spng_encode_image: \(String(cString: spng_strerror(status)))")
        var length = 0
        var error: Int32 = 0
        let buffer = try #require(spng_get_png_buffer(context, &length, &error))
        defer { free(buffer) }
        writeBytes(Array(UnsafeRawBufferPointer(start: buffer, count: length)), to: path)
    }
}
