import Dispatch

/// What a scan accumulates per sample, and so how it ranks.
public enum HotPixelMethod: String, Sendable, CaseIterable, Codable {
    /// Welford moments of the residual against the local median (see ``LocalMedianResidual``), plus the
    /// range (minimum and maximum) of the value: finds hot, warm, dead, stuck and flickering samples.
    case residual
    /// Welford moments of the value itself, ranked by lowest variance: the seed program's method, kept for
    /// comparison. It misses additive hot pixels, whose variance is not low.
    case variance
}

/// The layout a scan's statistics belong to: two states merge only when these agree.
public struct HotPixelGeometry: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var sampleType: SampleType
    /// Set for a raw mosaic (one channel): neighbours are then two photosites apart.
    public var cfa: CFAPattern?
    public var method: HotPixelMethod

    public init(width: Int, height: Int, channels: Int, sampleType: SampleType, cfa: CFAPattern?, method: HotPixelMethod) {
        self.width = width
        self.height = height
        self.channels = channels
        self.sampleType = sampleType
        self.cfa = cfa
        self.method = method
    }

    /// Pixels between a sample and its same-colour neighbours.
    public var step: Int { cfa == nil ? 1 : 2 }
    /// Number of samples, `width * height * channels`.
    public var sampleCount: Int { width * height * channels }

    public var description: String {
        "\(width)×\(height)×\(channels) \(sampleType.rawValue)" + (cfa.map { " \($0.rawValue) mosaic" } ?? "")
            + ", method \(method.rawValue)"
    }
}

/// Per-sample running statistics of a photo stack, shared by every worker of a scan.
///
/// The state is one copy for the whole scan (a 10-megapixel RGB stack keeps 10 bytes per sample, 300 MB:
/// a copy per worker would not fit the memory budget), split into bands of rows, each with its own lock
/// and frame count. ``add(_:)-([Image])`` takes a group of frames (a scan hands it one decoded frame per
/// core) and applies them, in order, in one pass over each band, the bands spread over every core: the
/// state is read and written once per group instead of once per frame, and accumulating is bound by that
/// memory traffic. The locks keep concurrent `add` calls safe (each band is updated by one caller at a
/// time; callers start at different bands).
///
/// Per sample, method ``HotPixelMethod/residual`` keeps the mean and M2 (Welford, `Float`) of the
/// residual and the minimum and maximum value (in `Sample`); method ``HotPixelMethod/variance`` keeps the
/// mean and M2 of the value.
public final class HotPixelAccumulator<Sample: HotPixelSample>: @unchecked Sendable {
    public let geometry: HotPixelGeometry
    /// Mean of the residual (or of the value, for the variance method), one per sample, interleaved.
    public let mean: UnsafeMutableBufferPointer<Float>
    /// M2 of the residual (or value).
    public let m2: UnsafeMutableBufferPointer<Float>
    /// Smallest and largest value seen (residual method only; empty otherwise).
    public let minimum: UnsafeMutableBufferPointer<Sample>
    public let maximum: UnsafeMutableBufferPointer<Sample>

    /// Rows per band.
    public let bandRows: Int
    /// Frames applied to each band, and whether each band's state has been written (filled, or by its first
    /// frames). Raw memory, because workers update different bands at once: element writes into a shared
    /// `Array` property are mutating accesses of the whole array (a data race; see `Parallel`'s result slots).
    private let bandCounts: UnsafeMutableBufferPointer<Int>
    private let bandFilled: UnsafeMutableBufferPointer<Bool>
    private let bandLocks: [DispatchSemaphore]

    /// An empty accumulator for frames of `geometry` (whose sample type must be `Sample`).
    public convenience init(geometry: HotPixelGeometry) {
        self.init(geometry: geometry, deferringFill: false)
    }

