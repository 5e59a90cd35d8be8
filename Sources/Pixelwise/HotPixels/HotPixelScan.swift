/// A ``HotPixelAccumulator`` of whichever sample type the frames have.
public enum AnyHotPixelAccumulator: Sendable {
    case uint8(HotPixelAccumulator<UInt8>)
    case uint16(HotPixelAccumulator<UInt16>)
    case float32(HotPixelAccumulator<Float>)
    case float64(HotPixelAccumulator<Double>)

    /// An empty accumulator for `geometry`.
    public init(geometry: HotPixelGeometry) {
        switch geometry.sampleType {
        case .uint8: self = .uint8(HotPixelAccumulator(geometry: geometry))
        case .uint16: self = .uint16(HotPixelAccumulator(geometry: geometry))
        case .float32: self = .float32(HotPixelAccumulator(geometry: geometry))
        case .float64: self = .float64(HotPixelAccumulator(geometry: geometry))
        }
    }

    public var geometry: HotPixelGeometry {
        switch self {
        case .uint8(let a): a.geometry
        case .uint16(let a): a.geometry
        case .float32(let a): a.geometry
        case .float64(let a): a.geometry
        }
    }

    public var frameCount: Int {
        switch self {
        case .uint8(let a): a.frameCount
        case .uint16(let a): a.frameCount
        case .float32(let a): a.frameCount
        case .float64(let a): a.frameCount
        }
    }

    /// Why `image` cannot join this accumulator, or nil when it can.
    public func mismatch(_ image: AnyImage) -> String? {
        let g = geometry
        if image.width != g.width || image.height != g.height || image.channels != g.channels {
            return "size \(image.width)×\(image.height)×\(image.channels) differs from the first frame's \(g.width)×\(g.height)×\(g.channels)"
        }
        if image.sampleType != g.sampleType {
            return "\(image.sampleType.rawValue) samples differ from the first frame's \(g.sampleType.rawValue)"
        }
        return nil
    }

    /// Accumulates a frame whose geometry matches (check with ``mismatch(_:)`` first). Thread-safe.
    public func add(_ image: AnyImage) {
        switch (self, image) {
        case let (.uint8(a), .uint8(i)): a.add(i)
        case let (.uint16(a), .uint16(i)): a.add(i)
        case let (.float32(a), .float32(i)): a.add(i)
        case let (.float64(a), .float64(i)): a.add(i)
        default: preconditionFailure("frame sample type differs from the accumulator's")
        }
    }

    /// Chan-merges `other` (same geometry) into this one.
    public func merge(_ other: AnyHotPixelAccumulator) {
        switch (self, other) {
        case let (.uint8(a), .uint8(b)): a.merge(b)
        case let (.uint16(a), .uint16(b)): a.merge(b)
        case let (.float32(a), .float32(b)): a.merge(b)
        case let (.float64(a), .float64(b)): a.merge(b)
        default: preconditionFailure("merging accumulators of different sample types")
        }
    }

    /// Runs the detector; `scoreMap`, when given, receives a per-pixel score (`width * height` values).
    public func detect(_ parameters: HotPixelDetectionParameters,
                       scoreMap: UnsafeMutableBufferPointer<Float>? = nil) -> HotPixelDetection {
        switch self {
        case .uint8(let a): HotPixelDetector.detect(a, parameters: parameters, scoreMap: scoreMap)
        case .uint16(let a): HotPixelDetector.detect(a, parameters: parameters, scoreMap: scoreMap)
        case .float32(let a): HotPixelDetector.detect(a, parameters: parameters, scoreMap: scoreMap)
        case .float64(let a): HotPixelDetector.detect(a, parameters: parameters, scoreMap: scoreMap)
        }
    }
}

/// A frame that was left out of a scan, and why.
public struct SkippedFrame: Sendable, Equatable {
    /// The frame's index in the list handed to the scan.
    public var index: Int
    public var reason: String
    public init(index: Int, reason: String) {
        self.index = index
        self.reason = reason
    }
}

/// Streams a stack of frames through a ``HotPixelAccumulator`` on every core.
///
/// Frames are loaded by a closure (this module reads no files), decoded and accumulated in parallel: each
/// worker holds one decoded frame at a time and updates the shared accumulator band by band. A frame
/// that fails to load, or whose size or sample type differs from the accumulator's, is skipped and listed.
public enum HotPixelScan {
    /// Scans frames `0..<frameCount`.
    ///
    /// - Parameters:
    ///   - accumulator: statistics to continue (a resumed scan); nil to start from the first frame that loads.
    ///   - geometry: the geometry for a new accumulator, from the first frame that loads.
    ///   - load: decodes frame `index`; its error's description becomes the skip reason.
    ///   - progress: called once per frame done (loaded or skipped), from any thread.
    /// - Returns: the accumulator (nil if no frame loaded and none was given) and the skipped frames in order.
    public static func run(frameCount: Int, accumulator: AnyHotPixelAccumulator?,
                           geometry: (AnyImage) throws -> HotPixelGeometry,
                           load: @Sendable (Int) throws -> AnyImage,
                           progress: @Sendable () -> Void = {}) rethrows -> (AnyHotPixelAccumulator?, [SkippedFrame]) {
        var skipped: [SkippedFrame] = []
        var accumulator = accumulator
        var next = 0
        // Without a state to continue, the first frame that loads fixes the geometry.
        while accumulator == nil, next < frameCount {
            defer { next += 1; progress() }
            let image: AnyImage
            do { image = try load(next) } catch {
                skipped.append(SkippedFrame(index: next, reason: String(describing: error)))
                continue
            }
            let created = AnyHotPixelAccumulator(geometry: try geometry(image))
            created.add(image)
            accumulator = created
        }
        guard let state = accumulator else { return (nil, skipped) }
        let first = next
        let reasons = UnsafeMutableBufferPointer<String?>.allocate(capacity: Swift.max(0, frameCount - first))
        reasons.initialize(repeating: nil)
        defer { reasons.deinitialize().deallocate() }
        let slots = SendablePointer(reasons.baseAddress)
        // One frame per chunk item: each worker decodes a frame, accumulates it, then takes the next.
        Parallel.forEachChunk(count: frameCount - first, minimumChunk: 1) { range in
            for offset in range {
                defer { progress() }
                let image: AnyImage
                do { image = try load(first + offset) } catch {
                    slots.pointer![offset] = String(describing: error)
                    continue
                }
                if let reason = state.mismatch(image) {
                    slots.pointer![offset] = reason
                    continue
                }
                state.add(image)
            }
        }
        for (offset, reason) in reasons.enumerated() {
            if let reason { skipped.append(SkippedFrame(index: first + offset, reason: reason)) }
        }
        return (state, skipped)
    }
}
