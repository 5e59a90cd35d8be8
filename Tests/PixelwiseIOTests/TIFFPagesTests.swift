import CTIFF
import Foundation
import Pixelwise
@testable import PixelwiseIO
import Synchronization
import Testing

/// Multi-page TIFFs: `page` chooses one; without it the first is read and the page count reported.
@Suite("TIFF pages")
struct TIFFPagesTests {
    /// Three pages of different sizes and values: page p is (4 + p)×3, every sample 10·(p + 1).
    static func writePages(_ path: String) throws {
        try withTIFF(path, "w") { tiff in
            for page in 0..<3 {
                let width = 4 + page
                set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(width))
                set(tiff, TIFFTAG_IMAGELENGTH, UInt32(3))
                set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(8))
                set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(1))
                set(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK)
                set(tiff, TIFFTAG_ROWSPERSTRIP, UInt32(3))
                var data = [UInt8](repeating: UInt8(10 * (page + 1)), count: width * 3)
                #expect(TIFFWriteEncodedStrip(tiff, 0, &data, tmsize_t(data.count)) == data.count)
                #expect(TIFFWriteDirectory(tiff) == 1)
            }
        }
    }

    @Test("--page N reads page N; none reads the first and says how many there are")
    func pages() throws {
        let folder = TemporaryFolder()
        let path = folder.file("pages.tif")
        try Self.writePages(path)
        let warnings = Mutex<[String]>([])
        var options = ImageReadOptions()
        options.warn = { line in warnings.withLock { $0.append(line) } }
        let first = try ImageFile.read(path, options: options)
        #expect(first == .uint8(Image(width: 4, height: 3, channels: 1, repeating: 10)))
        let lines = warnings.withLock { $0 }
        #expect(lines.count == 1 && lines[0].contains(path) && lines[0].contains("3 pages"), "\(lines)")
        for page in 0..<3 {
            options.page = page
            #expect(try ImageFile.read(path, options: options) == .uint8(Image(width: 4 + page, height: 3, channels: 1,
                                                                                 repeating: UInt8(10 * (page + 1)))))
            #expect(try ImageFile.info(path, options: options).width == 4 + page)
        }
        #expect(warnings.withLock { $0.count } == 1)
        options.page = 3
        let error = imageFileError { _ = try ImageFile.read(path, options: options) }
        #expect(isUnsupported(error) && error!.description.contains("has 3 pages"), "\(String(describing: error))")
        expectOneLine(error, naming: path)
    }

    @Test("a single-page TIFF warns nothing; --page past 0 on another format is an error")
    func singlePage() throws {
        let folder = TemporaryFolder()
        let tif = folder.file("one.tif"), png = folder.file("one.png")
        try ImageFile.write(.uint8(Image(width: 2, height: 2)), to: tif)
        try ImageFile.write(.uint8(Image(width: 2, height: 2)), to: png)
        var options = ImageReadOptions()
        options.warn = { line in Issue.record("unexpected warning \(line)") }
        _ = try ImageFile.read(tif, options: options)
        options.page = 1
        let error = imageFileError { _ = try ImageFile.read(png, options: options) }
        #expect(isUnsupported(error))
        expectOneLine(error, naming: png)
        options.page = 0
        _ = try ImageFile.read(png, options: options)
    }
}

/// Each page of a multi-page TIFF has its own metadata; the one read is the one carried.
@Suite("TIFF pages: metadata")
struct TIFFPageMetadataTests {
    /// Page 0 and page 1 with nothing in common: resolution, XMP, ICC, georeference, EXIF.
    static let pages: [ImageMetadata] = [
        ImageMetadata(exif: EXIFDirectories(primary: [.init(tag: 271, type: TIFF_ASCII, values: .text(Array("Page Zero".utf8)))]).stream(),
                      xmp: Array("<x:xmpmeta>page 0</x:xmpmeta>".utf8), resolution: .init(x: 100, y: 100, unit: 2),
                      tiffTags: [.doubles(33550, [1, 1, 0]), .doubles(33922, [0, 0, 0, 10, 20, 0])]),
        ImageMetadata(exif: HandBuiltEXIF.camera.build(), xmp: Array("<x:xmpmeta>page 1</x:xmpmeta>".utf8),
                      iccProfile: (0..<900).map { UInt8($0 % 256) }, resolution: .init(x: 40, y: 50, unit: 3),
                      tiffTags: [.doubles(33550, [0.5, 0.5, 0]), .doubles(33922, [0, 0, 0, 600_000, 5_000_000, 0]),
                                 .init(tag: 42113, type: 2, count: 3, bytes: Array("-9\0".utf8))]),
    ]

    /// Writes one 3×2 8-bit page per metadata, page p filled with p + 1, with libtiff and the writer's own
    /// metadata code.
    static func writePages(_ path: String, _ pages: [ImageMetadata]) throws {
        try withTIFF(path, "w") { tiff in
            for (index, metadata) in pages.enumerated() {
                let exif = metadata.exif.flatMap { EXIFDirectories(stream: $0) }
                let pointers = exif?.writeSubdirectories(to: tiff) ?? (nil, nil)
                set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(3))
                set(tiff, TIFFTAG_IMAGELENGTH, UInt32(2))
                set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(8))
                set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(1))
                set(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK)
                set(tiff, TIFFTAG_ROWSPERSTRIP, UInt32(2))
                try TIFF.writeMetadata(metadata, to: tiff) { ImageFileError.cannotWrite(path: path, reason: $0) }
                exif?.setPrimary(on: tiff, pointers: pointers)
                var data = [UInt8](repeating: UInt8(index + 1), count: 6)
                #expect(TIFFWriteEncodedStrip(tiff, 0, &data, 6) == 6)
                #expect(TIFFWriteDirectory(tiff) == 1)
            }
        }
    }

    @Test("readMetadata with a page gives that page's resolution, XMP, ICC, GeoTIFF tags and EXIF")
    func perPage() throws {
        let folder = TemporaryFolder()
        let path = folder.file("pages.tif")
        try Self.writePages(path, Self.pages)
        #expect(try ImageFile.readMetadata(path) == Self.pages[0])
        #expect(try ImageFile.readMetadata(path, page: 0) == Self.pages[0])
        let second = try ImageFile.readMetadata(path, page: 1)
        var expected = Self.pages[1]
        expected.exif = second.exif
        #expect(second == expected)
        TIFFEXIFTests.expectSame(second.exif.flatMap { EXIFDirectories(stream: $0) },
                                 try #require(EXIFDirectories(stream: Self.pages[1].exif!)), "page 1")
        var options = ImageReadOptions()
        options.page = 1
        #expect(try ImageFile.read(path, options: options) == .uint8(Image(width: 3, height: 2, channels: 1, repeating: 2)))
        let error = imageFileError { _ = try ImageFile.readMetadata(path, page: 2) }
        #expect(isUnsupported(error) && error!.description.contains("has 2 pages"), "\(String(describing: error))")
    }
}
