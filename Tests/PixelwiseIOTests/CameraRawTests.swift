import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

@Suite("Camera RAW")
struct CameraRawTests {
    @Test("RAW extensions are recognised, case-insensitively")
    func extensions() {
        for name in ["a.NEF", "b.cr2", "dir.v2/c.Cr3", "d.arw", "e.dng", "f.RAF", "g.orf", "h.rw2", "i.pef", "j.srw", "k.3fr"] {
            #expect(CameraRaw.hasRawExtension(name), "\(name)")
        }
        for name in ["a.png", "b.tif", "c", "nef", ".nef/x", "d.nef.png"] {
            #expect(!CameraRaw.hasRawExtension(name), "\(name)")
        }
    }

    @Test("a file with a RAW name that is not a RAW gets a clear error", arguments: ["text", "tiff", "zeros"])
    func notRaw(content: String) throws {
        let folder = TemporaryFolder()
        let path = folder.file("photo.nef")
        switch content {
        case "text": writeBytes(Array("this is not a camera raw file at all".utf8), to: path)
        case "tiff":
            let tiff = folder.file("plain.tif")
            try ImageFile.write(.uint16(randomImage(UInt16.self, width: 40, height: 30, channels: 1, seed: 1)), to: tiff)
            try FileManager.default.copyItem(atPath: tiff, toPath: path)
        default: writeBytes([UInt8](repeating: 0, count: 4096), to: path)
        }
        #expect(try ImageFile.format(of: path) == .raw)
        for attempt in [{ _ = try ImageFile.read(path) }, { _ = try ImageFile.info(path) }, { _ = try CameraRaw.readMosaic(path) }] {
            let error = imageFileError(attempt)
            #expect(isUnsupported(error), "got \(String(describing: error))")
            #expect(error?.description.contains("not a camera RAW") == true)
            expectOneLine(error, naming: path)
        }
    }

    @Test("a PNG, JPEG or NPY with a RAW name is read as what it is")
    func signatureWins() throws {
        let folder = TemporaryFolder()
        let png = folder.file("image.png"), misnamed = folder.file("image.cr2")
        let image = AnyImage.uint8(randomImage(UInt8.self, width: 5, height: 4, channels: 3, seed: 1))
        try ImageFile.write(image, to: png)
        try FileManager.default.copyItem(atPath: png, toPath: misnamed)
        #expect(try ImageFile.format(of: misnamed) == .png)
        #expect(try ImageFile.read(misnamed) == image)
    }

    @Test("camera RAW is not a format we write")
    func notWritable() throws {
        let folder = TemporaryFolder()
        let path = folder.file("out.tif")
        let error = imageFileError {
            try ImageFile.write(.uint16(Image(width: 2, height: 2)), to: path, options: .init(format: .raw))
        }
        #expect(isUnsupported(error))
    }

    // MARK: - Real mosaics, from minimal DNGs built here (LibRaw refuses images under 22 pixels a side)

    static let patterns: [(name: String, bytes: [UInt8])] = [
        ("RGGB", [0, 1, 1, 2]), ("BGGR", [2, 1, 1, 0]), ("GRBG", [1, 0, 2, 1]), ("GBRG", [1, 2, 0, 1]),
    ]

    private func randomMosaic(width: Int, height: Int, seed: UInt64) -> [UInt16] {
        var generator = SplitMix64(seed: seed)
        return (0..<(width * height)).map { _ in UInt16.random(in: 0...65535, using: &generator) }
    }

    @Test("a DNG's mosaic comes out exactly, with its CFA pattern", arguments: patterns.indices)
    func dngMosaic(index: Int) throws {
        let (name, pattern) = Self.patterns[index]
        let folder = TemporaryFolder()
        let path = folder.file("frame.dng")
        for (width, height) in [(40, 30), (33, 23)] {
            let mosaic = randomMosaic(width: width, height: height, seed: UInt64(index * 100 + width))
            writeBytes(minimalDNG(mosaic: mosaic, width: width, height: height, pattern: pattern), to: path)
            let (image, cfa) = try CameraRaw.readMosaic(path)
            #expect(cfa == name)
            #expect(image == Image(width: width, height: height, channels: 1, samples: mosaic))
            #expect(try ImageFile.read(path) == .uint16(image))
            #expect(try ImageFile.info(path) == ImageInfo(width: width, height: height, channels: 1, sampleType: .uint16,
                                                          format: .raw, cfaPattern: name))
        }
    }

    @Test("only the active area is returned, as a view of LibRaw's buffer that copies on write")
    func activeArea() throws {
        let folder = TemporaryFolder()
        let path = folder.file("margins.dng")
        let width = 48, height = 36
        let mosaic = randomMosaic(width: width, height: height, seed: 9)
        writeBytes(minimalDNG(mosaic: mosaic, width: width, height: height, pattern: [0, 1, 1, 2],
                              activeArea: (top: 2, left: 4, bottom: 34, right: 44)), to: path)
        var (image, cfa) = try CameraRaw.readMosaic(path)
        #expect(cfa == "RGGB")
        let full = Image(width: width, height: height, channels: 1, samples: mosaic)
        #expect(image == full.region(x: 4, y: 2, width: 40, height: 32))
        image[0, 0] = 7
        #expect(image[0, 0] == 7 && image[1, 0] == full[5, 2])
    }

    @Test("a DNG cut short is an error, never a padded image")
    func truncatedDNG() throws {
        let folder = TemporaryFolder()
        let path = folder.file("cut.dng")
        let dng = minimalDNG(mosaic: randomMosaic(width: 64, height: 48, seed: 1), width: 64, height: 48, pattern: [0, 1, 1, 2])
        writeBytes(Array(dng.prefix(dng.count / 2)), to: path)
        let error = imageFileError { _ = try CameraRaw.readMosaic(path) }
        #expect(isTruncated(error, .raw), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
    }

    @Test("a RAW declaring more pixels than the limit is refused before unpacking")
    func pixelLimit() throws {
        let folder = TemporaryFolder()
        let path = folder.file("limit.dng")
        writeBytes(minimalDNG(mosaic: randomMosaic(width: 40, height: 30, seed: 2), width: 40, height: 30, pattern: [0, 1, 1, 2]), to: path)
        #expect(isTooManyPixels(imageFileError { _ = try CameraRaw.readMosaic(path, options: .init(maxPixels: 1199)) }))
        #expect(try CameraRaw.readMosaic(path, options: .init(maxPixels: 1200)).image.width == 40)
    }

    @Test("several threads read different RAWs at once, each exactly as alone")
    func concurrentReading() throws {
        let folder = TemporaryFolder()
        let paths = (0..<6).map { folder.file("frame\($0).dng") }
        for (index, path) in paths.enumerated() {
            writeBytes(minimalDNG(mosaic: randomMosaic(width: 40 + 2 * index, height: 30, seed: UInt64(index)),
                                  width: 40 + 2 * index, height: 30, pattern: Self.patterns[index % 4].bytes), to: path)
        }
        let alone = try paths.map { try ImageFile.read($0) }
        let results = UnsafeMutableBufferPointer<AnyImage?>.allocate(capacity: paths.count * 3)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let shared = SendablePointer(results.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: paths.count * 3) { index in
            shared.pointer![index] = try? ImageFile.read(paths[index % paths.count])
        }
        for index in 0..<(paths.count * 3) { #expect(results[index] == alone[index % paths.count]) }
    }
}
