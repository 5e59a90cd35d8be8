import Pixelwise
import Testing

/// The gather kernels against obvious references, on random images of every sample type.
@Suite("Gather")
struct GatherTests {
    struct Case: Sendable, CustomStringConvertible {
        var width, height, channels: Int
        var description: String { "\(width)×\(height)×\(channels)" }
    }
    static let cases = [Case(width: 1, height: 1, channels: 1), Case(width: 1, height: 13, channels: 3),
                        Case(width: 17, height: 1, channels: 4), Case(width: 31, height: 23, channels: 2),
                        Case(width: 64, height: 50, channels: 3)]

    func checkNearest<S: PixelSample>(_ type: S.Type, _ c: Case) throws {
        let image = randomImage(S.self, width: c.width, height: c.height, channels: c.channels, seed: UInt64(c.width * 1000 + c.height))
        var rng = SplitMix64(seed: 42)
        let n = 1000
        var points = [Int]()
        for _ in 0..<n { points += [Int(rng.next() % UInt64(c.width)), Int(rng.next() % UInt64(c.height))] }
        var out = [S](repeating: 0, count: n * c.channels)
        try points.withUnsafeBufferPointer { p in try out.withUnsafeMutableBufferPointer { try Gather.nearest(image, points: p, into: $0) } }
        for i in 0..<n {
            for ch in 0..<c.channels { #expect(out[i * c.channels + ch] == image[points[2 * i], points[2 * i + 1], ch]) }
        }
        // A view samples like its compacted copy.
        if c.width > 2 && c.height > 2 {
            let view = image.region(x: 1, y: 1, width: c.width - 2, height: c.height - 2)
            var a = [S](repeating: 0, count: c.channels), b = a
            try [0, 0].withUnsafeBufferPointer { p in
                try a.withUnsafeMutableBufferPointer { try Gather.nearest(view, points: p, into: $0) }
            }
            b = image.pixel(x: 1, y: 1)
            #expect(a == b)
        }
    }

    @Test(arguments: cases) func nearestUInt8(_ c: Case) throws { try checkNearest(UInt8.self, c) }
    @Test(arguments: cases) func nearestUInt16(_ c: Case) throws { try checkNearest(UInt16.self, c) }
    @Test(arguments: cases) func nearestFloat(_ c: Case) throws { try checkNearest(Float.self, c) }
    @Test(arguments: cases) func nearestDouble(_ c: Case) throws { try checkNearest(Double.self, c) }

    @Test(arguments: cases) func bilinearMatchesFormula(_ c: Case) throws {
        let image = randomImage(Float.self, width: c.width, height: c.height, channels: c.channels, seed: 9)
        var rng = SplitMix64(seed: 5)
        let n = 500
        var points = [Double]()
        for _ in 0..<n {
            points += [Double(rng.next() % 10_000) / 10_000 * Double(c.width - 1),
                       Double(rng.next() % 10_000) / 10_000 * Double(c.height - 1)]
        }
        points += [Double(c.width - 1), Double(c.height - 1)]  // the far corner
        var out = [Double](repeating: 0, count: (n + 1) * c.channels)
        try points.withUnsafeBufferPointer { p in try out.withUnsafeMutableBufferPointer { try Gather.bilinear(image, points: p, into: $0) } }
        for i in 0...n {
            let x = points[2 * i], y = points[2 * i + 1]
            for ch in 0..<c.channels {
                // Reference: the sum over the four neighbours of value × tent weight, skipping outside ones.
                var expected = 0.0
                for yy in [Int(y.rounded(.down)), Int(y.rounded(.down)) + 1] where yy < c.height {
                    for xx in [Int(x.rounded(.down)), Int(x.rounded(.down)) + 1] where xx < c.width {
                        expected += Double(image[xx, yy, ch]) * (1 - abs(x - Double(xx))) * (1 - abs(y - Double(yy)))
                    }
                }
                #expect(abs(out[i * c.channels + ch] - expected) <= 1e-9 * max(1, abs(expected)))
            }
        }
    }

    @Test func fractionalNearestRoundsHalfUp() throws {
        let image = Image<UInt8>(width: 3, height: 1, channels: 1, samples: [10, 20, 30])
        var out = [UInt8](repeating: 0, count: 3)
        try [0.49, 0.0, 0.5, 0.0, 1.5, 0.4].withUnsafeBufferPointer { p in
            try out.withUnsafeMutableBufferPointer { try Gather.nearest(image, points: p, into: $0) }
        }
        #expect(out == [10, 20, 30])
    }

    @Test func firstOutsidePointIsReported() {
        let image = Image<UInt8>(width: 4, height: 3)
        var out = [UInt8](repeating: 0, count: 4)
        #expect(throws: SamplingError.pointOutside(index: 2, x: 4, y: 0, width: 4, height: 3)) {
            try [0, 0, 3, 2, 4, 0, -1, 0].withUnsafeBufferPointer { p in
                try out.withUnsafeMutableBufferPointer { try Gather.nearest(image, points: p, into: $0) }
            }
        }
        var real = [Double](repeating: 0, count: 1)
        #expect(throws: SamplingError.pointNotFinite(index: 0)) {
            try [Double.nan, 0].withUnsafeBufferPointer { p in
                try real.withUnsafeMutableBufferPointer { try Gather.bilinear(image, points: p, into: $0) }
            }
        }
        #expect(throws: SamplingError.self) {
            try [3.0001, 0].withUnsafeBufferPointer { p in
                try real.withUnsafeMutableBufferPointer { try Gather.bilinear(image, points: p, into: $0) }
            }
        }
    }
}
