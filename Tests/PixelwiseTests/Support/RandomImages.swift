@testable import Pixelwise

// The random inputs of this target's differential tests, from the library's own generator (SplitMix64).

/// A random image of any sample type: integers over their full range, floats in [-1000, 1000).
func randomImage<S: PixelSample>(_: S.Type, width: Int, height: Int, channels: Int, rng: inout SplitMix64) -> Image<S> {
    randomImage(S.self, width: width, height: height, channels: channels, rng: &rng) { rng in
        switch S.sampleType {
        case .uint8, .uint16: S(roundingClamping: Double(UInt64.random(in: 0...UInt64(S.maximumValue.doubleValue), using: &rng)))
        case .float32, .float64: S(roundingClamping: Double.random(in: -1000..<1000, using: &rng))
        }
    }
}

/// ``randomImage(_:width:height:channels:rng:)`` from a fresh generator seeded with `seed`.
func randomImage<S: PixelSample>(_: S.Type, width: Int, height: Int, channels: Int, seed: UInt64) -> Image<S> {
    var rng = SplitMix64(seed: seed)
    return randomImage(S.self, width: width, height: height, channels: channels, rng: &rng)
}

/// An image whose samples, in memory order, are drawn by `values` (for a test that needs its own distribution).
func randomImage<S: PixelSample>(_: S.Type, width: Int, height: Int, channels: Int, rng: inout SplitMix64,
                                 values: (inout SplitMix64) -> S) -> Image<S> {
    let samples = (0..<(width * height * channels)).map { _ in values(&rng) }
    return Image(width: width, height: height, channels: channels, samples: samples)
}
