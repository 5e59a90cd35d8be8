import CTIFF
import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

/// TIFFs read through libtiff's RGBA interface: bilevel and fax, 2/4-bit gray, min-is-white, palette, Lab.
@Suite("TIFF through RGBA")
struct TIFFRGBATests {
    /// Writes a one-strip TIFF with libtiff from packed rows.
    func write(_ path: String, width: Int, height: Int, bits: Int, photometric: Int32, samples: Int = 1,
               compression: Int32 = COMPRESSION_NONE, colormap: [[UInt16]]? = nil, rows: [[UInt8]]) throws {
        try withTIFF(path, "w") { tiff in
            set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(width))
            set(tiff, TIFFTAG_IMAGELENGTH, UInt32(height))
            set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(bits))
            set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(samples))
            set(tiff, TIFFTAG_PHOTOMETRIC, photometric)
            set(tiff, TIFFTAG_COMPRESSION, compression)
            set(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG)
            set(tiff, TIFFTAG_ROWSPERSTRIP, UInt32(height))
            if let map = colormap {
                var red = map[0], green = map[1], blue = map[2]
                red.withUnsafeMutableBufferPointer { r in
                    green.withUnsafeMutableBufferPointer { g in
                        blue.withUnsafeMutableBufferPointer { b in
                            set(tiff, TIFFTAG_COLORMAP, r.baseAddress!, g.baseAddress!, b.baseAddress!)
                        }
                    }
                }
            }
            for (y, row) in rows.enumerated() {
                var copy = row
                #expect(TIFFWriteScanline(tiff, &copy, UInt32(y), 0) == 1)
            }
        }
    }

    /// Packs values of `bits` bits, most significant first, per row.
    func pack(_ values: [Int], bits: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (values.count * bits + 7) / 8)
        for (index, value) in values.enumerated() {
            let bit = index * bits
            out[bit / 8] |= UInt8(value << (8 - bits - bit % 8))
        }
        return out
    }

    @Test("1-bit bilevel (none, CCITT G3, G4) min-is-white and min-is-black; 2- and 4-bit gray scaled to 8 bits",
          arguments: [(1, COMPRESSION_NONE), (1, COMPRESSION_CCITTFAX3), (1, COMPRESSION_CCITTFAX4), (2, COMPRESSION_NONE),
                      (4, COMPRESSION_NONE), (4, COMPRESSION_LZW)])
    func gray(bits: Int, compression: Int32) throws {
        let folder = TemporaryFolder()
        let width = 21, height = 7, top = (1 << bits) - 1
        let values = (0..<height).map { y in (0..<width).map { x in (x * 3 + y * 5) % (top + 1) } }
        for photometric in [PHOTOMETRIC_MINISBLACK, PHOTOMETRIC_MINISWHITE] {
            let path = folder.file("g.tif")
            try write(path, width: width, height: height, bits: bits, photometric: photometric, compression: compression,
                      rows: values.map { pack($0, bits: bits) })
            let info = try ImageFile.info(path)
            #expect(info.channels == 1 && info.sampleType == .uint8)
            let image = try #require(try ImageFile.read(path).typed(as: UInt8.self))
            for y in 0..<height {
                for x in 0..<width {
                    let stored = values[y][x] * 255 / top
                    let expected = photometric == PHOTOMETRIC_MINISWHITE ? 255 - stored : stored
                    #expect(Int(image[x, y]) == expected, "(\(x), \(y)) bits \(bits) photometric \(photometric)")
                }
            }
        }
    }

    @Test("a palette TIFF expands to RGB through its colour map (16-bit entries: high byte)", arguments: [4, 8])
    func palette(bits: Int) throws {
        let folder = TemporaryFolder()
        let path = folder.file("p.tif")
        let entries = 1 << bits
        var map = [[UInt16]]()
        for c in 0..<3 {
            var channel = [UInt16]()
            for entry in 0..<entries {
                let high = (entry * 37 + c * 80) % 256
                channel.append(UInt16(high << 8 | 0x7F))
            }
            map.append(channel)
        }
        let width = 9, height = 4
        let values = (0..<height).map { y in (0..<width).map { x in (x + 3 * y) % entries } }
        try write(path, width: width, height: height, bits: bits, photometric: PHOTOMETRIC_PALETTE, colormap: map,
                  rows: values.map { pack($0, bits: bits) })
        let image = try #require(try ImageFile.read(path).typed(as: UInt8.self))
        #expect(image.channels == 3)
        for y in 0..<height {
            for x in 0..<width {
                #expect(image.pixel(x: x, y: y) == (0..<3).map { UInt8(map[$0][values[y][x]] >> 8) })
            }
        }
    }

    @Test("CIE Lab becomes RGB as libtiff converts it: L 100 near white, L 0 black, a grey near neutral")
    func lab() throws {
        let folder = TemporaryFolder()
        let path = folder.file("lab.tif")
        // 8-bit CIELab: L scaled 0...255, a and b signed bytes.
        let pixels: [[UInt8]] = [[255, 0, 0], [0, 0, 0], [128, 0, 0], [128, 80, 0]]
        try write(path, width: 4, height: 1, bits: 8, photometric: PHOTOMETRIC_CIELAB, samples: 3, rows: [pixels.flatMap { $0 }])
        let image = try #require(try ImageFile.read(path).typed(as: UInt8.self))
        #expect(image.channels == 3)
        // libtiff converts with the TIFF's D50 white and no adaptation to sRGB's D65: white comes out slightly
        // warm, (255, 252, 222) with libtiff 4.5. That is the documented conversion (docs/FORMATS.md).
        let white = image.pixel(x: 0, y: 0)
        #expect(white[0] == 255 && white.allSatisfy { $0 >= 215 }, "\(white)")
        #expect(image.pixel(x: 1, y: 0) == [0, 0, 0])
        let grey = image.pixel(x: 2, y: 0)
        #expect(Int(grey.max()!) - Int(grey.min()!) <= 30 && grey[0] > 90 && grey[0] < 170, "\(grey)")
        let reddish = image.pixel(x: 3, y: 0)
        #expect(reddish[0] > reddish[1] + 40)
    }
}

