import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

@Suite("ImageFile")
struct ImageFileTests {
    static let writtenFormats: [(extension: String, format: ImageFormat, image: AnyImage)] = [
        ("png", .png, .uint16(randomImage(UInt16.self, width: 9, height: 5, channels: 2, seed: 1))),
        ("jpg", .jpeg, .uint8(photoLikeImage(width: 9, height: 5, channels: 3, seed: 2))),
        ("tif", .tiff, .float32(randomImage(Float.self, width: 9, height: 5, channels: 4, seed: 3))),
        ("ppm", .pnm, .uint8(randomImage(UInt8.self, width: 9, height: 5, channels: 3, seed: 4))),
        ("npy", .npy, .float64(randomImage(Double.self, width: 9, height: 5, channels: 1, seed: 5))),
    ]

    @Test("the format comes from the leading bytes, whatever the extension", arguments: writtenFormats.indices)
    func sniffing(index: Int) throws {
        let (fileExtension, format, image) = Self.writtenFormats[index]
        let folder = TemporaryFolder()
        let original = folder.file("image.\(fileExtension)")
        try ImageFile.write(image, to: original)
        let expected = try ImageFile.read(original)
        for name in ["misnamed.dat", "noextension", "wrong.png", "wrong.tif", "wrong.jpeg"] where !name.hasSuffix(fileExtension) {
            let path = folder.file(name)
            try FileManager.default.copyItem(atPath: original, toPath: path)
            #expect(try ImageFile.format(of: path) == format, "\(name)")
            #expect(try ImageFile.info(path).format == format)
            #expect(try ImageFile.read(path) == expected)
        }
    }

    @Test("a file of unknown content is refused by name")
    func unknownContent() throws {
        let folder = TemporaryFolder()
        let path = folder.file("notes.png")
        writeBytes(Array("just some text, not an image".utf8), to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(error == .unknownFormat(path: path))
        expectOneLine(error, naming: path)
    }

    @Test("a failed write leaves neither the target nor a temporary file")
    func failedWriteLeavesNothing() throws {
        let folder = TemporaryFolder()
        let path = folder.file("float.png")
        _ = imageFileError { try ImageFile.write(.float64(Image(width: 3, height: 3)), to: path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("writing over an existing file replaces it whole")
    func replaces() throws {
        let folder = TemporaryFolder()
        let path = folder.file("image.tif")
        try ImageFile.write(.uint8(Image(width: 50, height: 50, channels: 3, repeating: 9)), to: path)
        let small = AnyImage.uint16(randomImage(UInt16.self, width: 2, height: 3, channels: 1, seed: 1))
        try ImageFile.write(small, to: path)
        #expect(try ImageFile.read(path) == small)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["image.tif"])
    }
}
