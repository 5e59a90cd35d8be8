import CTIFF
import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

/// Signed and 32-bit integer TIFF and NPY: int8/int16 → float32, int32/uint32 → float64, values exact.
@Suite("Signed samples")
struct SignedSamplesTests {
    static let values: [Int64] = [0, 1, -1, 127, -128, 100, -77, 5]

    /// (bits, signed, expected type, values that fit)
    static let kinds: [(bits: Int, signed: Bool, type: SampleType, values: [Int64])] = [
        (8, true, .float32, values),
        (16, true, .float32, values + [32767, -32768, 1000, -1000].map { $0 }),
        (32, true, .float64, values + [Int64(Int32.max), Int64(Int32.min), 70000, -70000]),
        (32, false, .float64, [0, 1, 127, 4_294_967_295, 70000, 3, 5, 6, 7, 8, 9, 10]),
    ]

    func bytes(_ values: [Int64], bits: Int, bigEndian: Bool = false) -> [UInt8] {
        values.flatMap { value -> [UInt8] in
            let raw = UInt64(bitPattern: value)
            let little = (0..<(bits / 8)).map { UInt8((raw >> (8 * UInt64($0))) & 0xFF) }
            return bigEndian ? little.reversed() : little
        }
    }

    func expect(_ image: AnyImage, _ kind: (bits: Int, signed: Bool, type: SampleType, values: [Int64]), width: Int, height: Int) throws {
        #expect(image.sampleType == kind.type)
        #expect(image.width == width && image.height == height)
        switch image {
        case .float32(let typed): #expect(typed.samples == kind.values.map { Float($0) })
        case .float64(let typed): #expect(typed.samples == kind.values.map { Double($0) })
        default: Issue.record("unexpected type \(image.sampleType)")
        }
    }

    @Test("TIFF", arguments: 0..<4)
    func tiff(kindIndex: Int) throws {
        let kind = Self.kinds[kindIndex]
        let folder = TemporaryFolder()
        let path = folder.file("s.tif")
        let width = 4, height = kind.values.count / 4
        try withTIFF(path, "w") { tiff in
            set(tiff, TIFFTAG_IMAGEWIDTH, UInt32(width))
            set(tiff, TIFFTAG_IMAGELENGTH, UInt32(height))
            set(tiff, TIFFTAG_BITSPERSAMPLE, Int32(kind.bits))
            set(tiff, TIFFTAG_SAMPLESPERPIXEL, Int32(1))
            set(tiff, TIFFTAG_SAMPLEFORMAT, kind.signed ? SAMPLEFORMAT_INT : SAMPLEFORMAT_UINT)
            set(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK)
            set(tiff, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE)
            set(tiff, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL)
            set(tiff, TIFFTAG_ROWSPERSTRIP, UInt32(height))
            var data = bytes(kind.values, bits: kind.bits)
            #expect(TIFFWriteEncodedStrip(tiff, 0, &data, tmsize_t(data.count)) == data.count)
        }
        #expect(try ImageFile.info(path).sampleType == kind.type)
        try expect(try ImageFile.read(path), kind, width: width, height: height)
    }

    @Test("NPY, either byte order", arguments: 0..<4)
    func npy(kindIndex: Int) throws {
        let kind = Self.kinds[kindIndex]
        let folder = TemporaryFolder()
        for bigEndian in [false, true] {
            let path = folder.file("s.npy")
            let height = kind.values.count / 4
            let type = NPY.DataType(kind: kind.signed ? .int : .uint, size: kind.bits / 8, isBigEndian: bigEndian)
            var header = NPY.header(dataType: NPY.DataType(kind: type.kind, size: type.size), shape: [height, 4])
            if bigEndian, kind.bits > 8, let index = header.firstIndex(of: UInt8(ascii: "<")) { header[index] = UInt8(ascii: ">") }
            writeBytes(header + bytes(kind.values, bits: kind.bits, bigEndian: bigEndian), to: path)
            #expect(try ImageFile.info(path).sampleType == kind.type)
            try expect(try ImageFile.read(path), kind, width: 4, height: height)
        }
    }
}
