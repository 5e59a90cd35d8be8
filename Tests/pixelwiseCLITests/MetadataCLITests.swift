import CTIFF
import Foundation
import Pixelwise
import PixelwiseIO
import Testing

/// Outputs derived from one input keep its metadata: `hotpixels fix`, `blur`, `quantize -o`, `crop`.
@Suite("CLI: metadata carried through")
struct MetadataCLITests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    static let exif: [UInt8] = Array("MM\0*".utf8) + [0, 0, 0, 8] + (0..<200).map { UInt8($0) }
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
            var expected = Self.photoMetadata
            if output.hasSuffix(".tif") { expected.exif = nil }  // no EXIF IFD in TIFF outputs
            #expect(try ImageFile.readMetadata(folder.path(output)) == expected, "\(format) -> \(output)")
        }
        let stripped = folder.path("stripped.jpg")
        #expect(try CLI.run("hotpixels", "fix", input, "--pixel", "20,20", "--strip-metadata", "-o", stripped).status == 0)
        #expect(try ImageFile.readMetadata(stripped) == .none)
        let reencoded = folder.path("reencoded.jpg")
        #expect(try CLI.run("hotpixels", "fix", input, "--pixel", "20,20", "--reencode", "-o", reencoded).status == 0)
        #expect(try ImageFile.readMetadata(reencoded) == Self.photoMetadata)
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
