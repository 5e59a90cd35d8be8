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
            #expect(isUnsupported(error) || isCorrupt(error, .raw) || isTruncated(error, .raw), "got \(String(describing: error))")
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
}
