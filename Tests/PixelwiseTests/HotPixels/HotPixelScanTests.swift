import Foundation
import Testing
@testable import Pixelwise

/// A smooth random scene plus noise: a different "photo" per seed.
func scene(width: Int, height: Int, channels: Int, seed: UInt64) -> Image<UInt8> {
    var rng = SplitMix64(seed: seed)
    let fx = Double.random(in: 0.01...0.08, using: &rng), fy = Double.random(in: 0.01...0.08, using: &rng)
    let phase = Double.random(in: 0...6, using: &rng), level = Double.random(in: 60...150, using: &rng)
    var samples = [UInt8]()
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels {
                let wave: Double = sin(fx * Double(x) + phase + Double(c)) * cos(fy * Double(y))
                let noise: Double = Double.random(in: -3...3, using: &rng)
                let v: Double = level + 50 * wave + noise
                samples.append(UInt8(max(0, min(255, v.rounded()))))
            }
        }
    }
    return Image(width: width, height: height, channels: channels, samples: samples)
}

/// Brute-force residual: the median of the in-bounds same-channel ring, by sorting.
private func referenceResidual(_ image: Image<UInt8>, x: Int, y: Int, c: Int, step: Int) -> Float {
    var ring: [Float] = []
    for dy in [-step, 0, step] {
        for dx in [-step, 0, step] where dx != 0 || dy != 0 {
            let nx = x + dx, ny = y + dy
            if nx >= 0, nx < image.width, ny >= 0, ny < image.height { ring.append(Float(image[nx, ny, c])) }
        }
    }
    if ring.isEmpty { return 0 }  // a 1×1 image: no neighbour, no evidence
    ring.sort()
    let median = ring.count % 2 == 1 ? ring[ring.count / 2] : (ring[ring.count / 2 - 1] + ring[ring.count / 2]) / 2
    return Float(image[x, y, c]) - median
}

