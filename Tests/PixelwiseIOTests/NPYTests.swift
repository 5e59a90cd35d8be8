import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

@Suite("NPY")
struct NPYTests {
    @Test("writes and reads back identically", arguments: RoundTripCase.all(types: SampleType.allCases, channels: [1, 2, 3, 4]))
    func roundTrip(_ testCase: RoundTripCase) throws {
        let folder = TemporaryFolder()
        let path = folder.file("image.npy")
        let image = randomAnyImage(testCase.sampleType, width: testCase.width, height: testCase.height,
                                   channels: testCase.channels, seed: testCase.seed)
        try ImageFile.write(image, to: path)
        #expect(try ImageFile.read(path) == image)
        #expect(try ImageFile.read(path, options: .init(allowMemoryMap: false)) == image)
        #expect(try ImageFile.info(path) == ImageInfo(width: testCase.width, height: testCase.height,
                                                      channels: testCase.channels, sampleType: testCase.sampleType,
                                                      format: .npy))
    }

    /// A hand-built `.npy`: magic, version, header length (2 bytes for v1, 4 for v2/v3), dictionary, data.
    private func npy(version: UInt8, descr: String, shape: String, fortran: Bool = false, data: [UInt8]) -> [UInt8] {
        var dictionary = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        let prefix = version == 1 ? 10 : 12
        dictionary += String(repeating: " ", count: (64 - (prefix + dictionary.utf8.count + 1) % 64) % 64) + "\n"
        let length = dictionary.utf8.count
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
        out += version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                            : [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
        return out + Array(dictionary.utf8) + data
    }

    @Test("big-endian arrays are swapped into host order")
    func bigEndian() throws {
        let folder = TemporaryFolder()
        let path = folder.file("big.npy")
        writeBytes(npy(version: 1, descr: ">u2", shape: "(2, 3)", data: [0x01, 0x02, 0, 3, 0xFF, 0xFE, 0, 0, 0x80, 0, 0x12, 0x34]), to: path)
        #expect(try ImageFile.read(path) == .uint16(Image(width: 3, height: 2, channels: 1, samples: [0x0102, 3, 0xFFFE, 0, 0x8000, 0x1234])))
        let values: [Double] = [1.5, -2.25, .greatestFiniteMagnitude, 0]
        let data = values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (56 - 8 * $0)) } }
        writeBytes(npy(version: 1, descr: ">f8", shape: "(1, 2, 2)", data: data), to: path)
        #expect(try ImageFile.read(path) == .float64(Image(width: 2, height: 1, channels: 2, samples: values)))
    }

    @Test("format versions 2 and 3 (4-byte header length) read", arguments: [UInt8(2), 3])
    func laterVersions(version: UInt8) throws {
        let folder = TemporaryFolder()
        let path = folder.file("v\(version).npy")
        writeBytes(npy(version: version, descr: "|u1", shape: "(2, 2, 3)", data: Array(0..<12)), to: path)
        #expect(try ImageFile.read(path) == .uint8(Image(width: 2, height: 2, channels: 3, samples: Array(0..<12))))
        #expect(try ImageFile.info(path).channels == 3)
    }

    @Test("Fortran order is refused with a way out")
    func fortranOrder() throws {
        let folder = TemporaryFolder()
        let path = folder.file("fortran.npy")
        writeBytes(npy(version: 1, descr: "<u2", shape: "(2, 2)", fortran: true, data: [UInt8](repeating: 0, count: 8)), to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isUnsupported(error))
        #expect(error?.description.contains("ascontiguousarray") == true)
        expectOneLine(error, naming: path)
    }

    @Test("non-image arrays are refused", arguments: [("<i8", "(2, 2)"), ("<u1", "(4,)"), ("<u1", "(1, 1, 5)"), ("<c8", "(2, 2)")])
    func notImages(_ array: (descr: String, shape: String)) throws {
        let folder = TemporaryFolder()
        let path = folder.file("array.npy")
        writeBytes(npy(version: 1, descr: array.descr, shape: array.shape, data: [UInt8](repeating: 0, count: 64)), to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isUnsupported(error), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
    }

    @Test("a file cut in half, or in its header, is truncated")
    func truncated() throws {
        let folder = TemporaryFolder()
        let whole = folder.file("whole.npy"), half = folder.file("half.npy")
        try ImageFile.write(randomAnyImage(.float32, width: 20, height: 10, channels: 3, seed: 1), to: whole)
        writeFirstHalf(of: whole, to: half)
        let error = imageFileError { _ = try ImageFile.read(half) }
        #expect(isTruncated(error, .npy), "got \(String(describing: error))")
        expectOneLine(error, naming: half)
        writeBytes(Array(bytes(of: whole).prefix(40)), to: half)
        #expect(isTruncated(imageFileError { _ = try ImageFile.read(half) }, .npy))
    }

    @Test("a header declaring more pixels than the limit is refused")
    func pixelLimit() throws {
        let folder = TemporaryFolder()
        let path = folder.file("small.npy")
        try ImageFile.write(.uint8(Image(width: 10, height: 10)), to: path)
        #expect(isTooManyPixels(imageFileError { _ = try ImageFile.read(path, options: .init(maxPixels: 99)) }))
        #expect(try ImageFile.read(path, options: .init(maxPixels: 100)).width == 10)
    }
}
