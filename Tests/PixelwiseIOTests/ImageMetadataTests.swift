import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

/// EXIF, XMP, ICC, TIFF resolution and GeoTIFF tags written with an image and read back.
@Suite("Image metadata")
struct ImageMetadataTests {
    static let exif: [UInt8] = Array("II*\0".utf8) + [8, 0, 0, 0] + (0..<500).map { UInt8($0 % 251) }
    static let xmp = Array("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF/></x:xmpmeta>".utf8)
    /// Larger than one JPEG APP2 segment: written in two chunks.
    static let icc: [UInt8] = (0..<70_000).map { UInt8(($0 * 31) % 256) }

    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }
    static let geoTags: [ImageMetadata.TIFFTag] = [
        .doubles(33550, [0.5, 0.5, 0]),
        .doubles(33922, [0, 0, 0, 500_000, 4_649_776, 0]),
        .init(tag: 34735, type: 3, count: 8, bytes: [1, 1, 0, 1, 1, 0, 0, 1, 0x0C, 4, 0, 0, 1, 0, 0x7F, 0x7F].map { $0 }),
        .init(tag: 34737, type: 2, count: 8, bytes: ascii("WGS 84|")),
        .init(tag: 42113, type: 2, count: 5, bytes: ascii("-999")),
    ]

    static let full = ImageMetadata(exif: exif, xmp: xmp, iccProfile: icc,
                                    resolution: .init(x: 300, y: 300, unit: 2), tiffTags: geoTags)

    @Test("JPEG: EXIF, XMP and a two-segment ICC profile round-trip", arguments: [1, 3])
    func jpeg(channels: Int) throws {
        let folder = TemporaryFolder()
        let path = folder.file("m.jpg")
        let image = AnyImage.uint8(photoLikeImage(width: 33, height: 17, channels: channels, seed: 1))
        try ImageFile.write(image, to: path, metadata: Self.full)
        #expect(try ImageFile.readMetadata(path) == ImageMetadata(exif: Self.exif, xmp: Self.xmp, iccProfile: Self.icc))
        #expect(try ImageFile.read(path).width == 33)
        // EXIF right after the JFIF header, where readers look for it.
        let bytes = bytes(of: path)
        #expect(bytes[2] == 0xFF && bytes[3] == 0xE0 && bytes[20] == 0xFF && bytes[21] == 0xE1)
        try ImageFile.write(image, to: path)
        #expect(try ImageFile.readMetadata(path) == .none)
    }

    @Test("PNG: eXIf, iCCP and the XMP iTXt round-trip", arguments: [SampleType.uint8, .uint16])
    func png(type: SampleType) throws {
        let folder = TemporaryFolder()
        let path = folder.file("m.png")
        try ImageFile.write(randomAnyImage(type, width: 9, height: 5, channels: 3, seed: 2), to: path, metadata: Self.full)
        let got = try ImageFile.readMetadata(path)
        #expect(got.exif == Self.exif, "exif \(got.exif?.count ?? -1)")
        #expect(got.xmp == Self.xmp, "xmp \(got.xmp?.count ?? -1)")
        #expect(got.iccProfile == Self.icc, "icc \(got.iccProfile?.count ?? -1)")
    }

    @Test("TIFF: resolution, ICC, XMP and every GeoTIFF/GDAL tag round-trip", arguments: [SampleType.uint8, .float32])
    func tiff(type: SampleType) throws {
        let folder = TemporaryFolder()
        let path = folder.file("m.tif")
        let image = randomAnyImage(type, width: 9, height: 5, channels: 1, seed: 3)
        var metadata = Self.full
        metadata.tiffTags.append(.doubles(34264, [2, 0, 0, 100, 0, -2, 0, 200, 0, 0, 0, 0, 0, 0, 0, 1]))
        try ImageFile.write(image, to: path, metadata: metadata)
        var expected = metadata
        expected.exif = nil  // not an EXIF stream libtiff reads (bytes after the header): no EXIF IFD written
        let got = try ImageFile.readMetadata(path)
        #expect(got.resolution == expected.resolution, "\(String(describing: got.resolution))")
        #expect(got.iccProfile == expected.iccProfile && got.xmp == expected.xmp && got.exif == nil)
        for tag in expected.tiffTags {
            #expect(got.tiffTag(tag.tag) == tag, "\(tag.tag): \(String(describing: got.tiffTag(tag.tag)))")
        }
        #expect(got.tiffTags.count == expected.tiffTags.count)
        #expect(try ImageFile.read(path) == image)
    }

    @Test("a crop moves the georeference with the region")
    func cropped() throws {
        var metadata = Self.full
        metadata.tiffTags.append(.doubles(34264, [2, 0, 0, 100, 0, -2, 0, 200, 0, 0, 1, 0, 0, 0, 0, 1]))
        let crop = metadata.cropped(x: 10, y: 4)
        #expect(crop.tiffTag(33922)?.doubles == [-10, -4, 0, 500_000, 4_649_776, 0])
        #expect(crop.tiffTag(34264)?.doubles == [2, 0, 0, 120, 0, -2, 0, 192, 0, 0, 1, 0, 0, 0, 0, 1])
        #expect(crop.tiffTag(33550) == metadata.tiffTag(33550) && crop.exif == metadata.exif)
    }

    @Test("formats without metadata read as none")
    func none() throws {
        let folder = TemporaryFolder()
        let path = folder.file("m.npy")
        try ImageFile.write(.uint8(Image(width: 2, height: 2)), to: path, metadata: Self.full)
        #expect(try ImageFile.readMetadata(path) == .none)
    }
}