@Suite("Hot pixels: residual kernel, accumulator, detection")
struct HotPixelScanTests {
    @Test("SIMD residual equals the sorted-ring reference", arguments: [(1, 1, 1, 1), (1, 9, 3, 1), (9, 1, 3, 1), (37, 23, 3, 1),
                                                                       (40, 17, 1, 2), (33, 30, 4, 1), (5, 5, 3, 2), (64, 3, 3, 1)])
    func residualMatchesReference(width: Int, height: Int, channels: Int, step: Int) {
        var rng = SplitMix64(seed: UInt64(width * 131 + height))
        let samples = (0..<(width * height * channels)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let image = Image(width: width, height: height, channels: channels, samples: samples)
        var row = [Float](repeating: .nan, count: width * channels)
        image.withUnsafeBuffer { buffer in
            for y in 0..<height {
                row.withUnsafeMutableBufferPointer { LocalMedianResidual.row(buffer, y: y, step: step, into: $0.baseAddress!) }
                for x in 0..<width {
                    for c in 0..<channels {
                        #expect(row[x * channels + c] == referenceResidual(image, x: x, y: y, c: c, step: step))
                    }
                }
            }
        }
    }

    @Test("Extremes: all-0 and all-255 frames give zero residual; a lone 255 in 0 gives 255")
    func residualExtremes() {
        var image = Image<UInt8>(width: 20, height: 20, channels: 3, repeating: 0)
        image[10, 10, 1] = 255
        var row = [Float](repeating: 0, count: 60)
        image.withUnsafeBuffer { buffer in
            row.withUnsafeMutableBufferPointer { LocalMedianResidual.row(buffer, y: 10, step: 1, into: $0.baseAddress!) }
        }
        #expect(row[10 * 3 + 1] == 255)
        #expect(row.enumerated().allSatisfy { $0.offset == 31 || $0.element == 0 })
    }

    @Test("Accumulated residual moments equal two-pass statistics of the reference residuals")
    func accumulatorMatchesTwoPass() {
        let width = 23, height = 11, channels = 3, frames = 7
        let images = (0..<frames).map { scene(width: width, height: height, channels: channels, seed: UInt64($0)) }
        let geometry = HotPixelGeometry(width: width, height: height, channels: channels, sampleType: .uint8, cfa: nil, method: .residual)
        let state = HotPixelAccumulator<UInt8>(geometry: geometry)
        for image in images { state.add(image) }
        #expect(state.frameCount == frames)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    let residuals = images.map { Double(referenceResidual($0, x: x, y: y, c: c, step: 1)) }
                    let mean = residuals.reduce(0, +) / Double(frames)
                    let m2 = residuals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                    let index = (y * width + x) * channels + c
                    #expect(abs(Double(state.mean[index]) - mean) <= 1e-4 * max(1, abs(mean)))
                    #expect(abs(Double(state.m2[index]) - m2) <= 1e-4 * max(1, m2))
                    let values = images.map { $0[x, y, c] }
                    #expect(state.minimum[index] == values.min()! && state.maximum[index] == values.max()!)
                }
            }
        }
    }

    @Test("Shards merged with Chan equal one pass to 1e-6 relative", arguments: [HotPixelMethod.residual, .variance])
    func shardsEqualOnePass(method: HotPixelMethod) {
        let width = 31, height = 19, channels = 3
        let images = (0..<12).map { scene(width: width, height: height, channels: channels, seed: 100 + UInt64($0)) }
        let geometry = HotPixelGeometry(width: width, height: height, channels: channels, sampleType: .uint8, cfa: nil, method: method)
        let whole = HotPixelAccumulator<UInt8>(geometry: geometry)
        let shards = (0..<3).map { _ in HotPixelAccumulator<UInt8>(geometry: geometry) }
        for (index, image) in images.enumerated() {
            whole.add(image)
            shards[index % 3].add(image)
        }
        shards[0].merge(shards[1])
        shards[0].merge(shards[2])
        let merged = shards[0]
        #expect(merged.frameCount == 12)
        // Relative to the stream's own scale: M2 near 0 is compared with the typical M2 of the frame.
        let m2Scale = Double(whole.m2.reduce(0, +)) / Double(whole.m2.count)
        for index in 0..<whole.mean.count {
            #expect(abs(Double(merged.mean[index] - whole.mean[index])) <= 1e-6 * max(1, Double(abs(whole.mean[index]))))
            #expect(abs(Double(merged.m2[index] - whole.m2[index])) <= 1e-6 * max(m2Scale, Double(whole.m2[index])))
        }
        if method == .residual {
            #expect(Array(merged.minimum) == Array(whole.minimum) && Array(merged.maximum) == Array(whole.maximum))
        }
    }

    @Test("Frames added from many threads at once give the same statistics as one thread")
    func concurrentAdds() {
        let images = (0..<16).map { scene(width: 40, height: 300, channels: 1, seed: 7 + UInt64($0)) }
        let geometry = HotPixelGeometry(width: 40, height: 300, channels: 1, sampleType: .uint8, cfa: nil, method: .residual)
        let serial = HotPixelAccumulator<UInt8>(geometry: geometry)
        for image in images { serial.add(image) }
        let parallel = HotPixelAccumulator<UInt8>(geometry: geometry)
        Parallel.forEachChunk(count: images.count) { range in for i in range { parallel.add(images[i]) } }
        #expect(parallel.frameCount == 16)
        for index in 0..<serial.mean.count {
            // Frame order differs per band, so equal up to float rounding.
            #expect(abs(serial.mean[index] - parallel.mean[index]) <= 1e-3)
            #expect(abs(serial.m2[index] - parallel.m2[index]) <= 1e-3 * max(1, serial.m2[index]))
        }
    }

    @Test("Frames added in groups (one fused pass per group) equal frames added one at a time, bit for bit",
          arguments: [(HotPixelMethod.residual, 1, 3), (.residual, 2, 3), (.residual, 3, 1), (.residual, 5, 4),
                      (.variance, 2, 3), (.variance, 3, 1)])
    func groupedAddsEqualSingleAdds(method: HotPixelMethod, group: Int, channels: Int) {
        // 29 columns: rows whose length is not a multiple of 8 exercise the scalar tail of the fused pass.
        let width = 29, height = 13
        let images = (0..<11).map { scene(width: width, height: height, channels: channels, seed: 40 + UInt64($0)) }
        let geometry = HotPixelGeometry(width: width, height: height, channels: channels, sampleType: .uint8, cfa: nil, method: method)
        let single = HotPixelAccumulator<UInt8>(geometry: geometry)
        for image in images { single.add(image) }
        let grouped = HotPixelAccumulator<UInt8>(geometry: geometry)
        for start in stride(from: 0, to: images.count, by: group) {
            grouped.add(Array(images[start..<min(images.count, start + group)]))
        }
        #expect(grouped.frameCount == single.frameCount)
        #expect(Array(grouped.mean) == Array(single.mean))
        #expect(Array(grouped.m2) == Array(single.m2))
        #expect(Array(grouped.minimum) == Array(single.minimum) && Array(grouped.maximum) == Array(single.maximum))
    }

    @Test("Fused Welford pass (and a band’s first pass, written without reading the state) equals scalar Welford steps bit for bit: every tail length, 1–4 frames, with and without the range",
          arguments: [1, 7, 8, 15, 16, 17, 31, 33, 100])
    func fusedPassEqualsScalarSteps(count: Int) {
        var rng = SplitMix64(seed: UInt64(count) * 977)
        let specials: [Float] = [0, -0, 255, -255, 0.5, -0.5, 1e-30, 1e30]
        for frames in 1...4 {
            for firstCount in [0, 1, 38] {
                for withRange in [true, false] {
                    let stride = count + 5
                    let observations = (0..<(frames * stride)).map { _ in
                        Int.random(in: 0..<8, using: &rng) == 0 ? specials.randomElement(using: &rng)!
                            : Float(Int.random(in: -510...510, using: &rng)) / 2
                    }
                    let values = (0..<frames).map { _ in (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) } }
                    let startMean = (0..<count).map { _ in firstCount == 0 ? 0 : Float.random(in: -20...20, using: &rng) }
                    let startM2 = (0..<count).map { _ in firstCount == 0 ? 0 : Float.random(in: 0...5000, using: &rng) }
                    // A state with no frame yet holds an empty range (what a fill stores).
                    let startLow = (0..<count).map { _ in firstCount == 0 ? 255 : UInt8.random(in: 0...255, using: &rng) }
                    let startHigh = startLow.map { firstCount == 0 ? 0 : UInt8.random(in: $0...255, using: &rng) }
                    // Reference: one frame at a time, one sample at a time, the Welford step as written in `Welford`.
                    var mean = startMean, m2 = startM2, low = startLow, high = startHigh
                    for f in 0..<frames {
                        let reciprocal = 1 / Float(firstCount + f + 1)
                        for i in 0..<count {
                            let x = observations[f * stride + i]
                            let delta = x - mean[i]
                            mean[i] += delta * reciprocal
                            m2[i] += delta * (x - mean[i])
                            low[i] = min(low[i], values[f][i])
                            high[i] = max(high[i], values[f][i])
                        }
                    }
                    let rows = values.map { row in
                        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
                        pointer.initialize(from: row, count: count)
                        return UnsafePointer(pointer)
                    }
                    defer { for row in rows { UnsafeMutablePointer(mutating: row).deallocate() } }
                    func fusedUpdate(_ mean: inout [Float], _ m2: inout [Float], _ low: inout [UInt8], _ high: inout [UInt8],
                                     firstCount: Int, fresh: Bool) {
                        observations.withUnsafeBufferPointer { observations in
                            rows.withUnsafeBufferPointer { rows in
                                low.withUnsafeMutableBufferPointer { low in
                                    high.withUnsafeMutableBufferPointer { high in
                                        HotPixelAccumulator<UInt8>.updateRow(
                                            mean: &mean, m2: &m2,
                                            minimum: withRange ? low.baseAddress! : nil, maximum: withRange ? high.baseAddress! : nil,
                                            observations: observations.baseAddress!, observationStride: stride,
                                            values: rows.baseAddress!, frames: frames, firstCount: firstCount, count: count, fresh: fresh)
                                    }
                                }
                            }
                        }
                    }
                    var fusedMean = startMean, fusedM2 = startM2, fusedLow = startLow, fusedHigh = startHigh
                    fusedUpdate(&fusedMean, &fusedM2, &fusedLow, &fusedHigh, firstCount: firstCount, fresh: false)
                    // A band's first group (`fresh`) writes the statistics without reading the state: from
                    // garbage it must give what the update of a filled state gives.
                    var freshMean = [Float](repeating: .nan, count: count), freshM2 = [Float](repeating: -7, count: count)
                    var freshLow = [UInt8](repeating: 3, count: count), freshHigh = [UInt8](repeating: 250, count: count)
                    if firstCount == 0 {
                        fusedUpdate(&freshMean, &freshM2, &freshLow, &freshHigh, firstCount: 0, fresh: true)
                    }
                    let label = "count \(count) frames \(frames) first \(firstCount) range \(withRange)"
                    if firstCount == 0 {
                        #expect(freshMean.map(\.bitPattern) == mean.map(\.bitPattern), "fresh \(label)")
                        #expect(freshM2.map(\.bitPattern) == m2.map(\.bitPattern), "fresh \(label)")
                        if withRange { #expect(freshLow == low && freshHigh == high, "fresh \(label)") }
                    }
                    #expect(fusedMean.map(\.bitPattern) == mean.map(\.bitPattern), "\(label)")
                    #expect(fusedM2.map(\.bitPattern) == m2.map(\.bitPattern), "\(label)")
                    if withRange {
                        #expect(fusedLow == low && fusedHigh == high, "\(label)")
                    } else {
                        #expect(fusedLow == startLow && fusedHigh == startHigh, "\(label)")
                    }
                }
            }
        }
    }

    @Test("Grouped adds of 16-bit and float frames equal single adds", arguments: [SampleType.uint16, .float32, .float64])
    func groupedAddsOtherTypes(type: SampleType) {
        let width = 21, height = 9, channels = 1
        let images: [AnyImage] = (0..<5).map { frame in
            let base = scene(width: width, height: height, channels: channels, seed: 70 + UInt64(frame))
            return switch type {
            case .uint16: .uint16(Image(width: width, height: height, channels: channels, samples: base.samples.map { UInt16($0) * 257 }))
            case .float32: .float32(Image(width: width, height: height, channels: channels, samples: base.samples.map { Float($0) / 255 }))
            default: .float64(Image(width: width, height: height, channels: channels, samples: base.samples.map { Double($0) / 255 }))
            }
        }
        let geometry = HotPixelGeometry(width: width, height: height, channels: channels, sampleType: type, cfa: nil, method: .residual)
        let single = AnyHotPixelAccumulator(geometry: geometry), grouped = AnyHotPixelAccumulator(geometry: geometry)
        for image in images { single.add(image) }
        grouped.add(Array(images[0..<2]))
        grouped.add(Array(images[2..<5]))
        #expect(grouped.frameCount == 5)
        #expect(grouped.detect(HotPixelDetectionParameters(threshold: 2, top: 1000)).candidates
                == single.detect(HotPixelDetectionParameters(threshold: 2, top: 1000)).candidates)
    }

    @Test("HotPixelScan.run: frames in groups with reused memory equal one-at-a-time adds; bad frames are listed (every core, one core: frames decoded in pairs, three)",
          .serialized, arguments: [0, 1, 3])
    func scanRunMatchesSerial(cores: Int) throws {
        // The count is process-wide; other tests running meanwhile only get another grouping, never another result.
        Parallel.setCoreCount(cores)
        defer { Parallel.setCoreCount(0) }
        let width = 37, height = 17, channels = 3
        let images = (0..<9).map { scene(width: width, height: height, channels: channels, seed: 200 + UInt64($0)) }
        let geometry = HotPixelGeometry(width: width, height: height, channels: channels, sampleType: .uint8, cfa: nil, method: .residual)
        let serial = HotPixelAccumulator<UInt8>(geometry: geometry)
        for (index, image) in images.enumerated() where index != 3 && index != 6 { serial.add(image) }
        struct Unreadable: Error, CustomStringConvertible { var description: String { "unreadable" } }
        let small = scene(width: 5, height: 5, channels: channels, seed: 1)
        let (state, skipped) = try HotPixelScan.run(
            frameCount: images.count, accumulator: nil, geometry: { _ in geometry },
            load: { (index: Int, reusable: AnyImage?) throws -> AnyImage in
                if index == 3 { throw Unreadable() }
                if index == 6 { return .uint8(small) }
                // Decode into the reusable frame's memory, as the JPEG reader does.
                if let storage = reusable?.typed(as: UInt8.self)?.storageForReuse, storage.count >= width * height * channels {
                    images[index].withUnsafeBuffer { source in
                        for y in 0..<height { (storage.base + y * width * channels).update(from: source.rowPointer(y), count: width * channels) }
                    }
                    return .uint8(Image(storage: storage, width: width, height: height, channels: channels))
                }
                // A copy: the scan may later decode another frame into this memory.
                return .uint8(Image(width: width, height: height, channels: channels, samples: images[index].samples))
            })
        let result = try #require(state)
        #expect(skipped.map { $0.index } == [3, 6] && skipped[0].reason == "unreadable")
        #expect(result.frameCount == 7)
        guard case .uint8(let scanned) = result else { Issue.record("sample type"); return }
        #expect(Array(scanned.mean) == Array(serial.mean) && Array(scanned.m2) == Array(serial.m2))
        #expect(Array(scanned.minimum) == Array(serial.minimum) && Array(scanned.maximum) == Array(serial.maximum))
    }

    /// A stack with planted defects: hot (+60), dead (×0), stuck (constant 200), each in one channel.
    private func plantedStack(frames: Int, width: Int = 96, height: Int = 80) -> [Image<UInt8>] {
        (0..<frames).map { frame in
            var image = scene(width: width, height: height, channels: 3, seed: 1000 + UInt64(frame))
            image[20, 30, 0] = UInt8(min(255, Int(image[20, 30, 0]) + 60))
            image[70, 15, 1] = 0
            image[50, 60, 2] = 200
            // A smeared hot pixel: centre +45, its 4 neighbours +20 (what demosaicing does); never clipped
            // (the scene stays under 205), since clipping would make the centre's residual vary the most.
            image[40, 40, 1] = UInt8(min(255, Int(image[40, 40, 1]) + 45))
            for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                image[40 + dx, 40 + dy, 1] = UInt8(min(255, Int(image[40 + dx, 40 + dy, 1]) + 20))
            }
            return image
        }
    }

    @Test("Planted defects are found, classified and reported once each at their centre")
    func detection() {
        let images = plantedStack(frames: 30)
        let geometry = HotPixelGeometry(width: 96, height: 80, channels: 3, sampleType: .uint8, cfa: nil, method: .residual)
        let state = HotPixelAccumulator<UInt8>(geometry: geometry)
        for image in images { state.add(image) }
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters())
        let found = Dictionary(result.candidates.map { ("\($0.x),\($0.y)", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(result.candidates.count == 4)
        #expect(found["20,30"]?.kind == .hot && found["20,30"]?.channel == 0)
        #expect(found["70,15"]?.kind == .dead && found["70,15"]?.channel == 1)
        #expect(found["50,60"]?.kind == .stuck && found["50,60"]?.channel == 2)
        #expect(found["40,40"]?.kind == .hot)
        #expect(zip(result.candidates, result.candidates.dropFirst()).allSatisfy { $0.score >= $1.score })
    }

    @Test("Without suppression the smear is reported too; with it, once")
    func suppression() {
        let images = plantedStack(frames: 30)
        let geometry = HotPixelGeometry(width: 96, height: 80, channels: 3, sampleType: .uint8, cfa: nil, method: .residual)
        let state = HotPixelAccumulator<UInt8>(geometry: geometry)
        for image in images { state.add(image) }
        let loose = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(threshold: 4, suppressionRadius: 0))
        let strict = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(threshold: 4, suppressionRadius: 2))
        let nearSmear = { (c: DefectCandidate) in abs(c.x - 40) <= 2 && abs(c.y - 40) <= 2 }
        #expect(loose.candidates.filter(nearSmear).count > 1)
        #expect(strict.candidates.filter(nearSmear).map { "\($0.x),\($0.y)" } == ["40,40"])
    }

    @Test("Threshold: higher threshold never reports more; top limits the count")
    func thresholdAndTop() {
        let images = plantedStack(frames: 20)
        let geometry = HotPixelGeometry(width: 96, height: 80, channels: 3, sampleType: .uint8, cfa: nil, method: .residual)
        let state = HotPixelAccumulator<UInt8>(geometry: geometry)
        for image in images { state.add(image) }
        var previous = Int.max
        for threshold in [3.0, 6, 10, 20, 1000] {
            let count = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(threshold: threshold, top: 10_000)).candidates.count
            #expect(count <= previous)
            previous = count
        }
        #expect(previous == 0)
        #expect(HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(threshold: 3, top: 2)).candidates.count == 2)
    }

    @Test("Variance method ranks the stuck (constant) sample first, like the seed")
    func varianceMethod() {
        let images = plantedStack(frames: 15)
        let geometry = HotPixelGeometry(width: 96, height: 80, channels: 3, sampleType: .uint8, cfa: nil, method: .variance)
        let state = HotPixelAccumulator<UInt8>(geometry: geometry)
        for image in images { state.add(image) }
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(top: 5))
        #expect(result.candidates.count == 5)
        #expect(result.candidates.contains { $0.x == 50 && $0.y == 60 && $0.channel == 2 && $0.score == 0 })
        #expect(result.candidates.first!.score == 0)
    }

    @Test("CFA mosaic: same-colour neighbours two apart; channel is the site's colour")
    func mosaic() {
        let width = 64, height = 48
        let frames: [Image<UInt16>] = (0..<25).map { frame in
            let rgb = scene(width: width, height: height, channels: 1, seed: 500 + UInt64(frame))
            var mosaic = Image<UInt16>(width: width, height: height, channels: 1)
            for y in 0..<height { for x in 0..<width { mosaic[x, y] = UInt16(rgb[x, y]) * 200 } }
            mosaic[21, 10] = mosaic[21, 10] &+ 9000  // (odd, even) = G in RGGB
            mosaic[30, 30] = 0                        // (even, even) = R
            return mosaic
        }
        let geometry = HotPixelGeometry(width: width, height: height, channels: 1, sampleType: .uint16, cfa: .rggb, method: .residual)
        let state = HotPixelAccumulator<UInt16>(geometry: geometry)
        for frame in frames { state.add(frame) }
        let result = HotPixelDetector.detect(state, parameters: HotPixelDetectionParameters(suppressionRadius: 1))
        #expect(result.candidates.contains { $0.x == 21 && $0.y == 10 && $0.channel == 1 && $0.kind == .hot })
        #expect(result.candidates.contains { $0.x == 30 && $0.y == 30 && $0.channel == 0 && $0.kind == .dead })
        #expect(result.candidates.count == 2)
        #expect(CFAPattern.bggr.colour(x: 0, y: 0) == 2 && CFAPattern.grbg.colour(x: 1, y: 0) == 0 && CFAPattern.gbrg.colour(x: 0, y: 1) == 0)
    }

    @Test("Scan driver: unreadable and mismatched frames are skipped and listed, the rest accumulate")
    func scanDriver() throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "broken.jpg: truncated" } }
        let good = scene(width: 16, height: 12, channels: 3, seed: 1)
        let other = scene(width: 12, height: 16, channels: 3, seed: 2)
        let frames: [AnyImage?] = [nil, .uint8(good), .uint8(other), nil, .uint8(good), .uint16(Image(width: 16, height: 12, channels: 3))]
        let (state, skipped) = try HotPixelScan.run(
            frameCount: frames.count, accumulator: nil,
            geometry: { HotPixelGeometry(width: $0.width, height: $0.height, channels: $0.channels, sampleType: $0.sampleType, cfa: nil, method: .residual) },
            load: { index, _ in
                guard let frame = frames[index] else { throw Broken() }
                return frame
            })
        #expect(state?.frameCount == 2)
        #expect(skipped.map(\.index) == [0, 2, 3, 5])
        #expect(skipped[0].reason == "broken.jpg: truncated")
        #expect(skipped[1].reason.contains("differs from the first frame"))
    }
}