    /// An empty accumulator whose state is written by each band's first frames instead of being filled first
    /// (``HotPixelScan``): that pass writes the state without reading it, and the fill — 300 MB of stores on
    /// a 10-megapixel RGB stack, before the first frame could start — is not needed. Until ``fillPending()``,
    /// only the bands that have frames hold statistics.
    init(geometry: HotPixelGeometry, deferringFill: Bool) {
        precondition(geometry.sampleType == Sample.sampleType, "accumulator sample type differs from the geometry's")
        self.geometry = geometry
        let count = geometry.sampleCount
        // Huge pages (see TableMemory): every frame streams through the whole state, 4 KB pages would cost
        // 73 000 page faults to fill it and a page walk every 4 KB of every pass.
        mean = UnsafeMutableBufferPointer(start: TableMemory.allocate(Float.self, count: count), count: count)
        m2 = UnsafeMutableBufferPointer(start: TableMemory.allocate(Float.self, count: count), count: count)
        let ranges = geometry.method == .residual ? count : 0
        minimum = UnsafeMutableBufferPointer(start: TableMemory.allocate(Sample.self, count: ranges), count: ranges)
        maximum = UnsafeMutableBufferPointer(start: TableMemory.allocate(Sample.self, count: ranges), count: ranges)
        // Bands of an even number of rows (CFA phase stays aligned), enough of them that workers rarely meet.
        bandRows = Swift.max(2, (geometry.height / 64 + 1) & ~1)
        let bands = Swift.max(1, (geometry.height + bandRows - 1) / bandRows)
        bandCounts = .allocate(capacity: bands)
        bandCounts.initialize(repeating: 0)
        bandLocks = (0..<bands).map { _ in DispatchSemaphore(value: 1) }
        bandFilled = .allocate(capacity: bands)
        bandFilled.initialize(repeating: false)
        if !deferringFill { fillPending() }
    }

    /// Fills the state of every band that has no frame yet with the empty statistics (mean and M2 zero, the
    /// range empty), on every core: the first touch of 300 MB (page faults and zeroing by the kernel, then
    /// these stores) took a few tenths of a second on one core.
    func fillPending() {
        let pending = bandFilled.indices.filter { !bandFilled[$0] }
        guard !pending.isEmpty else { return }
        let rowLength = geometry.width * geometry.channels, hasRange = geometry.method == .residual
        let mean = SendablePointer(mean.baseAddress), m2 = SendablePointer(m2.baseAddress)
        let minimum = SendablePointer(minimum.baseAddress), maximum = SendablePointer(maximum.baseAddress)
        let bandRows = bandRows, height = geometry.height
        Parallel.forEachChunk(count: pending.count) { chunk in
            for band in pending[chunk] {
                let start = band * bandRows * rowLength, count = (Swift.min(height, (band + 1) * bandRows) - band * bandRows) * rowLength
                (mean.pointer! + start).initialize(repeating: 0, count: count)
                (m2.pointer! + start).initialize(repeating: 0, count: count)
                if hasRange {
                    (minimum.pointer! + start).initialize(repeating: Sample.maximumValue, count: count)
                    (maximum.pointer! + start).initialize(repeating: Sample.minimumValue, count: count)
                }
            }
        }
        for band in pending { bandFilled[band] = true }
    }

    deinit {
        TableMemory.deallocate(mean.baseAddress!)
        TableMemory.deallocate(m2.baseAddress!)
        TableMemory.deallocate(minimum.baseAddress!)
        TableMemory.deallocate(maximum.baseAddress!)
        bandCounts.deallocate()
        bandFilled.deallocate()
    }

    /// Frames accumulated (every band has seen the same frames once all `add` calls have returned).
    public var frameCount: Int { bandCounts.min() ?? 0 }

    /// Sets the frame count after loading statistics from a state file.
    public func setFrameCount(_ count: Int) {
        for band in bandCounts.indices { bandCounts[band] = count }
    }

    /// Accumulates one frame (same geometry). Safe to call from several threads at once.
    public func add(_ frame: Image<Sample>) {
        add([frame])
    }

