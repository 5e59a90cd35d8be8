#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``HotPixelAccumulator`` of whichever sample type the frames have.
public enum AnyHotPixelAccumulator: Sendable {
    case uint8(HotPixelAccumulator<UInt8>)
    case uint16(HotPixelAccumulator<UInt16>)
    case float32(HotPixelAccumulator<Float>)
    case float64(HotPixelAccumulator<Double>)

    /// Memory the statistics of `geometry` hold: mean and M2 as `Float` per sample, and for the residual method
    /// the smallest and largest value in the frames' sample type. The state file holds the same arrays.
    public static func memoryNeed(_ geometry: HotPixelGeometry) -> MemoryNeed {
        let perSample = 2 * MemoryLayout<Float>.size + (geometry.method == .residual ? 2 * geometry.sampleType.byteCount : 0)
        return MemoryNeed(count: geometry.width, size: geometry.height) * geometry.channels * perSample
    }

    /// An empty accumulator for `geometry`.
    public init(geometry: HotPixelGeometry) {
        self.init(geometry: geometry, deferringFill: false)
    }

    /// An empty accumulator whose bands are written by their first frames (see
    /// ``HotPixelAccumulator/init(geometry:deferringFill:)``); ``fillPending()`` before anything reads it.
    init(geometry: HotPixelGeometry, deferringFill: Bool) {
        switch geometry.sampleType {
        case .uint8: self = .uint8(HotPixelAccumulator(geometry: geometry, deferringFill: deferringFill))
        case .uint16: self = .uint16(HotPixelAccumulator(geometry: geometry, deferringFill: deferringFill))
        case .float32: self = .float32(HotPixelAccumulator(geometry: geometry, deferringFill: deferringFill))
        case .float64: self = .float64(HotPixelAccumulator(geometry: geometry, deferringFill: deferringFill))
        }
    }

