import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

/// Plain PBM/PGM/PPM (P1, P2, P3) and raw PBM (P4).
@Suite("PNM plain and bitmap")
struct PNMPlainTests {
    func read(_ text: [UInt8]) throws -> AnyImage {
        let folder = TemporaryFolder()
        let path = folder.file("f.pnm")
        writeBytes(text, to: path)
        #expect(try ImageFile.format(of: path) == .pnm)
        return try ImageFile.read(path)
    }

    @Test("P1 and P4: black (1) is 0, white (0) is 255; P1 digits need no spaces; P4 rows are padded to bytes")
    func bitmaps() throws {
        let p1 = try read(Array("P1\n# a comment\n3 2\n1 0 1\n011".utf8))
        #expect(p1 == .uint8(Image(width: 3, height: 2, channels: 1, samples: [0, 255, 0, 255, 0, 0])))
        // 10 pixels a row: 2 bytes per row.
        let p4 = try read(Array("P4\n10 2\n".utf8) + [0b1010_0000, 0b0100_0000, 0b0000_0000, 0b1100_0000])
        let first: [UInt8] = [0, 255, 0, 255, 255, 255, 255, 255, 255, 0]
        let second: [UInt8] = [255, 255, 255, 255, 255, 255, 255, 255, 0, 0]
        #expect(p4 == .uint8(Image(width: 10, height: 2, channels: 1, samples: first + second)))
    }

    @Test("P2 and P3: ASCII samples, maxval picks the sample type, values kept as stored")
    func plain() throws {
        let p2 = try read(Array("P2 2 2 15\n0 15\n# c\n7 3\n".utf8))
        #expect(p2 == .uint8(Image(width: 2, height: 2, channels: 1, samples: [0, 15, 7, 3])))
        let p3 = try read(Array("P3\n2 1\n1000\n1 2 3 999 1000 0\n".utf8))
        #expect(p3 == .uint16(Image(width: 2, height: 1, channels: 3, samples: [1, 2, 3, 999, 1000, 0])))
    }

    @Test("bad plain files: a sample past maxval, a letter, too few samples", arguments: [
        "P2\n2 1\n10\n3 11\n", "P2\n2 1\n10\n3 x\n", "P1\n2 2\n0 1 2 0\n", "P3\n1 1\n255\n1 2\n",
    ])
    func bad(_ text: String) throws {
        let folder = TemporaryFolder()
        let path = folder.file("bad.pgm")
        writeBytes(Array(text.utf8), to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isCorrupt(error, .pnm) || isTruncated(error, .pnm), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
    }
}