    /// Accumulates `frames` (same geometry), in order, in one pass over the state: each band of the state
    /// is read and written once for the whole group instead of once per frame. Accumulating is
    /// memory-bound (10 bytes of state per sample, read and written per pass, against 3 bytes of frame),
    /// so a group of two frames halves the traffic that dominates a scan. The bands are spread over every
    /// core. Safe to call from several threads at once (each band is updated under its lock).
    public func add(_ frames: [Image<Sample>]) {
        guard !frames.isEmpty else { return }
        for frame in frames {
            precondition(frame.width == geometry.width && frame.height == geometry.height
                         && frame.channels == geometry.channels, "frame size differs from the accumulator's")
        }
        let bands = bandCounts.count
        let buffers = frames.map { frame in frame.withUnsafeBuffer { $0 } }
        // The images (kept alive by `frames` until the end of this call) hold the samples the buffers see.
        withExtendedLifetime(frames) {
            Parallel.forEachChunk(count: bands, minimumChunk: 1) { chunk in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: (geometry.width * geometry.channels + 16) * buffers.count)
                defer { scratch.deallocate() }
                // Start where another caller is unlikely to be; take free bands first, wait only when all are busy.
                let start = Int.random(in: 0..<chunk.count)
                var pending = (0..<chunk.count).map { chunk.lowerBound + (start + $0) % chunk.count }
                while !pending.isEmpty {
                    var index = pending.firstIndex { bandLocks[$0].wait(timeout: .now()) == .success }
                    if index == nil {
                        bandLocks[pending[0]].wait()
                        index = 0
                    }
                    let band = pending.remove(at: index!)
                    accumulate(buffers, band: band, scratch: scratch)
                    bandLocks[band].signal()
                }
            }
        }
    }

    /// Number of bands of rows the state is split into (see ``add(_:toBand:scratch:)``).
    var bandCount: Int { bandCounts.count }

    /// Applies `frames`, in order, to the rows of `band` only, in one pass, without taking the band's lock: the
    /// caller makes sure that nothing else updates this band meanwhile (``HotPixelScan``'s pipeline hands each
    /// band to one worker at a time). `scratch` holds `(width · channels + 16) · frames.count` values.
    func add(_ frames: [Image<Sample>], toBand band: Int, scratch: UnsafeMutablePointer<Float>) {
        guard !frames.isEmpty else { return }
        for frame in frames {
            precondition(frame.width == geometry.width && frame.height == geometry.height
                         && frame.channels == geometry.channels, "frame size differs from the accumulator's")
        }
        let buffers = frames.map { frame in frame.withUnsafeBuffer { $0 } }
        withExtendedLifetime(frames) { accumulate(buffers, band: band, scratch: scratch) }
    }

    /// Applies `frames` in order to the rows of `band`: per row, the residual rows of every frame into
    /// `scratch` (while the frame rows are in cache), then one fused pass over the state.
    private func accumulate(_ frames: [ImageBuffer<Sample>], band: Int, scratch: UnsafeMutablePointer<Float>) {
        let firstCount = bandCounts[band]
        // A band never filled gets its first statistics written, not updated (the same values).
        let fresh = !bandFilled[band]
        let rowLength = geometry.width * geometry.channels
        let scratchStride = rowLength + 16
        let firstRow = band * bandRows
        let endRow = Swift.min(geometry.height, firstRow + bandRows)
        let group = frames.count
        withUnsafeTemporaryAllocation(of: UnsafePointer<Sample>.self, capacity: group) { rows in
            for y in firstRow..<endRow {
                let offset = y * rowLength
                for (f, frame) in frames.enumerated() {
                    let values = scratch + f * scratchStride
                    rows[f] = frame.rowPointer(y)
                    switch geometry.method {
                    case .residual:
                        LocalMedianResidual.row(frame, y: y, step: geometry.step, into: values)
                    case .variance:
                        let row = rows[f]
                        for index in 0..<rowLength { values[index] = row[index].floatValue }
                    }
                }
                let hasRange = geometry.method == .residual
                HotPixelAccumulator.updateRow(
                    mean: mean.baseAddress! + offset, m2: m2.baseAddress! + offset,
                    minimum: hasRange ? minimum.baseAddress! + offset : nil,
                    maximum: hasRange ? maximum.baseAddress! + offset : nil,
                    observations: UnsafePointer(scratch), observationStride: scratchStride,
                    values: UnsafePointer(rows.baseAddress!), frames: group,
                    firstCount: firstCount, count: rowLength, fresh: fresh)
            }
        }
        bandFilled[band] = true
        bandCounts[band] = firstCount + group
    }

    /// One fused pass over `count` samples of the state for a group of `frames` frames: for every frame in
    /// order, the Welford step of ``Welford/update(mean:m2:values:count:newCount:)`` (same arithmetic, so
    /// the same `Float`s as one frame at a time), and — when `minimum` and `maximum` are given — the range
    /// update with the frame's values. Mean, M2, minimum and maximum stay in registers across the group.
    ///
    /// - Parameters:
    ///   - observations: frame `f`'s Welford inputs start at `observations + f * observationStride`.
    ///   - values: frame `f`'s sample row (for the range) starts at `values[f]`.
    ///   - firstCount: observations before this group; frame `f` makes it `firstCount + f + 1`.
    ///   - fresh: the state holds nothing yet (`firstCount` is 0): start from mean and M2 zero and an empty
    ///     range, the values a fill would have stored, without reading the state.
    @inlinable
    static func updateRow(mean: UnsafeMutablePointer<Float>, m2: UnsafeMutablePointer<Float>,
                          minimum: UnsafeMutablePointer<Sample>?, maximum: UnsafeMutablePointer<Sample>?,
                          observations: UnsafePointer<Float>, observationStride: Int,
                          values: UnsafePointer<UnsafePointer<Sample>>, frames: Int,
                          firstCount: Int, count: Int, fresh: Bool = false) {
        typealias F = SIMD16<Float>
        typealias V = SIMD16<Sample>
        withUnsafeTemporaryAllocation(of: Float.self, capacity: frames) { reciprocals in
            for f in 0..<frames { reciprocals[f] = 1 / Float(firstCount + f + 1) }
            // Written twice by the compiler (the call sites below pass a constant), so that the loops test
            // nothing: a band's first pass stores without loading, every other pass loads and stores.
            @inline(__always) func vectorPart(fresh: Bool) -> Int {
                var index = 0
                let vectorEnd = count & ~15
                if let minimum, let maximum {
                    while index < vectorEnd {
                        var m = fresh ? F() : UnsafeRawPointer(mean + index).loadUnaligned(as: F.self)
                        var s = fresh ? F() : UnsafeRawPointer(m2 + index).loadUnaligned(as: F.self)
                        var low = fresh ? V(repeating: Sample.maximumValue) : UnsafeRawPointer(minimum + index).loadUnaligned(as: V.self)
                        var high = fresh ? V(repeating: Sample.minimumValue) : UnsafeRawPointer(maximum + index).loadUnaligned(as: V.self)
                        for f in 0..<frames {
                            let x = UnsafeRawPointer(observations + (f &* observationStride &+ index)).loadUnaligned(as: F.self)
                            let delta = x - m
                            m = m + delta * F(repeating: reciprocals[f])
                            s = s + delta * (x - m)
                            let v = UnsafeRawPointer(values[f] + index).loadUnaligned(as: V.self)
                            (low, high) = Sample.widenRange(low, high, v)
                        }
                        UnsafeMutableRawPointer(mean + index).storeBytes(of: m, as: F.self)
                        UnsafeMutableRawPointer(m2 + index).storeBytes(of: s, as: F.self)
                        UnsafeMutableRawPointer(minimum + index).storeBytes(of: low, as: V.self)
                        UnsafeMutableRawPointer(maximum + index).storeBytes(of: high, as: V.self)
                        index &+= 16
                    }
                } else {
                    while index < vectorEnd {
                        var m = fresh ? F() : UnsafeRawPointer(mean + index).loadUnaligned(as: F.self)
                        var s = fresh ? F() : UnsafeRawPointer(m2 + index).loadUnaligned(as: F.self)
                        for f in 0..<frames {
                            let x = UnsafeRawPointer(observations + (f &* observationStride &+ index)).loadUnaligned(as: F.self)
                            let delta = x - m
                            m = m + delta * F(repeating: reciprocals[f])
                            s = s + delta * (x - m)
                        }
                        UnsafeMutableRawPointer(mean + index).storeBytes(of: m, as: F.self)
                        UnsafeMutableRawPointer(m2 + index).storeBytes(of: s, as: F.self)
                        index &+= 16
                    }
                }
                return index
            }
            var index = fresh ? vectorPart(fresh: true) : vectorPart(fresh: false)
            while index < count {
                if fresh {
                    mean[index] = 0
                    m2[index] = 0
                    if let minimum, let maximum { (minimum[index], maximum[index]) = (Sample.maximumValue, Sample.minimumValue) }
                }
                for f in 0..<frames {
                    let x = observations[f &* observationStride &+ index]
                    let delta = x - mean[index]
                    mean[index] += delta * reciprocals[f]
                    m2[index] += delta * (x - mean[index])
                    if let minimum, let maximum {
                        let v = values[f][index]
                        minimum[index] = Swift.min(minimum[index], v)
                        maximum[index] = Swift.max(maximum[index], v)
                    }
                }
                index &+= 1
            }
        }
    }

    @inlinable
    static func updateRange(minimum: UnsafeMutablePointer<Sample>, maximum: UnsafeMutablePointer<Sample>,
                            values: UnsafePointer<Sample>, count: Int) {
        typealias V = SIMD16<Sample>
        var index = 0
        while index &+ 16 <= count {
            let v = UnsafeRawPointer(values + index).loadUnaligned(as: V.self)
            let low = UnsafeRawPointer(minimum + index).loadUnaligned(as: V.self)
            let high = UnsafeRawPointer(maximum + index).loadUnaligned(as: V.self)
            let (newLow, newHigh) = Sample.widenRange(low, high, v)
            UnsafeMutableRawPointer(minimum + index).storeBytes(of: newLow, as: V.self)
            UnsafeMutableRawPointer(maximum + index).storeBytes(of: newHigh, as: V.self)
            index &+= 16
        }
        while index < count {
            minimum[index] = Swift.min(minimum[index], values[index])
            maximum[index] = Swift.max(maximum[index], values[index])
            index &+= 1
        }
    }

    /// Adds the statistics of `other` (same geometry, disjoint frames) with Chan et al.'s exact merge.
    /// Not to be called while frames are being added.
    public func merge(_ other: HotPixelAccumulator<Sample>) {
        precondition(other.geometry == geometry, "merging states of different geometry")
        other.fillPending()
        merge(mean: UnsafePointer(other.mean.baseAddress!), m2: UnsafePointer(other.m2.baseAddress!),
              minimum: other.minimum.baseAddress.map { UnsafePointer($0) },
              maximum: other.maximum.baseAddress.map { UnsafePointer($0) }, frameCount: other.frameCount)
    }

    /// Adds statistics held elsewhere — `geometry.sampleCount` means and M2s and, for the residual method,
    /// minima and maxima, of `frameCount` frames — with the same merge: a state file's arrays read in place,
    /// so that merging a received state costs no copy of it. Not to be called while frames are being added.
    public func merge(mean otherMeans: UnsafePointer<Float>, m2 otherM2s: UnsafePointer<Float>,
                      minimum otherMinimum: UnsafePointer<Sample>?, maximum otherMaximum: UnsafePointer<Sample>?,
                      frameCount countB: Int) {
        precondition(geometry.method != .residual || (otherMinimum != nil && otherMaximum != nil),
                     "a residual state needs its range")
        fillPending()
        let countA = frameCount
        let total = mean.count
        // Rows in parallel: the merge is elementwise.
        let chunk = Swift.max(1, geometry.width * geometry.channels)
        let mean = SendablePointer(mean.baseAddress!), m2 = SendablePointer(m2.baseAddress!)
        let otherMean = SendableConstPointer(otherMeans), otherM2 = SendableConstPointer(otherM2s)
        Parallel.forEachChunk(count: (total + chunk - 1) / chunk, minimumChunk: 16) { rows in
            let start = rows.lowerBound * chunk
            let end = Swift.min(total, rows.upperBound * chunk)
            Welford.merge(mean: mean.pointer! + start, m2: m2.pointer! + start, count: countA,
                          otherMean: otherMean.pointer! + start, otherM2: otherM2.pointer! + start,
                          otherCount: countB, streams: end - start)
        }
        if geometry.method == .residual, let otherMinimum, let otherMaximum {
            HotPixelAccumulator.updateRange(minimum: minimum.baseAddress!, maximum: maximum.baseAddress!,
                                            values: otherMinimum, count: minimum.count)
            HotPixelAccumulator.updateRange(minimum: minimum.baseAddress!, maximum: maximum.baseAddress!,
                                            values: otherMaximum, count: maximum.count)
        }
        setFrameCount(countA + countB)
    }
}
