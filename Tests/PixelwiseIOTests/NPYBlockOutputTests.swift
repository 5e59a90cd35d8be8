import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

@Suite("NPY block output")
struct NPYBlockOutputTests {
    /// Writes `image` in blocks of `blockRows` rows, last block first (order must not matter), each block
    /// from a region view (strided rows) or a compact copy.
    private func writeInBlocks<S: PixelSample>(_ image: Image<S>, to path: String, blockRows: Int) throws {
        let output = try NPYBlockOutput<S>(path: path, width: image.width, height: image.height, channels: image.channels)
        let tops = Array(stride(from: 0, to: image.height, by: blockRows)).reversed()
        for (index, top) in tops.enumerated() {
            let rows = top..<min(image.height, top + blockRows)
            let block = image.region(x: 0, y: top, width: image.width, height: rows.count)
            let source = index % 2 == 0 ? block : block.compacted()
            try source.withUnsafeBuffer { try output.write(rows: rows, from: $0) }
        }
        try output.commit()
    }

    @Test("bytes equal NPY.write's for every type and channel count, odd sizes, blocks in any order",
          arguments: RoundTripCase.all(types: SampleType.allCases, channels: [1, 2, 3, 4]))
    func sameBytesAsWriter(_ testCase: RoundTripCase) throws {
        let folder = TemporaryFolder()
        let written = folder.file("written.npy"), streamed = folder.file("streamed.npy")
        let image = randomAnyImage(testCase.sampleType, width: testCase.width, height: testCase.height,
                                   channels: testCase.channels, seed: testCase.seed)
        try NPY.write(image, to: written)
        let blockRows = max(1, testCase.height / 3)
        switch image {
        case .uint8(let typed): try writeInBlocks(typed, to: streamed, blockRows: blockRows)
        case .uint16(let typed): try writeInBlocks(typed, to: streamed, blockRows: blockRows)
        case .float32(let typed): try writeInBlocks(typed, to: streamed, blockRows: blockRows)
        case .float64(let typed): try writeInBlocks(typed, to: streamed, blockRows: blockRows)
        }
        #expect(bytes(of: streamed) == bytes(of: written))
        #expect(folder.files(except: ["written.npy", "streamed.npy"]).isEmpty)
    }

    @Test("the target appears only on commit and replaces an existing file; discard leaves nothing")
    func atomicity() throws {
        let folder = TemporaryFolder()
        let path = folder.file("target.npy")
        try ImageFile.write(.uint8(Image<UInt8>(width: 3, height: 2, repeating: 9)), to: path)
        let before = bytes(of: path)
        let output = try NPYBlockOutput<UInt8>(path: path, width: 4, height: 4)
        let block = Image<UInt8>(width: 4, height: 4, repeating: 7)
        try block.withUnsafeBuffer { try output.write(rows: 0..<4, from: $0) }
        #expect(bytes(of: path) == before)
        #expect(output.temporaryPath.hasPrefix(folder.path + "/."))
        try output.commit()
        #expect(try ImageFile.read(path) == .uint8(block))
        #expect(folder.files(except: ["target.npy"]).isEmpty)

        let dropped = try NPYBlockOutput<Float>(path: folder.file("dropped.npy"), width: 2, height: 2)
        dropped.discard()
        do { _ = try NPYBlockOutput<Float>(path: folder.file("forgotten.npy"), width: 2, height: 2) }
        #expect(folder.files(except: ["target.npy"]).isEmpty)
    }

    @Test("a missing folder is a named error")
    func missingFolder() throws {
        let folder = TemporaryFolder()
        #expect(throws: ImageFileError.self) { try NPYBlockOutput<UInt8>(path: folder.file("no/such/x.npy"), width: 2, height: 2) }
    }
}