    /// Fills the bands that have no frame yet (see ``HotPixelAccumulator/fillPending()``).
    func fillPending() {
        switch self {
        case .uint8(let a): a.fillPending()
        case .uint16(let a): a.fillPending()
        case .float32(let a): a.fillPending()
        case .float64(let a): a.fillPending()
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

    /// Number of bands of rows the state is split into.
    var bandCount: Int {
        switch self {
        case .uint8(let a): a.bandCount
        case .uint16(let a): a.bandCount
        case .float32(let a): a.bandCount
        case .float64(let a): a.bandCount
        }
    }

    /// Applies `images` (matching geometry), in order, to band `band` only; see
    /// ``HotPixelAccumulator/add(_:toBand:scratch:)``.
    func add(_ images: [AnyImage], toBand band: Int, scratch: UnsafeMutablePointer<Float>) {
        func frames<S: PixelSample>(_ type: S.Type) -> [Image<S>] {
            images.map { image in
                guard let typed = image.typed(as: S.self) else { preconditionFailure("frame sample type differs from the accumulator's") }
                return typed
            }
        }
        switch self {
        case .uint8(let a): a.add(frames(UInt8.self), toBand: band, scratch: scratch)
        case .uint16(let a): a.add(frames(UInt16.self), toBand: band, scratch: scratch)
        case .float32(let a): a.add(frames(Float.self), toBand: band, scratch: scratch)
        case .float64(let a): a.add(frames(Double.self), toBand: band, scratch: scratch)
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

    /// Chan-merges statistics of `frameCount` frames held elsewhere in a state file's layout: `sampleCount`
    /// means and M2s (`Float`) from `arrays`, then, for the residual method, as many minima and maxima (the
    /// sample type), each array aligned for its type. The dispatch on the sample type is here, in this module,
    /// so that the merge runs specialised: called from another module through a generic function it ran
    /// unspecialised (the range update through metadata lookups, 85 % of a 94 MB merge).
    public func merge(arrays: UnsafeRawPointer, frameCount: Int) {
        func merged<S: HotPixelSample>(_ a: HotPixelAccumulator<S>) {
            let n = a.geometry.sampleCount
            let m2s = arrays + 4 * n, minima = m2s + 4 * n, maxima = minima + n * MemoryLayout<S>.stride
            let hasRange = a.geometry.method == .residual
            a.merge(mean: arrays.assumingMemoryBound(to: Float.self), m2: m2s.assumingMemoryBound(to: Float.self),
                    minimum: hasRange ? minima.assumingMemoryBound(to: S.self) : nil,
                    maximum: hasRange ? maxima.assumingMemoryBound(to: S.self) : nil, frameCount: frameCount)
        }
        switch self {
        case .uint8(let a): merged(a)
        case .uint16(let a): merged(a)
        case .float32(let a): merged(a)
        case .float64(let a): merged(a)
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
    /// Why it was skipped (one line, for people).
    public var reason: String
    /// Frame `index` of the list, skipped for `reason`.
    public init(index: Int, reason: String) {
        self.index = index
        self.reason = reason
    }
}

/// Streams a stack of frames through a ``HotPixelAccumulator`` on every core.
///
/// Frames are loaded by a closure (this module reads no files), at most one decoded frame per core in memory,
/// each decoded into the memory of a frame the scan no longer needs (no new allocation, so no page faults after
/// the first ones). Every core runs the same loop (``Pipeline``): take a band of rows of the state and apply
/// to it, in one pass, every decoded frame it has not seen yet; when no band has one, decode the next frame
/// into a free buffer. Two frames decoded at about the same time are so applied in one pass (the state's memory
/// traffic, which is what accumulating costs, is halved), and a core whose frame decoded first does not wait
/// for the other: it starts on the bands with its frame alone. Each band applies the frames in index order with the
/// same arithmetic whatever the grouping, so a scan's result does not depend on timing (tested).
/// A frame that fails to load, or whose size or sample type differs from the accumulator's, is skipped
/// and listed.
public enum HotPixelScan {
    /// Peak memory of a scan of frames of `geometry` on `workers` cores (default: every core): the
    /// accumulator's state (``HotPixelAccumulator/memoryNeed(_:)``), two frames per core, and each core's
    /// scratch rows. Two frames: a core decodes its next frame while the one it is done with waits as the
    /// spare buffer, which only a JPEG decode reuses (measured: 4 frames of 2000 × 1500 RGB PNG on 2 cores
    /// peaked at 4 frames beside the state). Allocates nothing; callers check it before the first frame.
    public static func memoryNeed(_ geometry: HotPixelGeometry, workers: Int = Parallel.coreCount) -> MemoryNeed {
        let cores = Swift.max(1, workers), buffers = frameBuffers(cores: cores)
        let frame = MemoryNeed.image(width: geometry.width, height: geometry.height, channels: geometry.channels,
                                     sampleType: geometry.sampleType)
        let scratch = MemoryNeed(count: geometry.width * geometry.channels + 16, size: buffers * MemoryLayout<Float>.size)
        return AnyHotPixelAccumulator.memoryNeed(geometry) + frame * (2 * buffers) + scratch * cores
    }

    /// Frames decoded at once: one per core, and two on a single core, which then decodes both before it
    /// applies them in one pass over the state. Applying costs a pass over the whole state (read and write),
    /// whatever the number of frames: one frame a pass on one core took 11 of a frame's 22 ms (2048×1536 RGB,
    /// 94 MB of state); that is a scan in one thread, as in a dask worker (one thread per task).
    static func frameBuffers(cores: Int) -> Int { cores == 1 ? 2 : Swift.max(1, cores) }

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
        let cores = Swift.max(1, Parallel.coreCount), buffers = frameBuffers(cores: cores)
        var next = 0
        var decoded: [AnyImage] = [], spare: [AnyImage] = []
        // Without a state to continue, the first frame that loads fixes the geometry: a first group of frames is
        // decoded in parallel, here, where `geometry` may throw.
        while state == nil, next < frameCount {
            let first = next, count = Swift.min(buffers, frameCount - next)
            let results = Parallel.mapChunks(count: count, minimumChunk: 1) { range in
                range.map { k -> Result<AnyImage, FrameError> in
                    defer { progress() }
                    do { return .success(try load(first + k, nil)) } catch { return .failure(FrameError(String(describing: error))) }
                }
            }.flatMap { $0 }
            for (k, result) in results.enumerated() {
                switch result {
                case .failure(let error): skipped.append(SkippedFrame(index: first + k, reason: error.reason))
                case .success(let frame):
                    // Not filled: each band's first pass writes its statistics without reading them.
                    if state == nil { state = AnyHotPixelAccumulator(geometry: try geometry(frame), deferringFill: true) }
                    if let reason = state!.mismatch(frame) {
                        skipped.append(SkippedFrame(index: first + k, reason: reason))
                        spare.append(frame)
                    } else {
                        decoded.append(frame)
                    }
                }
            }
            next += count
        }
        guard let state else { return (nil, skipped) }
        let pipeline = Pipeline(state: state, frames: next..<frameCount, buffers: buffers, decoded: decoded, spare: spare,
                                decodeFirst: cores == 1)
        Parallel.forEachChunk(count: cores, minimumChunk: 1) { workers in
            for _ in workers { pipeline.work(load: load, progress: progress) }
        }
        skipped += pipeline.skipped.sorted { $0.index < $1.index }
        state.fillPending()   // every band has had the first frame: nothing to do, unless that changes
        return (state, skipped)
    }

    /// A frame's load error, as the reason it is skipped.
    struct FrameError: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// The shared work of a scan's cores: decoding frames into free buffers and applying decoded frames to
    /// bands of the state, under one lock.
    ///
    /// Frames are claimed for decoding in index order and join the sequence of accepted frames in index order
    /// (a frame decoded early waits for the ones before it). A band takes every accepted frame it has not
    /// applied yet; the band furthest behind goes first, so that the oldest frame's buffer frees soonest. A
    /// buffer is free once every band has applied its frame. A core waits only while every task is running
    /// on another core, so the loop cannot deadlock however many cores actually run it.
    final class Pipeline: @unchecked Sendable {
        private let state: AnyHotPixelAccumulator
        private let buffers: Int
        private let frames: Range<Int>
        private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        // Guarded by `lock`:
        /// Next frame to decode.
        private var nextFrame: Int
        /// Frames before this one have joined `accepted` or `skipped`.
        private var resolvedFrame: Int
        /// Frames decoded (or failed) ahead of `resolvedFrame`, by index.
        private var outcomes: [Int: Result<AnyImage, FrameError>] = [:]
        /// Accepted frames in order; those every band has applied are released (nil).
        private var accepted: [AnyImage?]
        /// Accepted frames before this position have been released.
        private var released = 0
        /// Frames holding a buffer: being decoded, waiting to join, or not yet applied by every band.
        private var inFlight: Int
        /// Frames whose memory the next decodes may reuse.
        private var spare: [AnyImage]
        /// Accepted frames applied by each band, and whether a core is applying frames to it now.
        private var applied: [Int]
        private var busy: [Bool]
        /// The band handed out last (see ``laggingBand()``); the state's fill ends on the last band.
        private var lastBand: Int
        private(set) var skipped: [SkippedFrame] = []
        /// Decode while a buffer is free before applying anything: on a single core, so that frames are applied
        /// in groups of `buffers` (with several cores, frames arrive in groups as the cores decode together).
        private let decodeFirst: Bool

        init(state: AnyHotPixelAccumulator, frames: Range<Int>, buffers: Int, decoded: [AnyImage], spare: [AnyImage],
             decodeFirst: Bool = false) {
            self.state = state
            self.decodeFirst = decodeFirst
            self.frames = frames
            self.buffers = Swift.max(buffers, decoded.count)
            nextFrame = frames.lowerBound
            resolvedFrame = frames.lowerBound
            accepted = decoded
            inFlight = decoded.count
            self.spare = spare
            applied = Array(repeating: 0, count: state.bandCount)
            busy = Array(repeating: false, count: state.bandCount)
            lastBand = state.bandCount - 1
            pthread_mutex_init(lock, nil)
            pthread_cond_init(changed, nil)
        }

        deinit {
            pthread_cond_destroy(changed)
            pthread_mutex_destroy(lock)
            changed.deallocate()
            lock.deallocate()
        }

        /// One core's loop; returns when every frame is decoded and applied to every band.
        func work(load: (Int, AnyImage?) throws -> AnyImage, progress: () -> Void) {
            let rowLength = state.geometry.width * state.geometry.channels
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: (rowLength + 16) * buffers)
            defer { scratch.deallocate() }
            pthread_mutex_lock(lock)
            while true {
                // Band work first: a core decodes only when no band has a frame to apply, so that both cores
                // finish a group's bands together and then decode the next frames together, which keeps frames
                // arriving in pairs (one pass over the state for two frames). Deciding the other way round let
                // the cores drift into turns — one decoding while the other applied single frames — and the
                // state's traffic grew back.
                let canDecode = nextFrame < frames.upperBound && inFlight < buffers
                if !(decodeFirst && canDecode), let band = laggingBand() {
                    busy[band] = true
                    let start = applied[band], end = accepted.count
                    let group = accepted[start..<end].map { $0! }
                    pthread_mutex_unlock(lock)
                    state.add(group, toBand: band, scratch: scratch)
                    pthread_mutex_lock(lock)
                    applied[band] = end
                    busy[band] = false
                    release()
                    pthread_cond_broadcast(changed)
                    continue
                }
                if canDecode {
                    let index = nextFrame
                    nextFrame += 1
                    inFlight += 1
                    let reusable = spare.popLast()
                    pthread_mutex_unlock(lock)
                    let outcome: Result<AnyImage, FrameError>
                    do { outcome = .success(try load(index, reusable)) } catch {
                        outcome = .failure(FrameError(String(describing: error)))
                    }
                    progress()
                    pthread_mutex_lock(lock)
                    if case .failure = outcome, let reusable { spare.append(reusable) }
                    outcomes[index] = outcome
                    resolve()
                    pthread_cond_broadcast(changed)
                    continue
                }
                if resolvedFrame == frames.upperBound, !busy.contains(true), !applied.contains(where: { $0 < accepted.count }) {
                    break
                }
                pthread_cond_wait(changed, lock)
            }
            pthread_mutex_unlock(lock)
        }

        /// Moves decoded frames that are next in index order into `accepted` (or `skipped`). Under the lock.
        private func resolve() {
            while let outcome = outcomes.removeValue(forKey: resolvedFrame) {
                switch outcome {
                case .failure(let error):
                    skipped.append(SkippedFrame(index: resolvedFrame, reason: error.reason))
                    inFlight -= 1
                case .success(let frame):
                    if let reason = state.mismatch(frame) {
                        skipped.append(SkippedFrame(index: resolvedFrame, reason: reason))
                        spare.append(frame)
                        inFlight -= 1
                    } else {
                        accepted.append(frame)
                    }
                }
                resolvedFrame += 1
            }
        }

        /// The idle band with the fewest accepted frames applied, among those with frames to apply; of those,
        /// the one nearest the band handed out last. Under the lock.
        ///
        /// The nearest, not the first: a pass over the state then sweeps back from where the previous one
        /// ended (down, up, down…), so it starts on the bands written last, which are still in the shared
        /// cache, instead of on the bands written longest ago, which never are. The order of bands does not
        /// change what each band computes.
        private func laggingBand() -> Int? {
            var best: Int? = nil
            for band in applied.indices where !busy[band] && applied[band] < accepted.count {
                guard let current = best else {
                    best = band
                    continue
                }
                if applied[band] < applied[current]
                    || (applied[band] == applied[current] && abs(band - lastBand) < abs(current - lastBand)) {
                    best = band
                }
            }
            if let best { lastBand = best }
            return best
        }

        /// Frees the buffers of the frames every band has applied. Under the lock.
        private func release() {
            let everywhere = applied.min() ?? accepted.count
            while released < everywhere {
                spare.append(accepted[released]!)
                accepted[released] = nil
                released += 1
                inFlight -= 1
            }
        }
    }
}