/// The scan's pipeline (``HotPixelScan/Pipeline``): decoding and band passes interleaved on several cores give
/// the statistics of one-at-a-time adds, bit for bit, whatever the timing, the number of cores and of buffers.
@Suite("Hot pixels: scan pipeline")
struct HotPixelScanPipelineTests {
    struct Unreadable: Error, CustomStringConvertible { var description: String { "unreadable" } }

    /// Runs the pipeline over `images` (nil: a frame that fails to load) with `workers` loops and `buffers`
    /// frame buffers; loads sleep a random while so that frames finish out of order.
    func pipelineRun(_ images: [Image<UInt8>?], geometry: HotPixelGeometry, workers: Int, buffers: Int,
                     seed: UInt64) -> (HotPixelAccumulator<UInt8>, [SkippedFrame]) {
        let accumulator = HotPixelAccumulator<UInt8>(geometry: geometry)
        let pipeline = HotPixelScan.Pipeline(state: .uint8(accumulator), frames: 0..<images.count, buffers: buffers,
                                             decoded: [], spare: [])
        let delays = (0..<images.count).map { UInt32((seed &* 2654435761 &+ UInt64($0) &* 40503) % 3000) }
        Parallel.forEachChunk(count: workers, minimumChunk: 1) { range in
            for _ in range {
                pipeline.work(load: { index, reusable in
                    usleep(delays[index])
                    guard let image = images[index] else { throw Unreadable() }
                    let count = image.width * image.height * image.channels
                    if let storage = reusable?.typed(as: UInt8.self)?.storageForReuse, storage.count >= count {
                        image.withUnsafeBuffer { source in
                            for y in 0..<image.height {
                                (storage.base + y * image.width * image.channels).update(from: source.rowPointer(y),
                                                                                         count: image.width * image.channels)
                            }
                        }
                        return .uint8(Image(storage: storage, width: image.width, height: image.height, channels: image.channels))
                    }
                    return .uint8(Image(width: image.width, height: image.height, channels: image.channels, samples: image.samples))
                }, progress: {})
            }
        }
        return (accumulator, pipeline.skipped.sorted { $0.index < $1.index })
    }

