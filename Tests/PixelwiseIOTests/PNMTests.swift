import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

@Suite("PNM")
struct PNMTests {
    @Test("writes and reads back identically", arguments: RoundTripCase.all(types: [.uint8, .uint16], channels: [1, 3]))
    func roundTrip(_ testCase: RoundTripCase) throws {
        let folder = TemporaryFolder()
        let path = folder.file(testCase.channels == 1 ? "image.pgm" : "image.ppm")
        let image = randomAnyImage(testCase.sampleType, width: testCase.width, height: testCase.height,
                                   channels: testCase.channels, seed: testCase.seed)
        try ImageFile.write(image, to: path)
        #expect(try ImageFile.read(path) == image)
        #expect(try ImageFile.read(path, options: .init(allowMemoryMap: false)) == image)
        #expect(try ImageFile.info(path) == ImageInfo(width: testCase.width, height: testCase.height,
                                                      channels: testCase.channels, sampleType: testCase.sampleType,
                                                      format: .pnm))
    }

    @Test("a mapped 8-bit image copies on write and never touches the file")
    func mappedCopyOnWrite() throws {
        let folder = TemporaryFolder()
        let path = folder.file("mapped.pgm")
        let original = randomImage(UInt8.self, width: 7, height: 5, channels: 1, seed: 3)
        try ImageFile.write(.uint8(original), to: path)
        var image = try #require(try ImageFile.read(path).typed(as: UInt8.self))
        image[3, 2] = image[3, 2] &+ 1
        #expect(image != original)
        #expect(try ImageFile.read(path) == .uint8(original))
    }

    @Test("header text and 16-bit big-endian samples are as netpbm writes them")
    func fileLayout() throws {
        let folder = TemporaryFolder()
        let path = folder.file("wide.pgm")
        try ImageFile.write(.uint16(Image(width: 2, height: 1, channels: 1, samples: [0x0102, 0xFFFE])), to: path)
        #expect(bytes(of: path) == Array("P5\n2 1\n65535\n".utf8) + [0x01, 0x02, 0xFF, 0xFE])
    }

    @Test("comments and any whitespace in the header; maxval picks the sample type")
    func hostileHeader() throws {
        let folder = TemporaryFolder()
        let path = folder.file("commented.ppm")
        let header = "P6 # a comment right after the magic\n#another\n  2\t# width\n1\r\n# maxval next\n300\n"
        let samples: [UInt8] = [0, 1, 0, 2, 1, 44, 0xFF, 0xFF, 0x12, 0x34, 0, 0]
        writeBytes(Array(header.utf8) + samples, to: path)
        let image = try ImageFile.read(path)
        #expect(image == .uint16(Image(width: 2, height: 1, channels: 3, samples: [1, 2, 300, 0xFFFF, 0x1234, 0])))
        // maxval 255 or less gives bytes, kept as stored (not rescaled).
        writeBytes(Array("P5 3 1 15\n".utf8) + [0, 7, 15], to: path)
        #expect(try ImageFile.read(path) == .uint8(Image(width: 3, height: 1, channels: 1, samples: [0, 7, 15])))
    }

    @Test("two- and four-channel images and floats are refused", arguments: [(SampleType.uint8, 2), (.uint8, 4), (.float32, 1)])
    func refused(_ shape: (type: SampleType, channels: Int)) throws {
        let folder = TemporaryFolder()
        let path = folder.file("refused.pgm")
        let error = imageFileError { try ImageFile.write(randomAnyImage(shape.type, width: 3, height: 3, channels: shape.channels, seed: 1), to: path) }
        #expect(isUnsupported(error))
        expectOneLine(error, naming: path)
    }

    @Test("a file cut in half, or in its header, is truncated")
    func truncated() throws {
        let folder = TemporaryFolder()
        let whole = folder.file("whole.ppm"), half = folder.file("half.ppm")
        try ImageFile.write(randomAnyImage(.uint16, width: 20, height: 10, channels: 3, seed: 1), to: whole)
        writeFirstHalf(of: whole, to: half)
        let error = imageFileError { _ = try ImageFile.read(half) }
        #expect(isTruncated(error, .pnm), "got \(String(describing: error))")
        expectOneLine(error, naming: half)
        writeBytes(Array("P6\n20 10".utf8), to: half)
        #expect(isTruncated(imageFileError { _ = try ImageFile.read(half) }, .pnm))
    }

    @Test("broken headers are corrupt", arguments: ["P5\nx 1\n255\n", "P5\n1 1\n0\n", "P5\n1 1\n70000\n", "P5\n0 4\n255\n", "P5\n1 1\n255#\n"])
    func corrupt(header: String) throws {
        let folder = TemporaryFolder()
        let path = folder.file("broken.pgm")
        writeBytes(Array(header.utf8) + [1, 2, 3, 4], to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isCorrupt(error, .pnm), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
    }

    @Test("a header declaring more pixels than the limit is refused before reading")
    func pixelLimit() throws {
        let folder = TemporaryFolder()
        let path = folder.file("small.pgm")
        try ImageFile.write(.uint8(Image(width: 10, height: 10)), to: path)
        #expect(isTooManyPixels(imageFileError { _ = try ImageFile.read(path, options: .init(maxPixels: 99)) }))
        #expect(try ImageFile.read(path, options: .init(maxPixels: 100)).width == 10)
        writeBytes(Array("P5\n100000 100000\n255\n".utf8) + [0, 0], to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isTooManyPixels(error), "got \(String(describing: error))")
    }
}
