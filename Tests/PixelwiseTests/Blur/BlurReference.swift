import Pixelwise

/// Slow, obvious references for the blur kernels.
enum BlurReference {
    /// The seed's loop: sum over the in-bounds (2n+1)² window, divided by the in-bounds count.
    static func windowSum<S: PixelSample>(_ image: Image<S>, x: Int, y: Int, n: Int, channel: Int) -> (sum: Double, count: Double) {
        var sum = 0.0, count = 0.0
        for yy in (y - n)...(y + n) where yy >= 0 && yy < image.height {
            for xx in (x - n)...(x + n) where xx >= 0 && xx < image.width {
                sum += image[xx, yy, channel].doubleValue
                count += 1
            }
        }
        return (sum, count)
    }

    /// The fractional-radius formula on top of the seed's brute force.
    static func boxMean<S: PixelSample>(_ image: Image<S>, radii: [Double]) -> [Double] {
        var result = [Double]()
        for y in 0..<image.height {
            for x in 0..<image.width {
                let r = radii[y * image.width + x]
                let n = Int(r.rounded(.down)), f = r - Double(n)
                for c in 0..<image.channels {
                    let (s0, a0) = windowSum(image, x: x, y: y, n: n, channel: c)
                    if f == 0 {
                        result.append(s0 / a0)
                    } else {
                        let (s1, a1) = windowSum(image, x: x, y: y, n: n + 1, channel: c)
                        result.append((s0 + f * (s1 - s0)) / (a0 + f * (a1 - a0)))
                    }
                }
            }
        }
        return result
    }

    /// Exact per-pixel Gaussian truncated at radius ⌊4σ + 0.5⌋ (scipy's `truncate=4`), renormalised over
    /// the in-bounds part of its support; σ = 0 keeps the pixel.
    static func gaussian<S: PixelSample>(_ image: Image<S>, sigmas: [Double]) -> [Double] {
        var result = [Double]()
        for y in 0..<image.height {
            for x in 0..<image.width {
                let sigma = sigmas[y * image.width + x]
                for c in 0..<image.channels {
                    if sigma == 0 { result.append(image[x, y, c].doubleValue); continue }
                    let radius = Int(4 * sigma + 0.5)
                    var sum = 0.0, weight = 0.0
                    for yy in Swift.max(0, y - radius)...Swift.min(image.height - 1, y + radius) {
                        let wy = exp(-0.5 * Double((yy - y) * (yy - y)) / (sigma * sigma))
                        for xx in Swift.max(0, x - radius)...Swift.min(image.width - 1, x + radius) {
                            let w = wy * exp(-0.5 * Double((xx - x) * (xx - x)) / (sigma * sigma))
                            sum += w * image[xx, yy, c].doubleValue
                            weight += w
                        }
                    }
                    result.append(sum / weight)
                }
            }
        }
        return result
    }

    /// Squared distance from every pixel to the nearest nonzero mask pixel, by trying them all.
    static func squaredDistances(_ mask: Image<UInt8>) -> [Double] {
        var regions = [(Int, Int)]()
        for y in 0..<mask.height { for x in 0..<mask.width where mask[x, y] != 0 { regions.append((x, y)) } }
        var result = [Double]()
        for y in 0..<mask.height {
            for x in 0..<mask.width {
                result.append(Double(regions.map { ($0.0 - x) * ($0.0 - x) + ($0.1 - y) * ($0.1 - y) }.min()!))
            }
        }
        return result
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