    @Test("Any number of cores and buffers give one-at-a-time statistics bit for bit; bad frames are listed",
          arguments: [(1, 1), (2, 2), (3, 2), (2, 3), (5, 2), (4, 4)])
    func pipelineMatchesSerial(workers: Int, buffers: Int) {
        let width = 41, height = 300, channels = 3
        let geometry = HotPixelGeometry(width: width, height: height, channels: channels, sampleType: .uint8, cfa: nil, method: .residual)
        var images: [Image<UInt8>?] = (0..<13).map { scene(width: width, height: height, channels: channels, seed: 500 + UInt64($0)) }
        images[2] = nil
        images[9] = scene(width: 7, height: 5, channels: channels, seed: 3)
        images[12] = nil
        let serial = HotPixelAccumulator<UInt8>(geometry: geometry)
        for (index, image) in images.enumerated() where index != 9 { if let image { serial.add(image) } }
        for seed in UInt64(1)...3 {
            let (state, skipped) = pipelineRun(images, geometry: geometry, workers: workers, buffers: buffers, seed: seed)
            #expect(skipped.map(\.index) == [2, 9, 12] && skipped[0].reason == "unreadable")
            #expect(skipped[1].reason.contains("differs from the first frame"))
            #expect(state.frameCount == 10)
            #expect(Array(state.mean) == Array(serial.mean) && Array(state.m2) == Array(serial.m2))
            #expect(Array(state.minimum) == Array(serial.minimum) && Array(state.maximum) == Array(serial.maximum))
        }
    }

    @Test("A pipeline over no frames, or only bad ones, ends at once and leaves the state as it was")
    func emptyAndAllBad() {
        let geometry = HotPixelGeometry(width: 9, height: 4, channels: 1, sampleType: .uint8, cfa: nil, method: .residual)
        for images in [[Image<UInt8>?](), [nil, nil]] {
            let (state, skipped) = pipelineRun(images, geometry: geometry, workers: 2, buffers: 2, seed: 1)
            #expect(state.frameCount == 0 && skipped.count == images.count)
            #expect(state.mean.allSatisfy { $0 == 0 })
        }
    }
}
