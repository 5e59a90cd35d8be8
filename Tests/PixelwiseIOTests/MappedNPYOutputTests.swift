import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

@Suite("Mapped NPY output")
struct MappedNPYOutputTests {
    /// Fills a mapped output with `image`'s samples, row by row.
    private func writeMapped<S: PixelSample>(_ image: Image<S>, to path: String) throws {
        try NPY.writeMapped(to: path, width: image.width, height: image.height, channels: image.channels, as: S.self) { target in
            image.withUnsafeBuffer { source in
                for y in 0..<image.height {
                    target.row(y).baseAddress!.update(from: source.row(y).baseAddress!, count: image.width * image.channels)
                }
            }
        }
    }

    @Test("bytes equal NPY.write's for every type and channel count, odd sizes included",
          arguments: RoundTripCase.all(types: SampleType.allCases, channels: [1, 2, 3, 4]))
    func sameBytesAsWriter(_ testCase: RoundTripCase) throws {
        let folder = TemporaryFolder()
        let written = folder.file("written.npy"), mapped = folder.file("mapped.npy")
        let image = randomAnyImage(testCase.sampleType, width: testCase.width, height: testCase.height,
                                   channels: testCase.channels, seed: testCase.seed)
        try NPY.write(image, to: written)
        switch image {
        case .uint8(let typed): try writeMapped(typed, to: mapped)
        case .uint16(let typed): try writeMapped(typed, to: mapped)
        case .float32(let typed): try writeMapped(typed, to: mapped)
        case .float64(let typed): try writeMapped(typed, to: mapped)
        }
        #expect(bytes(of: mapped) == bytes(of: written))
        #expect(try ImageFile.read(mapped) == image)
        #expect(folder.files(except: ["written.npy", "mapped.npy"]).isEmpty)
    }

    @Test("without prefaulting the file is the same")
    func withoutPrefault() throws {
        let folder = TemporaryFolder()
        let path = folder.file("lazy.npy")
        let image = randomImage(UInt16.self, width: 37, height: 5, channels: 1, seed: 3)
        let output = try MappedNPYOutput<UInt16>(path: path, width: 37, height: 5, prefault: false)
        image.withUnsafeBuffer { source in output.buffer.base.update(from: source.base, count: 37 * 5) }
        try output.commit()
        #expect(try ImageFile.read(path) == .uint16(image))
    }

    @Test("the target appears only on commit; an existing target is untouched until then")
    func atomicity() throws {
        let folder = TemporaryFolder()
        let path = folder.file("target.npy")
        let old = Image<UInt8>(width: 3, height: 2, repeating: 9)
        try ImageFile.write(.uint8(old), to: path)
        let before = bytes(of: path)
        let output = try MappedNPYOutput<UInt8>(path: path, width: 4, height: 4)
        output.buffer.base.update(repeating: 7, count: 16)
        #expect(bytes(of: path) == before)
        #expect(FileManager.default.fileExists(atPath: output.temporaryPath))
        #expect(output.temporaryPath.hasPrefix(folder.path + "/."))
        try output.commit()
        #expect(try ImageFile.read(path) == .uint8(Image(width: 4, height: 4, repeating: 7)))
        #expect(!FileManager.default.fileExists(atPath: output.temporaryPath))
        #expect(folder.files(except: ["target.npy"]).isEmpty)
    }

    struct FillFailed: Error {}

    @Test("an error while filling removes the temporary file and leaves the target as it was")
    func cleanupOnError() throws {
        let folder = TemporaryFolder()
        let path = folder.file("target.npy")
        #expect(throws: FillFailed.self) {
            try NPY.writeMapped(to: path, width: 5, height: 3, as: Float.self) { target in
                target.base.update(repeating: 1, count: 15)
                throw FillFailed()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(folder.files(except: []).isEmpty)

        try ImageFile.write(.uint8(Image(width: 2, height: 2, repeating: 5)), to: path)
        let before = bytes(of: path)
        #expect(throws: FillFailed.self) {
            try NPY.writeMapped(to: path, width: 2, height: 2, as: UInt8.self) { _ in throw FillFailed() }
        }
        #expect(bytes(of: path) == before)
        #expect(folder.files(except: ["target.npy"]).isEmpty)
    }

    @Test("dropping or discarding an uncommitted output leaves nothing behind")
    func discardAndDrop() throws {
        let folder = TemporaryFolder()
        let path = folder.file("never.npy")
        do {
            let output = try MappedNPYOutput<Double>(path: path, width: 10, height: 10)
            output.buffer.base.update(repeating: 1.5, count: 100)
        }
        #expect(folder.files(except: []).isEmpty)
        let output = try MappedNPYOutput<Double>(path: path, width: 10, height: 10)
        output.discard()
        output.discard()
        #expect(folder.files(except: []).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a missing folder or a folder as target is a one-line error naming the target")
    func badTargets() throws {
        let folder = TemporaryFolder()
        let missing = folder.file("no/such/folder/out.npy")
        let error = imageFileError { _ = try MappedNPYOutput<UInt8>(path: missing, width: 2, height: 2) }
        #expect(error != nil)
        expectOneLine(error, naming: missing)
        let asFolder = imageFileError { _ = try MappedNPYOutput<UInt8>(path: folder.path, width: 2, height: 2) }
        #expect(asFolder != nil)
        expectOneLine(asFolder, naming: folder.path)
    }

    @Test("an empty image gives a valid empty array")
    func emptyImage() throws {
        let folder = TemporaryFolder()
        let written = folder.file("written.npy"), mapped = folder.file("mapped.npy")
        try NPY.write(.float32(Image(width: 0, height: 3)), to: written)
        try NPY.writeMapped(to: mapped, width: 0, height: 3, as: Float.self) { _ in }
        #expect(bytes(of: mapped) == bytes(of: written))
    }
}
