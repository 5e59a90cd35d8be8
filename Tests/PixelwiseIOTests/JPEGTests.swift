import CTurboJPEG
import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

@Suite("JPEG")
struct JPEGTests {
    /// Mean and largest absolute difference between two same-shaped 8-bit images.
    private func differences(_ a: Image<UInt8>, _ b: Image<UInt8>) -> (mean: Double, max: Int) {
        let x = a.samples, y = b.samples
        var total = 0, largest = 0
        for index in x.indices {
            let difference = abs(Int(x[index]) - Int(y[index]))
            total += difference
            largest = max(largest, difference)
        }
        return (Double(total) / Double(max(x.count, 1)), largest)
    }

    static let cases: [(channels: Int, width: Int, height: Int)] =
        [1, 3].flatMap { channels in awkwardSizes.map { (channels, $0.width, $0.height) } } + [(3, 129, 67), (1, 100, 3)]

    @Test("writes and reads back within JPEG's loss", arguments: cases)
    func roundTrip(_ testCase: (channels: Int, width: Int, height: Int)) throws {
        let folder = TemporaryFolder()
        let path = folder.file("photo.jpg")
        let image = photoLikeImage(width: testCase.width, height: testCase.height, channels: testCase.channels,
                                   seed: UInt64(testCase.width * 7 + testCase.height))
        for quality in [95, 75] {
            try ImageFile.write(.uint8(image), to: path, options: .init(jpegQuality: quality))
            let decoded = try #require(try ImageFile.read(path).typed(as: UInt8.self))
            #expect(decoded.width == image.width && decoded.height == image.height && decoded.channels == image.channels)
            let (mean, largest) = differences(decoded, image)
            // 4:4:4 at 95 keeps every pixel close; 4:2:0 at 75 halves the colour resolution.
            #expect(mean < (quality >= 90 ? 2.0 : 4.0), "quality \(quality): mean abs error \(mean)")
            #expect(largest <= (quality >= 90 ? 16 : 48), "quality \(quality): largest error \(largest)")
            #expect(try ImageFile.info(path) == ImageInfo(width: image.width, height: image.height, channels: image.channels,
                                                          sampleType: .uint8, format: .jpeg))
        }
    }

    @Test("decoding into a reused frame's memory gives the same pixels and no new allocation")
    func readReusing() throws {
        let folder = TemporaryFolder()
        let first = folder.file("a.jpg"), second = folder.file("b.jpg"), gray = folder.file("g.jpg")
        try ImageFile.write(.uint8(photoLikeImage(width: 61, height: 37, channels: 3, seed: 1)), to: first)
        try ImageFile.write(.uint8(photoLikeImage(width: 61, height: 37, channels: 3, seed: 2)), to: second)
        try ImageFile.write(.uint8(photoLikeImage(width: 30, height: 20, channels: 1, seed: 3)), to: gray)
        let old = try ImageFile.read(first)
        let memory = try #require(old.typed(as: UInt8.self)).storageForReuse.base
        let reused = try ImageFile.read(second, reusing: old)
        #expect(reused == (try ImageFile.read(second)))
        #expect(try #require(reused.typed(as: UInt8.self)).storageForReuse.base == memory)
        // A smaller frame fits the old memory too; a larger one, or another format, allocates.
        let smaller = try ImageFile.read(gray, reusing: reused)
        #expect(smaller == (try ImageFile.read(gray)))
        #expect(try #require(smaller.typed(as: UInt8.self)).storageForReuse.base == memory)
        let larger = try ImageFile.read(first, reusing: .uint8(Image(width: 2, height: 2, channels: 3)))
        #expect(larger == (try ImageFile.read(first)))
    }

    @Test("quality and subsampling: 4:4:4 at 90 and above, 4:2:0 below")
    func subsampling() throws {
        let folder = TemporaryFolder()
        let image = AnyImage.uint8(photoLikeImage(width: 64, height: 48, channels: 3, seed: 5))
        var sizes = [Int: Int]()
        for quality in [50, 89, 90, 100] {
            let path = folder.file("q\(quality).jpg")
            try ImageFile.write(image, to: path, options: .init(jpegQuality: quality))
            sizes[quality] = bytes(of: path).count
            let data = bytes(of: path)
            let handle = try #require(tjInitDecompress())
            defer { tjDestroy(handle) }
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = -1, colorSpace: Int32 = 0
            #expect(tjDecompressHeader3(handle, data, UInt(data.count), &width, &height, &subsampling, &colorSpace) == 0)
            #expect(subsampling == Int32((quality >= 90 ? TJSAMP_444 : TJSAMP_420).rawValue), "quality \(quality)")
        }
        #expect(sizes[50]! < sizes[89]! && sizes[90]! < sizes[100]!)
    }

    @Test("a progressive JPEG decodes to the same pixels as the baseline one with the same tables", arguments: [1, 3])
    func progressive(channels: Int) throws {
        let folder = TemporaryFolder()
        let image = photoLikeImage(width: 45, height: 29, channels: channels, seed: 12)
        var decoded = [AnyImage]()
        for flags in [Int32(0), TJFLAG_PROGRESSIVE] {
            let path = folder.file("p\(flags).jpg")
            let handle = try #require(tjInitCompress())
            defer { tjDestroy(handle) }
            var output: UnsafeMutablePointer<UInt8>? = nil
            var size: UInt = 0
            let samples = image.samples
            let status = tjCompress2(handle, samples, Int32(image.width), 0, Int32(image.height),
                                     (channels == 1 ? TJPF_GRAY : TJPF_RGB).rawValue, &output, &size,
                                     Int32((channels == 1 ? TJSAMP_GRAY : TJSAMP_420).rawValue), 85, flags)
            #expect(status == 0)
            writeBytes(Array(UnsafeBufferPointer(start: output, count: Int(size))), to: path)
            tjFree(output)
            decoded.append(try ImageFile.read(path))
        }
        #expect(decoded[0] == decoded[1])
    }

    @Test("a CMYK JPEG is refused with a clear message", arguments: [TJSAMP_444, TJSAMP_420])
    func cmykRefused(subsampling: TJSAMP) throws {
        let folder = TemporaryFolder()
        let path = folder.file("cmyk.jpg")
        let width = 24, height = 16
        let samples = [UInt8](repeating: 90, count: width * height * 4)
        let handle = try #require(tjInitCompress())
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        #expect(tjCompress2(handle, samples, Int32(width), 0, Int32(height), TJPF_CMYK.rawValue, &output, &size,
                            Int32(subsampling.rawValue), 90, 0) == 0)
        writeBytes(Array(UnsafeBufferPointer(start: output, count: Int(size))), to: path)
        tjFree(output)
        for attempt in [{ _ = try ImageFile.read(path) }, { _ = try ImageFile.info(path) }] {
            let error = imageFileError(attempt)
            #expect(isUnsupported(error), "got \(String(describing: error))")
            #expect(error?.description.contains("CMYK") == true)
            expectOneLine(error, naming: path)
        }
    }

    @Test("a region view is encoded from its own rows")
    func regionWrite() throws {
        let folder = TemporaryFolder()
        let path = folder.file("region.jpg")
        let image = photoLikeImage(width: 80, height: 40, channels: 3, seed: 9)
        let region = image.region(x: 5, y: 3, width: 33, height: 17)
        try ImageFile.write(.uint8(region), to: path, options: .init(jpegQuality: 100))
        let decoded = try #require(try ImageFile.read(path).typed(as: UInt8.self))
        #expect(differences(decoded, region.compacted()).mean < 1.5)
    }

    @Test("unsupported types and channel counts are refused", arguments: [
        (SampleType.uint16, 3), (.float32, 1), (.uint8, 2), (.uint8, 4),
    ])
    func refused(_ shape: (type: SampleType, channels: Int)) throws {
        let folder = TemporaryFolder()
        let path = folder.file("refused.jpg")
        let image = randomAnyImage(shape.type, width: 4, height: 4, channels: shape.channels, seed: 1)
        let error = imageFileError { try ImageFile.write(image, to: path) }
        #expect(isUnsupported(error), "got \(String(describing: error))")
        expectOneLine(error, naming: path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a file cut in half is truncated, never a grey half-image", arguments: [1, 3])
    func truncated(channels: Int) throws {
        let folder = TemporaryFolder()
        let whole = folder.file("whole.jpg"), half = folder.file("half.jpg")
        try ImageFile.write(.uint8(photoLikeImage(width: 96, height: 64, channels: channels, seed: 4)), to: whole)
        writeFirstHalf(of: whole, to: half)
        let error = imageFileError { _ = try ImageFile.read(half) }
        #expect(isTruncated(error, .jpeg), "got \(String(describing: error))")
        expectOneLine(error, naming: half)
        // The header alone still answers info.
        #expect(try ImageFile.info(half).width == 96)
        // Cut before the frame header: nothing to decode at all.
        writeBytes(Array(bytes(of: whole).prefix(40)), to: half)
        let early = imageFileError { _ = try ImageFile.read(half) }
        #expect(isTruncated(early, .jpeg), "got \(String(describing: early))")
        #expect(isTruncated(imageFileError { _ = try ImageFile.info(half) }, .jpeg))
        expectOneLine(early, naming: half)
    }

    @Test("a marker in the middle of the entropy-coded data is corrupt")
    func corruptData() throws {
        let folder = TemporaryFolder()
        let whole = folder.file("whole.jpg"), broken = folder.file("broken.jpg")
        try ImageFile.write(.uint8(photoLikeImage(width: 96, height: 64, channels: 3, seed: 6)), to: whole)
        var data = bytes(of: whole)
        let middle = data.count * 2 / 3
        data.replaceSubrange(middle..<(middle + 4), with: [0xFF, 0xC4, 0xFF, 0xC4])
        writeBytes(data, to: broken)
        let error = imageFileError { _ = try ImageFile.read(broken) }
        #expect(isCorrupt(error, .jpeg), "got \(String(describing: error))")
        expectOneLine(error, naming: broken)
    }

    @Test("a bad frame header is corrupt")
    func corruptHeader() throws {
        let folder = TemporaryFolder()
        let whole = folder.file("whole.jpg"), broken = folder.file("broken.jpg")
        try ImageFile.write(.uint8(photoLikeImage(width: 16, height: 16, channels: 3, seed: 6)), to: whole)
        var data = bytes(of: whole)
        let sof = try #require(sofOffset(data))
        data[sof + 4] = 3  // sample precision 3 bits: not a JPEG any decoder accepts
        writeBytes(data, to: broken)
        let error = imageFileError { _ = try ImageFile.read(broken) }
        #expect(isCorrupt(error, .jpeg), "got \(String(describing: error))")
        expectOneLine(error, naming: broken)
    }

    @Test("a header declaring more pixels than the limit is refused before decoding")
    func pixelLimit() throws {
        let folder = TemporaryFolder()
        let path = folder.file("small.jpg")
        try ImageFile.write(.uint8(Image(width: 10, height: 10, channels: 3)), to: path)
        #expect(isTooManyPixels(imageFileError { _ = try ImageFile.read(path, options: .init(maxPixels: 99)) }))
        #expect(try ImageFile.read(path, options: .init(maxPixels: 100)).width == 10)
        // 65000×65000 (libjpeg's limit is 65500) in the frame header of a tiny file.
        var data = bytes(of: path)
        let sof = try #require(sofOffset(data))
        data.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFD, 0xE8, 0xFD, 0xE8])
        writeBytes(data, to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isTooManyPixels(error), "got \(String(describing: error))")
    }

    @Test("several threads decode different files at once, each exactly as alone")
    func concurrentDecoding() throws {
        let folder = TemporaryFolder()
        let paths = (0..<8).map { folder.file("frame\($0).jpg") }
        for (index, path) in paths.enumerated() {
            try ImageFile.write(.uint8(photoLikeImage(width: 120 + index, height: 80, channels: 3, seed: UInt64(index))), to: path)
        }
        let alone = try paths.map { try ImageFile.read($0) }
        let results = UnsafeMutableBufferPointer<AnyImage?>.allocate(capacity: paths.count * 4)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let shared = SendablePointer(results.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: paths.count * 4) { index in
            shared.pointer![index] = try? ImageFile.read(paths[index % paths.count])
        }
        for index in 0..<(paths.count * 4) {
            #expect(results[index] == alone[index % paths.count])
        }
    }

    /// Offset of the SOF0/SOF1/SOF2 marker.
    private func sofOffset(_ data: [UInt8]) -> Int? {
        var index = 2
        while index + 4 < data.count {
            guard data[index] == 0xFF else { return nil }
            let marker = data[index + 1]
            if (0xC0...0xC2).contains(marker) { return index }
            let length = Int(data[index + 2]) << 8 | Int(data[index + 3])
            index += 2 + length
        }
        return nil
    }
}
