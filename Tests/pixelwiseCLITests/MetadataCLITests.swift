import CTIFF
import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

/// Outputs derived from one input keep its metadata: `hotpixels fix`, `blur`, `quantize -o`, `crop`.
@Suite("CLI: metadata carried through")
struct MetadataCLITests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    /// A camera's EXIF, written by libtiff: make, model, orientation 6, the date taken, an exposure time,
    /// and GPS 51° 30′ 26.46″ N, 0° 7′ 39.93″ W.
    static let exifDirectories = EXIFDirectories(
        primary: [.init(tag: 271, type: TIFF_ASCII, values: .text(Array("Canon".utf8))),
                  .init(tag: 272, type: TIFF_ASCII, values: .text(Array("Canon EOS R5".utf8))),
                  .init(tag: 274, type: TIFF_SHORT, values: .integers([6]))],
        exif: [.init(tag: 33434, type: TIFF_RATIONAL, values: .reals([1.0 / 250])),
               .init(tag: 36867, type: TIFF_ASCII, values: .text(Array("2024:05:17 14:03:27".utf8)))],
        gps: [.init(tag: 1, type: TIFF_ASCII, values: .text(Array("N".utf8))),
              .init(tag: 2, type: TIFF_RATIONAL, values: .reals([51, 30, 26.46])),
              .init(tag: 3, type: TIFF_ASCII, values: .text(Array("W".utf8))),
              .init(tag: 4, type: TIFF_RATIONAL, values: .reals([0, 7, 39.93]))])
    static let exif: [UInt8] = exifDirectories.stream()!
    /// The tags as libtiff reads them back (the exposure time a 32-bit float: 0.004000000189989805).
    static let exifAsRead = EXIFDirectories(stream: exif)!
    static let xmp = Array("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>".utf8)
    static let icc: [UInt8] = (0..<3000).map { UInt8($0 % 256) }
    static let photoMetadata = ImageMetadata(exif: exif, xmp: xmp, iccProfile: icc)
    static let geo = ImageMetadata(resolution: .init(x: 72, y: 72, unit: 2), tiffTags: [
        .doubles(33550, [0.25, 0.25, 0]),
        .doubles(33922, [0, 0, 0, 651_000, 5_432_000, 0]),
        .init(tag: 34735, type: 3, count: 4, bytes: [1, 0, 1, 0, 0, 0, 0, 0]),
        .init(tag: 42113, type: 2, count: 2, bytes: [0x30, 0]),
    ])

    func photo(_ name: String, format: String) throws -> String {
        let path = folder.path(name)
        var image = Image<UInt8>(width: 48, height: 40, channels: 3, repeating: 90)
        for c in 0..<3 { image[20, 20, c] = 255 }
        try ImageFile.write(.uint8(image), to: path, metadata: Self.photoMetadata)
        return path
    }

    @Test(arguments: ["jpg", "png"])
    func hotPixelsFixKeepsEXIFXMPAndICCAndStripMetadataDropsThem(format: String) throws {
        let input = try photo("in.\(format)", format: format)
        for output in ["out.jpg", "out.png", "out.tif"] {
            let result = try CLI.run("hotpixels", "fix", input, "--pixel", "20,20", "-o", folder.path(output))
            #expect(result.status == 0, "\(result.stderr)")
            let got = try ImageFile.readMetadata(folder.path(output))
            var expected = Self.photoMetadata
            // A TIFF holds EXIF as IFDs of its own, read back into a stream libtiff writes anew: same tags.
            if output.hasSuffix(".tif") { expected.exif = got.exif }
            #expect(got == expected, "\(format) -> \(output)")
            #expect(Self.exifTags(of: folder.path(output)) == Self.exifAsRead, "\(format) -> \(output)")
        }
        let stripped = folder.path("stripped.jpg")
        #expect(try CLI.run("hotpixels", "fix", input, "--pixel", "20,20", "--strip-metadata", "-o", stripped).status == 0)
        #expect(try ImageFile.readMetadata(stripped) == .none)
        let reencoded = folder.path("reencoded.jpg")
        #expect(try CLI.run("hotpixels", "fix", input, "--pixel", "20,20", "--reencode", "-o", reencoded).status == 0)
        #expect(try ImageFile.readMetadata(reencoded) == Self.photoMetadata)
    }

    /// The EXIF of the file at `path`, as libtiff reads it.
    static func exifTags(of path: String) -> EXIFDirectories? {
        (try? ImageFile.readMetadata(path))?.exif.flatMap { EXIFDirectories(stream: $0) }
    }

    @Test func exifThroughATIFFAndBackToJPEGKeepsOrientationDateCameraAndGPS() throws {
        let input = try photo("camera.jpg", format: "jpg")
        let tiff = folder.path("repaired.tif"), back = folder.path("back.jpg"), png = folder.path("back.png")
        var result = try CLI.run("hotpixels", "fix", input, "--pixel", "20,20", "-o", tiff)
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run("blur", tiff, "--radius", "1", "-o", back)
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run("crop", tiff, "--region", "0,0,8,8", "-o", png)
        #expect(result.status == 0, "\(result.stderr)")
        for path in [tiff, back, png] {
            let exif = try #require(Self.exifTags(of: path), "\(path)")
            #expect(exif == Self.exifAsRead, "\(path)")
            #expect(exif.primary.first { $0.tag == 274 }?.values == .integers([6]))
            #expect(exif.exif.first { $0.tag == 36867 }?.values == .text(Array("2024:05:17 14:03:27".utf8)))
            #expect(exif.gps.first { $0.tag == 2 }?.values == .reals([51, 30, 26.46]))
        }
        // The TIFF's own main directory says the orientation and camera, as any TIFF reader looks for them.
        let handle = try #require(TIFFOpen(tiff, "r"))
        defer { TIFFClose(handle) }
        var orientation: UInt16 = 0
        #expect(withUnsafeMutablePointer(to: &orientation) { p in withVaList([p]) { TIFFVGetField(handle, UInt32(TIFFTAG_ORIENTATION), $0) } } == 1)
        #expect(orientation == 6)
    }

    /// Writes a TIFF of one 6×4 8-bit page per metadata (page p filled with p + 1), with libtiff and the
    /// TIFF writer's own metadata code.
    func writePages(_ path: String, _ pages: [ImageMetadata]) throws {
        let tiff = try #require(TIFFOpen(path, "w"))
        defer { TIFFClose(tiff) }
        func set(_ tag: Int32, _ value: CVarArg) {
            #expect(withVaList([value]) { TIFFVSetField(tiff, UInt32(tag), $0) } == 1)
        }
        for (index, metadata) in pages.enumerated() {
            let exif = metadata.exif.flatMap { EXIFDirectories(stream: $0) }
            let pointers = exif?.writeSubdirectories(to: tiff) ?? (nil, nil)
            set(TIFFTAG_IMAGEWIDTH, UInt32(6))
            set(TIFFTAG_IMAGELENGTH, UInt32(4))
            set(TIFFTAG_BITSPERSAMPLE, Int32(8))
            set(TIFFTAG_SAMPLESPERPIXEL, Int32(1))
            set(TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK)
            set(TIFFTAG_ROWSPERSTRIP, UInt32(4))
            try TIFF.writeMetadata(metadata, to: tiff) { ImageFileError.cannotWrite(path: path, reason: $0) }
            exif?.setPrimary(on: tiff, pointers: pointers)
            var data = [UInt8](repeating: UInt8(index + 1), count: 24)
            #expect(TIFFWriteEncodedStrip(tiff, 0, &data, 24) == 24)
            #expect(TIFFWriteDirectory(tiff) == 1)
        }
    }

    @Test func withPageNTheMetadataIsPageNs() throws {
        let input = folder.path("pages.tif")
        var second = Self.geo
        second.resolution = .init(x: 30, y: 30, unit: 3)
        second.xmp = Array("<x:xmpmeta>page 1</x:xmpmeta>".utf8)
        second.iccProfile = Self.icc
        second.exif = Self.exif
        try writePages(input, [ImageMetadata(xmp: Array("<x:xmpmeta>page 0</x:xmpmeta>".utf8)), second])
        let commands: [[String]] = [["crop", input, "--region", "2,1,3,3"], ["blur", input, "--radius", "1"],
                                    ["quantize", input, "-k", "2"], ["hotpixels", "fix", input, "--pixel", "1,1"]]
        for command in commands {
            let output = folder.path("\(command[0])-page1.tif")
            let result = try CLI.run(command + ["--page", "1", "-o", output])
            #expect(result.status == 0, "\(command[0]): \(result.stderr)")
            var got = try ImageFile.readMetadata(output)
            #expect(Self.exifTags(of: output) == Self.exifAsRead, "\(command[0])")
            got.exif = Self.exif
            #expect(got == (command[0] == "crop" ? second.cropped(x: 2, y: 1) : second), "\(command[0])")
        }
        // Without --page: page 0, and its metadata.
        let first = folder.path("page0.tif")
        #expect(try CLI.run("crop", input, "--region", "0,0,2,2", "-o", first).status == 0)
        #expect(try ImageFile.readMetadata(first) == ImageMetadata(xmp: Array("<x:xmpmeta>page 0</x:xmpmeta>".utf8)))
    }

    @Test func aCMYKTIFFIsRefusedSayingSo() throws {
        let input = folder.path("cmyk.tif")
        let tiff = try #require(TIFFOpen(input, "w"))
        for (tag, value) in [(TIFFTAG_IMAGEWIDTH, UInt32(4)), (TIFFTAG_IMAGELENGTH, UInt32(2)), (TIFFTAG_ROWSPERSTRIP, UInt32(2))] {
            #expect(withVaList([value]) { TIFFVSetField(tiff, UInt32(tag), $0) } == 1)
        }
        for (tag, value) in [(TIFFTAG_BITSPERSAMPLE, Int32(8)), (TIFFTAG_SAMPLESPERPIXEL, Int32(4)), (TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_SEPARATED)] {
            #expect(withVaList([value]) { TIFFVSetField(tiff, UInt32(tag), $0) } == 1)
        }
        var data = [UInt8](repeating: 50, count: 32)
        #expect(TIFFWriteEncodedStrip(tiff, 0, &data, 32) == 32)
        TIFFClose(tiff)
        for command in [["crop", input, "--region", "0,0,2,2", "-o", folder.path("x.png")], ["info", input]] {
            let result = try CLI.run(command)
            #expect(result.status != 0 && result.errorLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains(input) && result.stderr.contains("CMYK (separated) TIFF"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("x.png")))
    }

    @Test func geoTIFFThroughBlurQuantizeAndCropWhichShiftsTheTiepoint() throws {
        let input = folder.path("geo.tif")
        let image = Image<Float>(width: 30, height: 20, channels: 1, samples: (0..<600).map { Float($0 % 37) })
        try ImageFile.write(.float32(image), to: input, metadata: Self.geo)
        #expect(try ImageFile.readMetadata(input) == Self.geo)

        let blurred = folder.path("blurred.tif")
        var result = try CLI.run("blur", input, "--radius", "2", "-o", blurred)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ImageFile.readMetadata(blurred) == Self.geo)

        let quantized = folder.path("quantized.tif")
        result = try CLI.run("quantize", input, "-k", "3", "-o", quantized)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ImageFile.readMetadata(quantized) == Self.geo)

        let cropped = folder.path("cropped.tif")
        result = try CLI.run("crop", input, "--region", "7,5,10,10", "-o", cropped)
        #expect(result.status == 0, "\(result.stderr)")
        let shifted = try ImageFile.readMetadata(cropped)
        #expect(shifted.tiffTag(33922)?.doubles == [-7, -5, 0, 651_000, 5_432_000, 0])
        #expect(shifted == Self.geo.cropped(x: 7, y: 5))

        let stripped = folder.path("stripped.tif")
        #expect(try CLI.run("crop", input, "--region", "7,5,10,10", "--strip-metadata", "-o", stripped).status == 0)
        #expect(try ImageFile.readMetadata(stripped) == .none)
    }
}

