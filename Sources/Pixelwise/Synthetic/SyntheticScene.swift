/// Photo-like synthetic images made from a seed: smooth lighting, soft-edged shapes and multi-scale
/// texture. They give the demo, the docs and the tests realistic inputs without downloading anything.
public enum SyntheticScene {
    /// Peak memory of a scene of `width` × `height` × `channels` written as `sampleType`: the rendered scene
    /// (float64) and its quantized copy (none for float64 itself).
    public static func memoryNeed(width: Int, height: Int, channels: Int, sampleType: SampleType) -> MemoryNeed {
        let scene = MemoryNeed.image(width: width, height: height, channels: channels, sampleType: .float64)
        return scene + (sampleType == .float64 ? .zero : .image(width: width, height: height, channels: channels, sampleType: sampleType))
    }

    /// A deterministic scene in 0...1 per channel, as `Double`s (1 or 3 channels).
    ///
    /// The same seed gives the same picture at any size; `shift` moves the camera by whole pixels, so that
    /// frames of a stack differ like hand-held photos of one place.
    public static func render(width: Int, height: Int, channels: Int, seed: UInt64,
                              shift: (x: Int, y: Int) = (0, 0)) -> Image<Double> {
        precondition(channels == 1 || channels == 3, "scenes have 1 or 3 channels")
        var rng = SplitMix64(seed: seed)
        let scale = Double(max(width, height, 1))
        struct Shape { var cx, cy, rx, ry, softness: Double; var color: (Double, Double, Double); var isDisk: Bool }
        let shapes = (0..<12).map { _ in
            Shape(cx: rng.unit() * scale, cy: rng.unit() * scale, rx: (0.03 + 0.2 * rng.unit()) * scale,
                  ry: (0.03 + 0.2 * rng.unit()) * scale, softness: 0.5 + 3 * rng.unit(),
                  color: (rng.unit(), rng.unit(), rng.unit()), isDisk: rng.unit() < 0.6)
        }
        let light = (rng.unit() - 0.5, rng.unit() - 0.5)
        let base = (0.2 + 0.5 * rng.unit(), 0.2 + 0.5 * rng.unit(), 0.2 + 0.5 * rng.unit())
        let noiseSeed = rng.next()
        var image = Image<Double>(uninitializedWidth: width, height: height, channels: channels)
        image.withUnsafeMutableBuffer { buffer in
            Parallel.forEachChunk(count: height, minimumChunk: 8) { rows in
                for y in rows {
                    let row = buffer.rowPointer(y)
                    let py = Double(y + shift.y)
                    for x in 0..<width {
                        let px = Double(x + shift.x)
                        let shade = 0.75 + 0.5 * (light.0 * px + light.1 * py) / scale
                        var color = (base.0 * shade, base.1 * shade, base.2 * shade)
                        for shape in shapes {
                            let dx = (px - shape.cx) / shape.rx, dy = (py - shape.cy) / shape.ry
                            let distance = shape.isDisk ? (dx * dx + dy * dy).squareRoot() : max(abs(dx), abs(dy))
                            // Soft edge a few pixels wide: a smooth step from inside to outside.
                            let edge = (1 - distance) * min(shape.rx, shape.ry) / shape.softness
                            let coverage = edge >= 1 ? 1 : edge <= 0 ? 0 : edge * edge * (3 - 2 * edge)
                            if coverage > 0 {
                                color.0 += (shape.color.0 * shade - color.0) * coverage
                                color.1 += (shape.color.1 * shade - color.1) * coverage
                                color.2 += (shape.color.2 * shade - color.2) * coverage
                            }
                        }
                        let texture = 0.12 * (valueNoise(px / 40, py / 40, noiseSeed) - 0.5)
                            + 0.06 * (valueNoise(px / 9, py / 9, noiseSeed &+ 1) - 0.5)
                            + 0.03 * (valueNoise(px / 2.5, py / 2.5, noiseSeed &+ 2) - 0.5)
                        let r = clamp01(color.0 + texture), g = clamp01(color.1 + texture), b = clamp01(color.2 + texture)
                        if channels == 1 {
                            row[x] = 0.2126 * r + 0.7152 * g + 0.0722 * b
                        } else {
                            row[3 * x] = r; row[3 * x + 1] = g; row[3 * x + 2] = b
                        }
                    }
                }
            }
        }
        return image
    }

    /// Converts a 0...1 scene to a sample type (integers scaled to their full range).
    public static func quantized<S: PixelSample>(_ scene: Image<Double>, as type: S.Type) -> Image<S> {
        let scale = S.sampleType.isInteger ? S.maximumValue.doubleValue : 1
        var out = Image<S>(uninitializedWidth: scene.width, height: scene.height, channels: scene.channels)
        scene.withUnsafeBuffer { source in
            out.withUnsafeMutableBuffer { target in
                Parallel.forEachChunk(count: scene.height, minimumChunk: 16) { rows in
                    for y in rows {
                        let s = source.row(y), t = target.row(y)
                        for i in 0..<s.count { t[i] = S(roundingClamping: s[i] * scale) }
                    }
                }
            }
        }
        return out
    }

    /// A mask with a few filled disks (value 255) on zero: regions for `blur --distance-from`.
    public static func regionMask(width: Int, height: Int, seed: UInt64, regions: Int = 4) -> Image<UInt8> {
        var rng = SplitMix64(seed: seed)
        let scale = Double(min(width, height))
        let disks = (0..<regions).map { _ in
            (x: rng.unit() * Double(width), y: rng.unit() * Double(height), r: (0.03 + 0.07 * rng.unit()) * scale)
        }
        var mask = Image<UInt8>(width: width, height: height)
        mask.withUnsafeMutableBuffer { buffer in
            for y in 0..<height {
                for x in 0..<width where disks.contains(where: { d in
                    let dx = Double(x) - d.x, dy = Double(y) - d.y
                    return dx * dx + dy * dy <= d.r * d.r
                }) { buffer[x, y, 0] = 255 }
            }
        }
        return mask
    }

    @inline(__always) static func clamp01(_ v: Double) -> Double { min(max(v, 0), 1) }

    /// Smooth lattice noise in 0...1.
    @inline(__always) static func valueNoise(_ x: Double, _ y: Double, _ seed: UInt64) -> Double {
        let x0 = x.rounded(.down), y0 = y.rounded(.down)
        let fx = x - x0, fy = y - y0
        let ix = Int64(x0), iy = Int64(y0)
        let sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy)
        let a = lattice(ix, iy, seed), b = lattice(ix + 1, iy, seed)
        let c = lattice(ix, iy + 1, seed), d = lattice(ix + 1, iy + 1, seed)
        return (a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy
    }

    @inline(__always) static func lattice(_ x: Int64, _ y: Int64, _ seed: UInt64) -> Double {
        var h = UInt64(bitPattern: x) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: y) &* 0xC2B2_AE3D_27D4_EB4F ^ seed
        h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
        return Double(h >> 11) / Double(1 << 53)
    }
}