@Suite("TIFF YCbCr")
struct TIFFYCbCrTests {
    @Test("uncompressed YCbCr (1×1 sampling) becomes RGB: neutral stays neutral, Cr raises red")
    func ycbcr() throws {
        let folder = TemporaryFolder()
        let path = folder.file("ycc.tif")
        try withTIFF(path, "w") { tiff in
            set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(3))
            set(tiff, TIFFTAG_IMAGELENGTH, UInt32(1))
            set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(8))
            set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(3))
            set(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR)
            set(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG)
            set(tiff, TIFFTAG_YCBCRSUBSAMPLING, Int32(1), Int32(1))
            set(tiff, TIFFTAG_ROWSPERSTRIP, UInt32(1))
            var row: [UInt8] = [128, 128, 128, 235, 128, 128, 100, 128, 200]
            #expect(TIFFWriteEncodedStrip(tiff, 0, &row, tmsize_t(row.count)) == row.count)
        }
        let image = try #require(try ImageFile.read(path).typed(as: UInt8.self))
        #expect(image.channels == 3)
        let grey = image.pixel(x: 0, y: 0), light = image.pixel(x: 1, y: 0), red = image.pixel(x: 2, y: 0)
        #expect(Int(grey.max()!) - Int(grey.min()!) <= 2, "\(grey)")
        #expect(light.allSatisfy { $0 > grey[0] }, "\(light)")
        #expect(red[0] > red[1] + 60 && red[0] > red[2] + 60, "\(red)")
    }
}

@Suite("TIFF 12-bit")
struct TIFF12BitTests {
    @Test("12-bit strips unpack to UInt16 values 0...4095, kept as stored", arguments: [COMPRESSION_NONE, COMPRESSION_LZW])
    func twelveBit(compression: Int32) throws {
        let folder = TemporaryFolder()
        let path = folder.file("12.tif")
        let width = 7, height = 5, channels = 3
        let values = (0..<(width * height * channels)).map { ($0 * 1237 + 11) % 4096 }
        try withTIFF(path, "w") { tiff in
            set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(width))
            set(tiff, TIFFTAG_IMAGELENGTH, UInt32(height))
            set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(12))
            set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(channels))
            set(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB)
            set(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG)
            set(tiff, TIFFTAG_COMPRESSION, compression)
            set(tiff, TIFFTAG_ROWSPERSTRIP, UInt32(2))
            let rowBytes = (width * channels * 12 + 7) / 8
            for y in 0..<height {
                var row = [UInt8](repeating: 0, count: rowBytes)
                for x in 0..<(width * channels) {
                    let value = values[y * width * channels + x], bit = x * 12
                    if bit % 8 == 0 {
                        row[bit / 8] = UInt8(value >> 4)
                        row[bit / 8 + 1] |= UInt8((value & 0xF) << 4)
                    } else {
                        row[bit / 8] |= UInt8(value >> 8)
                        row[bit / 8 + 1] = UInt8(value & 0xFF)
                    }
                }
                #expect(TIFFWriteScanline(tiff, &row, UInt32(y), 0) == 1)
            }
        }
        #expect(try ImageFile.info(path).sampleType == .uint16)
        #expect(try ImageFile.read(path) == .uint16(Image(width: width, height: height, channels: channels,
                                                          samples: values.map { UInt16($0) })))
    }
}