/// Multi-page TIFFs on the command line: a warning naming the page count, or `--page N`.
@Suite("CLI: TIFF pages")
struct TIFFPagesCLITests {
    @Test func cropWarnsOfPagesOrReadsTheChosenOne() throws {
        let folder = try TemporaryFolder()
        let input = folder.path("pages.tif")
        // Two pages written with libtiff: page 0 is 6×4 of 1s, page 1 is 5×4 of 2s.
        let tiff = try #require(TIFFOpen(input, "w"))
        func set(_ tag: Int32, _ value: CVarArg) {
            #expect(withVaList([value]) { TIFFVSetField(tiff, UInt32(tag), $0) } == 1)
        }
        for (width, value) in [(6, UInt8(1)), (5, UInt8(2))] {
            set(TIFFTAG_IMAGEWIDTH, UInt32(width))
            set(TIFFTAG_IMAGELENGTH, UInt32(4))
            set(TIFFTAG_BITSPERSAMPLE, Int32(8))
            set(TIFFTAG_SAMPLESPERPIXEL, Int32(1))
            set(TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK)
            set(TIFFTAG_ROWSPERSTRIP, UInt32(4))
            var data = [UInt8](repeating: value, count: width * 4)
            #expect(TIFFWriteEncodedStrip(tiff, 0, &data, tmsize_t(data.count)) == data.count)
            #expect(TIFFWriteDirectory(tiff) == 1)
        }
        TIFFClose(tiff)
        var result = try CLI.run("crop", input, "--region", "0,0,5,4", "-o", folder.path("a.tif"))
        #expect(result.status == 0)
        #expect(result.stderr.contains("pixelwise: warning: ") && result.stderr.contains("2 pages"), "\(result.stderr)")
        #expect(try ImageFile.read(folder.path("a.tif")) == .uint8(Image(width: 5, height: 4, channels: 1, repeating: 1)))
        result = try CLI.run("crop", input, "--page", "1", "--region", "0,0,5,4", "-o", folder.path("b.tif"))
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
        #expect(try ImageFile.read(folder.path("b.tif")) == .uint8(Image(width: 5, height: 4, channels: 1, repeating: 2)))
        result = try CLI.run("crop", input, "--page", "2", "--region", "0,0,5,4", "-o", folder.path("c.tif"))
        #expect(result.status == 1 && result.stderr.contains("has 2 pages"), "\(result.stderr)")
    }
}
