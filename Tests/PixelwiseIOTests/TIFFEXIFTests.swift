import CTIFF
import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

/// EXIF into and out of TIFF: a JPEG's or PNG's EXIF stream becomes a TIFF's EXIF and GPS IFDs (and its
/// camera, date and orientation tags), and a TIFF's become the stream of a JPEG or PNG; all through libtiff.
@Suite("TIFF EXIF")
struct TIFFEXIFTests {
    typealias Field = EXIFDirectories.Field

    static func value(_ tag: UInt32, _ fields: [Field]) -> EXIFDirectories.Values? {
        fields.first { $0.tag == tag }?.values
    }

    static func text(_ tag: UInt32, _ fields: [Field]) -> String? {
        guard case .text(let bytes)? = value(tag, fields) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func reals(_ tag: UInt32, _ fields: [Field]) -> [Double]? {
        guard case .reals(let values)? = value(tag, fields) else { return nil }
        return values
    }

    static func integers(_ tag: UInt32, _ fields: [Field]) -> [Int64]? {
        guard case .integers(let values)? = value(tag, fields) else { return nil }
        return values
    }

    /// The same tags with the same values; reals equal to 7 significant digits (libtiff keeps most EXIF
    /// rationals as 32-bit floats, docs/FORMATS.md).
    static func expectSame(_ got: [Field], _ expected: [Field], _ what: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.map(\.tag) == expected.map(\.tag), "\(what) tags", sourceLocation: sourceLocation)
        for field in expected {
            guard let other = got.first(where: { $0.tag == field.tag }) else { continue }
            switch (field.values, other.values) {
            case (.reals(let a), .reals(let b)):
                #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($0)) },
                        "\(what) \(field.tag): \(b) for \(a)", sourceLocation: sourceLocation)
            default:
                #expect(field.values == other.values, "\(what) \(field.tag): \(other.values) for \(field.values)",
                        sourceLocation: sourceLocation)
            }
        }
    }

    static func expectSame(_ got: EXIFDirectories?, _ expected: EXIFDirectories, _ what: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        guard let got else {
            Issue.record("\(what): no EXIF", sourceLocation: sourceLocation)
            return
        }
        expectSame(got.primary, expected.primary, "\(what) IFD0", sourceLocation: sourceLocation)
        expectSame(got.exif, expected.exif, "\(what) EXIF IFD", sourceLocation: sourceLocation)
        expectSame(got.gps, expected.gps, "\(what) GPS IFD", sourceLocation: sourceLocation)
    }

    @Test("a camera's EXIF stream reads through libtiff: camera, date, orientation, exposure, GPS")
    func readsCameraStream() throws {
        let exif = try #require(EXIFDirectories(stream: HandBuiltEXIF.camera.build()))
        #expect(exif.primary.map(\.tag) == [271, 272, 274, 305, 306])  // not resolution or YCbCrPositioning
        #expect(Self.text(271, exif.primary) == "Canon" && Self.text(272, exif.primary) == "Canon EOS 5D Mark IV")
        #expect(Self.integers(274, exif.primary) == [6])
        #expect(Self.text(36867, exif.exif) == "2024:05:17 14:03:27")
        #expect(Self.reals(33434, exif.exif).map { abs($0[0] - 0.004) < 1e-9 } == true)
        #expect(Self.reals(37380, exif.exif).map { abs($0[0] + 1.0 / 3) < 1e-6 } == true)
        #expect(Self.integers(34855, exif.exif) == [400])
        #expect(Self.integers(37500, exif.exif) == (0..<40).map { Int64($0) })  // MakerNote, as bytes
        #expect(Self.text(1, exif.gps) == "N" && Self.text(3, exif.gps) == "W")
        #expect(Self.reals(2, exif.gps) == [51, 30, 26.46] && Self.reals(4, exif.gps) == [0, 7, 39.93])
        #expect(Self.integers(0, exif.gps) == [2, 3, 0, 0])
    }

    @Test("JPEG → TIFF → JPEG keeps every EXIF and GPS tag; other readers find them in the TIFF")
    func jpegTIFFJPEG() throws {
        let folder = TemporaryFolder()
        let stream = HandBuiltEXIF.camera.build()
        let original = try #require(EXIFDirectories(stream: stream))
        let image = AnyImage.uint8(photoLikeImage(width: 40, height: 24, channels: 3, seed: 4))
        let jpeg = folder.file("in.jpg"), tiff = folder.file("mid.tif"), back = folder.file("back.jpg")
        try ImageFile.write(image, to: jpeg, metadata: ImageMetadata(exif: stream))
        let fromJPEG = try ImageFile.readMetadata(jpeg)
        #expect(fromJPEG.exif == stream)  // a JPEG keeps the stream as stored

        try ImageFile.write(image, to: tiff, metadata: fromJPEG)
        let fromTIFF = try ImageFile.readMetadata(tiff)
        Self.expectSame(fromTIFF.exif.flatMap { EXIFDirectories(stream: $0) }, original, "TIFF")
        #expect(try ImageFile.read(tiff) == image)

        try ImageFile.write(image, to: back, metadata: fromTIFF)
        let final = try #require(try ImageFile.readMetadata(back).exif.flatMap { EXIFDirectories(stream: $0) })
        Self.expectSame(final, original, "JPEG again")
        #expect(Self.integers(274, final.primary) == [6] && Self.text(36867, final.exif) == "2024:05:17 14:03:27")
        #expect(Self.text(271, final.primary) == "Canon" && Self.text(272, final.primary) == "Canon EOS 5D Mark IV")
        #expect(Self.reals(2, final.gps) == [51, 30, 26.46] && Self.reals(4, final.gps) == [0, 7, 39.93])
        // After one pass through libtiff the stream is what libtiff writes: a second pass changes no byte.
        let again = folder.file("again.tif")
        try ImageFile.write(image, to: again, metadata: try ImageFile.readMetadata(back))
        #expect(try ImageFile.readMetadata(again).exif == fromTIFF.exif)

        // The TIFF as any libtiff program reads it: tags in the image directory, EXIF and GPS IFDs pointed to.
        try withTIFF(tiff, "r") { handle in
            #expect(field(handle, TIFFTAG_ORIENTATION, UInt16(0)) == 6)
            var make: UnsafePointer<CChar>? = nil
            #expect(withUnsafeMutablePointer(to: &make) { p in withVaList([p]) { TIFFVGetField(handle, UInt32(TIFFTAG_MAKE), $0) } } == 1)
            #expect(make.map { String(cString: $0) } == "Canon")
            let exifOffset = field(handle, TIFFTAG_EXIFIFD, UInt64(0)), gpsOffset = field(handle, TIFFTAG_GPSIFD, UInt64(0))
            #expect(exifOffset > 0 && gpsOffset > 0)
            #expect(TIFFReadEXIFDirectory(handle, exifOffset) == 1)
            var date: UnsafePointer<CChar>? = nil
            #expect(withUnsafeMutablePointer(to: &date) { p in withVaList([p]) { TIFFVGetField(handle, UInt32(EXIFTAG_DATETIMEORIGINAL), $0) } } == 1)
            #expect(date.map { String(cString: $0) } == "2024:05:17 14:03:27")
            #expect(TIFFReadGPSDirectory(handle, gpsOffset) == 1)
            var latitude: UnsafePointer<Double>? = nil
            #expect(withUnsafeMutablePointer(to: &latitude) { p in withVaList([p]) { TIFFVGetField(handle, UInt32(GPSTAG_LATITUDE), $0) } } == 1)
            #expect(latitude.map { Array(UnsafeBufferPointer(start: $0, count: 3)) } == [51, 30, 26.46])
        }
    }

    @Test("PNG → TIFF → PNG keeps the EXIF too")
    func pngTIFFPNG() throws {
        let folder = TemporaryFolder()
        let stream = HandBuiltEXIF.camera.build()
        let original = try #require(EXIFDirectories(stream: stream))
        let image = randomAnyImage(.uint16, width: 7, height: 5, channels: 3, seed: 5)
        let png = folder.file("in.png"), tiff = folder.file("mid.tif"), back = folder.file("back.png")
        try ImageFile.write(image, to: png, metadata: ImageMetadata(exif: stream))
        try ImageFile.write(image, to: tiff, metadata: try ImageFile.readMetadata(png))
        try ImageFile.write(image, to: back, metadata: try ImageFile.readMetadata(tiff))
        Self.expectSame(try ImageFile.readMetadata(back).exif.flatMap { EXIFDirectories(stream: $0) }, original, "PNG again")
    }

    @Test("EXIF beside everything else a TIFF keeps, in strips, tiles and BigTIFF",
          arguments: [(nil, false), (16, false), (nil, true)] as [(Int?, Bool)])
    func besideGeoTags(tileSize: Int?, bigTIFF: Bool) throws {
        let folder = TemporaryFolder()
        let path = folder.file("all.tif")
        var metadata = ImageMetadataTests.full
        metadata.exif = HandBuiltEXIF.camera.build()
        let image = randomAnyImage(.float32, width: 37, height: 21, channels: 2, seed: 6)
        try TIFF.write(image, toTemporary: path, reportedPath: path, tileSize: tileSize, bigTIFF: bigTIFF, metadata: metadata)
        let got = try ImageFile.readMetadata(path)
        #expect(got.resolution == metadata.resolution && got.iccProfile == metadata.iccProfile && got.xmp == metadata.xmp)
        #expect(got.tiffTags == metadata.tiffTags)
        Self.expectSame(got.exif.flatMap { EXIFDirectories(stream: $0) }, try #require(EXIFDirectories(stream: metadata.exif!)), "TIFF")
        #expect(try ImageFile.read(path) == image)
    }

    @Test("a TIFF of its own with camera tags but no EXIF IFD gives a stream of those tags")
    func primaryTagsOnly() throws {
        let folder = TemporaryFolder()
        let path = folder.file("camera.tif"), jpeg = folder.file("out.jpg")
        try withTIFF(path, "w") { tiff in
            set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(4))
            set(tiff, TIFFTAG_IMAGELENGTH, UInt32(2))
            set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(8))
            set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(1))
            set(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK)
            set(tiff, TIFFTAG_ORIENTATION, Int32(3))
            "Scanner Co".withCString { set(tiff, TIFFTAG_MAKE, OpaquePointer($0)) }
            var data = [UInt8](repeating: 7, count: 8)
            #expect(TIFFWriteEncodedStrip(tiff, 0, &data, 8) == 8)
        }
        let stream = try #require(try ImageFile.readMetadata(path).exif)
        let exif = try #require(EXIFDirectories(stream: stream))
        #expect(Self.text(271, exif.primary) == "Scanner Co" && Self.integers(274, exif.primary) == [3])
        #expect(exif.exif.isEmpty && exif.gps.isEmpty)
        try ImageFile.write(.uint8(Image(width: 4, height: 2, channels: 1, repeating: 7)), to: jpeg,
                            metadata: try ImageFile.readMetadata(path))
        #expect(try ImageFile.readMetadata(jpeg).exif == stream)
    }

    @Test("hostile or broken EXIF streams never stop a TIFF being written")
    func hostileStreams() throws {
        let folder = TemporaryFolder()
        let path = folder.file("out.tif")
        let good = HandBuiltEXIF.camera.build()
        var pastEnd = good
        pastEnd[4...7] = [0x7F, 0xFF, 0xFF, 0xF0]  // IFD0 far past the end
        var loop = HandBuiltEXIF.camera
        loop.ifd1 = []
        var looping = loop.build()
        // ExifIFD pointing back to IFD0 (offset 8): the pointer entry's value, wherever it lies.
        if let at = (0..<(looping.count - 12)).first(where: { looping[$0] == 0x87 && looping[$0 + 1] == 0x69 }) {
            looping[(at + 8)...(at + 11)] = [0, 0, 0, 8]
        }
        var streams: [[UInt8]] = [ImageMetadataTests.exif, pastEnd, looping, [], Array(good.prefix(7)),
                                  Array(repeating: 0xFF, count: 300)]
        streams += stride(from: 8, to: good.count, by: 37).map { Array(good.prefix($0)) }
        let image = AnyImage.uint8(Image(width: 3, height: 2, channels: 1, repeating: 9))
        for stream in streams {
            _ = EXIFDirectories(stream: stream)
            try ImageFile.write(image, to: path, metadata: ImageMetadata(exif: stream, xmp: ImageMetadataTests.xmp))
            #expect(try ImageFile.read(path) == image)
            let got = try ImageFile.readMetadata(path)
            #expect(got.xmp == ImageMetadataTests.xmp)
            if let exif = got.exif { #expect(EXIFDirectories(stream: exif) != nil) }
        }
        // A tag over the 4 MiB a tag may have is left out, and so is a MakerNote over 65,535 bytes (libtiff
        // counts it in 16 bits); the rest is kept, a large tag of libtiff's 32-bit count included.
        var huge = HandBuiltEXIF.camera
        huge.exif.removeAll { $0.tag == 37500 }
        huge.exif += [HandBuiltEXIF.undefined(37500, [UInt8](repeating: 7, count: 70_000)),
                      HandBuiltEXIF.undefined(0xC352, [UInt8](repeating: 8, count: 5 << 20)),
                      HandBuiltEXIF.undefined(0xC353, [UInt8](repeating: 9, count: 100_000))]
        try ImageFile.write(image, to: path, metadata: ImageMetadata(exif: huge.build()))
        let kept = try #require(try ImageFile.readMetadata(path).exif.flatMap { EXIFDirectories(stream: $0) })
        #expect(kept.exif.first { $0.tag == 37500 } == nil && kept.exif.first { $0.tag == 0xC352 } == nil)
        #expect(Self.integers(0xC353, kept.exif)?.count == 100_000 && Self.text(36867, kept.exif) == "2024:05:17 14:03:27")
    }

    @Test("damaged EXIF streams and damaged EXIF IFDs in TIFFs: errors or less EXIF, never a crash")
    func mutants() throws {
        let folder = TemporaryFolder()
        let path = folder.file("mutant.tif"), damaged = folder.file("damaged.tif")
        let good = HandBuiltEXIF.camera.build()
        let image = AnyImage.uint8(Image(width: 2, height: 2, channels: 1, repeating: 5))
        try ImageFile.write(image, to: path, metadata: ImageMetadata(exif: good))
        let file = bytes(of: path)
        var generator = SplitMix64(seed: 17)
        for _ in 0..<300 {
            // 1 to 4 random bytes of the stream changed, then written into a TIFF and read back.
            var stream = good
            for _ in 0...Int.random(in: 0...3, using: &generator) {
                stream[Int.random(in: 0..<stream.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            try ImageFile.write(image, to: path, metadata: ImageMetadata(exif: stream))
            #expect(try ImageFile.read(path) == image)
            _ = try ImageFile.readMetadata(path)
            // The TIFF's own EXIF and GPS IFDs (its first bytes, before the pixels) damaged.
            var tiff = file
            for _ in 0...Int.random(in: 0...3, using: &generator) {
                tiff[Int.random(in: 8..<min(tiff.count, 700), using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            writeBytes(tiff, to: damaged)
            _ = try? ImageFile.readMetadata(damaged)
        }
    }
}
