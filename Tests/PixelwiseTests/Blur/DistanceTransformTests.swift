import Pixelwise
import Testing

@Suite("Distance transform")
struct DistanceTransformTests {
    @Test(arguments: [(1, 1), (1, 12), (12, 1), (17, 11), (40, 33)], [0.02, 0.2, 0.7])
    func matchesBruteForce(size: (Int, Int), density: Double) throws {
        var rng = SplitMix64(seed: UInt64(size.0 * 100 + size.1) &+ UInt64(density * 1000))
        let (width, height) = size
        var samples = (0..<(width * height)).map { _ in UInt8(Double.random(in: 0..<1, using: &rng) < density ? 1 : 0) }
        samples[Int.random(in: 0..<samples.count, using: &rng)] = 200  // at least one region pixel
        let mask = Image(width: width, height: height, samples: samples)
        let transform = try DistanceTransform(mask: mask)
        #expect(transform.squaredDistanceImage().samples == BlurReference.squaredDistances(mask))
    }

    @Test func radiusIsScaledAndCapped() throws {
        var mask = Image<UInt8>(width: 9, height: 1)
        mask[0, 0] = 1
        let field = try DistanceRadius(DistanceTransform(mask: mask), perPixel: 0.5, maximum: 3)
        #expect(field.image().samples == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3, 3])
    }

    @Test func multiChannelMaskCountsAnyNonzeroChannel() throws {
        var mask = Image<Float>(width: 3, height: 3, channels: 2)
        mask[2, 2, 1] = 0.5
        let d = try DistanceTransform(mask: mask).squaredDistanceImage()
        #expect(d[0, 0] == 8 && d[2, 2] == 0)
    }

    @Test func maskWithoutRegionIsAnError() {
        #expect(throws: BlurError.noRegionPixel(source: "m.npy")) {
            try DistanceTransform(mask: Image<UInt8>(width: 5, height: 4), sourceName: "m.npy")
        }
        #expect(throws: BlurError.emptyImage(source: "mask")) {
            try DistanceTransform(mask: Image<UInt8>(width: 5, height: 0))
        }
    }
}
