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
