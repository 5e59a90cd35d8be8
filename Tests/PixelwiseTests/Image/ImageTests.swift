import Pixelwise
import Testing

@Suite("Image model")
struct ImageTests {
    @Test func subscriptIsColumnThenRow() {
        var image = Image<UInt8>(width: 4, height: 3, channels: 2)
        image[3, 1, 1] = 7
        #expect(image.samples[(1 * 4 + 3) * 2 + 1] == 7)
        #expect(image.pixel(x: 3, y: 1) == [0, 7])
    }

    @Test func regionIsAViewUntilWritten() {
        var parent = Image<UInt16>(width: 5, height: 4, channels: 1, samples: (0..<20).map(UInt16.init))
        var view = parent.region(x: 1, y: 2, width: 3, height: 2)
        #expect(view.samples == [11, 12, 13, 16, 17, 18])
        #expect(view.rowStride == 5 && !view.isContiguous)
        // Copy on write: writing the view leaves the parent alone, and the other way round.
        view[0, 0] = 99
        #expect(parent[1, 2] == 11)
        parent[2, 2] = 55
        #expect(view[1, 0] == 12)
        #expect(view.isContiguous)
    }

    @Test func equalityIgnoresStride() {
        let parent = Image<Float>(width: 6, height: 6, channels: 3, samples: (0..<108).map { Float($0) })
        let view = parent.region(x: 2, y: 1, width: 3, height: 4)
        #expect(view == view.compacted())
        #expect(view != parent.region(x: 1, y: 1, width: 3, height: 4))
    }

    @Test(arguments: [(1, 1), (1, 9), (9, 1), (3, 7)])
    func oddSizes(width: Int, height: Int) {
        let image = Image<Double>(width: width, height: height, channels: 4, repeating: 2.5)
        #expect(image.sampleCount == width * height * 4)
        #expect(image.samples.allSatisfy { $0 == 2.5 })
        #expect(image.region(x: 0, y: 0, width: width, height: height) == image)
    }

    @Test func roundingClampingConversions() {
        #expect(UInt8(roundingClamping: 254.5) == 255)
        #expect(UInt8(roundingClamping: 300) == 255)
        #expect(UInt8(roundingClamping: -3) == 0)
        #expect(UInt8(roundingClamping: .nan) == 0)
        #expect(UInt16(roundingClamping: 1.49) == 1)
        #expect(UInt16(roundingClamping: 70000) == 65535)
    }

    @Test func anyImageKeepsTypeAndGeometry() {
        let image = AnyImage(Image<UInt16>(width: 3, height: 2, channels: 2))
        #expect(image.sampleType == .uint16 && image.width == 3 && image.height == 2 && image.channels == 2)
        #expect(image.typed(as: UInt16.self) != nil)
        #expect(image.typed(as: UInt8.self) == nil)
        #expect(image.region(x: 1, y: 0, width: 2, height: 2).width == 2)
    }
}

@Suite("Parallel")
struct ParallelTests {
    @Test(arguments: [0, 1, 7, 1000, 100_003])
    func everyIndexExactlyOnce(count: Int) {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let pointer = SendablePointer(counts.baseAddress)
        Parallel.forEachChunk(count: count, minimumChunk: 3) { range in
            for i in range { pointer.pointer![i] += 1 }
        }
        #expect(counts.prefix(count).allSatisfy { $0 == 1 })
    }

    @Test func mapChunksKeepsOrder() {
        let ranges = Parallel.mapChunks(count: 10_000, minimumChunk: 10) { $0 }
        #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == 10_000)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    }
}
