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
        add([image])
    }

    /// Accumulates frames whose geometry matches, in order, in one pass over the state (see
    /// ``HotPixelAccumulator/add(_:)-([Image])``). Thread-safe.
    public func add(_ images: [AnyImage]) {
        func frames<S: PixelSample>(_ type: S.Type) -> [Image<S>] {
            images.map { image in
                guard let typed = image.typed(as: S.self) else { preconditionFailure("frame sample type differs from the accumulator's") }
                return typed
            }
        }
        switch self {
        case .uint8(let a): a.add(frames(UInt8.self))
        case .uint16(let a): a.add(frames(UInt16.self))
        case .float32(let a): a.add(frames(Float.self))
        case .float64(let a): a.add(frames(Double.self))
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
/// Frames are loaded by a closure (this module reads no files) in groups of one frame per core: the
/// group's frames decode in parallel, each into the memory of the frame its worker held before (no new
/// allocation, so no page faults after the first group), then the group is accumulated in one pass over
/// the state, its bands spread over every core (see ``HotPixelAccumulator/add(_:)-([Image])``). One pass
/// per group instead of one per frame halves the memory traffic of the state on two cores, which is what
/// accumulating costs. Frames are applied in index order, so a scan's result does not depend on timing.
/// A frame that fails to load, or whose size or sample type differs from the accumulator's, is skipped
/// and listed.
public enum HotPixelScan {
    /// Scans frames `0..<frameCount`.
    ///
    /// - Parameters:
    ///   - accumulator: statistics to continue (a resumed scan); nil to start from the first frame that loads.
    ///   - geometry: the geometry for a new accumulator, from the first frame that loads.
    ///   - load: decodes frame `index`; its error's description becomes the skip reason. Its second
    ///     argument is a frame the scan no longer needs (or nil): the loader may decode into its memory
    ///     and return it instead of allocating a new image.
    ///   - progress: called once per frame done (loaded or skipped), from any thread.
    /// - Returns: the accumulator (nil if no frame loaded and none was given) and the skipped frames in order.
    public static func run(frameCount: Int, accumulator: AnyHotPixelAccumulator?,
                           geometry: (AnyImage) throws -> HotPixelGeometry,
                           load: @Sendable (_ index: Int, _ reusable: AnyImage?) throws -> AnyImage,
                           progress: @Sendable () -> Void = {}) rethrows -> (AnyHotPixelAccumulator?, [SkippedFrame]) {
        var skipped: [SkippedFrame] = []
        var state = accumulator
        let group = Swift.max(1, Parallel.coreCount)
        // Slot k holds the frame worker k decoded last, whose memory the next decode reuses.
        let slots = UnsafeMutableBufferPointer<AnyImage?>.allocate(capacity: group)
        slots.initialize(repeating: nil)
        defer { slots.deinitialize().deallocate() }
        let errors = UnsafeMutableBufferPointer<String?>.allocate(capacity: group)
        errors.initialize(repeating: nil)
        defer { errors.deinitialize().deallocate() }
        let frameSlots = SendablePointer(slots.baseAddress), errorSlots = SendablePointer(errors.baseAddress)
        var next = 0
        while next < frameCount {
            let first = next, count = Swift.min(group, frameCount - next)
            Parallel.forEachChunk(count: count, minimumChunk: 1) { range in
                for k in range {
                    defer { progress() }
                    let reusable = frameSlots.pointer![k]
                    frameSlots.pointer![k] = nil
                    do {
                        frameSlots.pointer![k] = try load(first + k, reusable)
                        errorSlots.pointer![k] = nil
                    } catch {
                        frameSlots.pointer![k] = reusable
                        errorSlots.pointer![k] = String(describing: error)
                    }
                }
            }
            var frames: [AnyImage] = []
            for k in 0..<count {
                if let error = errors[k] {
                    skipped.append(SkippedFrame(index: first + k, reason: error))
                    continue
                }
                guard let frame = slots[k] else { continue }
                // Without a state to continue, the first frame that loads fixes the geometry.
                if state == nil { state = AnyHotPixelAccumulator(geometry: try geometry(frame)) }
                if let reason = state!.mismatch(frame) {
                    skipped.append(SkippedFrame(index: first + k, reason: reason))
                } else {
                    frames.append(frame)
                }
            }
            state?.add(frames)
            next += count
        }
        return (state, skipped)
    }
}
