import Foundation
import Pixelwise

/// A hot-pixel scan as a library user drives it: frames added one at a time (arrays) or as files decoded on
/// every core, shards merged exactly, the state saved as the bytes of a state file, and detection at any point.
///
/// The geometry may be fixed up front (width, height, channels) or taken from the first frame; the sample
/// type always comes from the first frame. Not for concurrent use by several threads.
public final class HotPixelScanner: @unchecked Sendable {
    /// The statistics so far; nil before the first frame.
    public private(set) var state: AnyHotPixelAccumulator?
    /// The names of the frames accumulated, in order (paths; `<array N>` for frames added as arrays).
    public private(set) var frames: [String] = []
    /// Width, height and channels asked for (0: from the first frame).
    public let requestedWidth: Int, requestedHeight: Int, requestedChannels: Int
    /// The CFA pattern (nil: demosaiced images, or taken from the first camera RAW file).
    public private(set) var cfa: CFAPattern?
    /// The detection method.
    public let method: HotPixelMethod

    /// An empty scan; width, height and channels 0 mean "from the first frame".
    public init(width: Int = 0, height: Int = 0, channels: Int = 0, cfa: CFAPattern? = nil, method: HotPixelMethod = .residual) {
        requestedWidth = width
        requestedHeight = height
        requestedChannels = channels
        self.cfa = cfa
        self.method = method
    }

    /// A scan continuing saved statistics.
    public init(_ contents: HotPixelStateFile.Contents) {
        let g = contents.state.geometry
        state = contents.state
        frames = contents.frames
        requestedWidth = g.width
        requestedHeight = g.height
        requestedChannels = g.channels
        cfa = g.cfa
        method = g.method
    }

    /// Frames accumulated.
    public var frameCount: Int { state?.frameCount ?? 0 }

    /// Why `image` cannot join the scan, or nil.
    public func mismatch(_ image: AnyImage) -> String? {
        if let state { return state.mismatch(image) }
        if requestedWidth > 0, image.width != requestedWidth || image.height != requestedHeight {
            return "size \(image.width)×\(image.height) differs from the scan's \(requestedWidth)×\(requestedHeight)"
        }
        if requestedChannels > 0, image.channels != requestedChannels {
            return "\(image.channels) channels differ from the scan's \(requestedChannels)"
        }
        if cfa != nil, image.channels != 1 { return "has \(image.channels) channels; a CFA mosaic has one" }
        if image.isEmpty { return "is empty (\(image.width)×\(image.height))" }
        return nil
    }

    /// Adds one frame; throws (changing nothing) when it does not match.
    public func add(_ image: AnyImage, name: String? = nil) throws {
        if let reason = mismatch(image) { throw HotPixelScanError.frameMismatch(name: name ?? "frame", reason: reason) }
        let accumulator = state ?? AnyHotPixelAccumulator(geometry: geometry(of: image))
        accumulator.add(image)
        state = accumulator
        frames.append(name ?? "<array \(frames.count)>")
    }

    private func geometry(of image: AnyImage) -> HotPixelGeometry {
        HotPixelGeometry(width: image.width, height: image.height, channels: image.channels,
                         sampleType: image.sampleType, cfa: cfa, method: method)
    }

    /// Decodes `paths` on every core and adds them in order (the CLI's scan pipeline: one decoded frame per
    /// core). Unreadable or mismatched files are skipped and returned with the reason; throws only when no
    /// frame could be added to an empty scan.
    @discardableResult
    public func addFiles(_ paths: [String], options: ImageReadOptions = .init(),
                         progress: @Sendable () -> Void = {}) throws -> [(path: String, reason: String)] {
        let reader = HotPixelsFrameReader(cfa: cfa, options: options)
        let expected = (requestedWidth, requestedHeight, requestedChannels)
        let current = state
        let load: @Sendable (Int, AnyImage?) throws -> AnyImage = { index, reusable in
            let image = try reader.read(paths[index], reusing: reusable)
            if current == nil {
                if expected.0 > 0, image.width != expected.0 || image.height != expected.1 {
                    throw HotPixelsFrameError(path: paths[index], detail: "size \(image.width)×\(image.height) differs from the scan's \(expected.0)×\(expected.1)")
                }
                if expected.2 > 0, image.channels != expected.2 {
                    throw HotPixelsFrameError(path: paths[index], detail: "\(image.channels) channels differ from the scan's \(expected.2)")
                }
            }
            return image
        }
        let (result, skippedFrames) = try HotPixelScan.run(
            frameCount: paths.count, accumulator: state,
            geometry: { image in
                HotPixelGeometry(width: image.width, height: image.height, channels: image.channels,
                                 sampleType: image.sampleType, cfa: reader.cfa, method: self.method)
            },
            load: load, progress: progress)
        if cfa == nil { cfa = result?.geometry.cfa }
        let skipped = skippedFrames.map { s -> (path: String, reason: String) in
            // Reader errors start with the file's name; the list names it separately.
            let prefix = paths[s.index] + ": "
            return (paths[s.index], s.reason.hasPrefix(prefix) ? String(s.reason.dropFirst(prefix.count)) : s.reason)
        }
        guard let result else {
            throw HotPixelScanError.noUsableFrame(count: paths.count, first: skipped.first.map { "\($0.path): \($0.reason)" })
        }
        state = result
        let skippedIndices = Set(skippedFrames.map(\.index))
        frames += paths.indices.filter { !skippedIndices.contains($0) }.map { paths[$0] }
        return skipped
    }

    /// Merges `other` exactly (Chan et al.): the same geometry, sample type, CFA and method.
    public func merge(_ other: HotPixelScanner) throws {
        guard let theirs = other.state else { return }
        guard let mine = state else {
            if let reason = mismatchOfGeometry(theirs.geometry) { throw HotPixelScanError.stateMismatch(reason) }
            let copy = AnyHotPixelAccumulator(geometry: theirs.geometry)
            copy.merge(theirs)
            state = copy
            frames = other.frames
            cfa = theirs.geometry.cfa
            return
        }
        guard mine.geometry == theirs.geometry else {
            throw HotPixelScanError.stateMismatch("the other scan is \(theirs.geometry), this one \(mine.geometry)")
        }
        mine.merge(theirs)
        frames += other.frames
    }

    /// Merges a state given as state-file bytes (checked as ``HotPixelStateFile/decode(_:name:)`` checks
    /// them), reading its arrays in place: a received state of hundreds of MB is merged without being copied.
    /// `earlier`: its frames come before this scan's (they are listed first).
    public func merge(encoded bytes: UnsafeRawBufferPointer, name: String, earlier: Bool = false) throws {
        guard let mine = state else {
            let contents = try HotPixelStateFile.decode(bytes, name: name)
            if let reason = mismatchOfGeometry(contents.state.geometry) { throw HotPixelScanError.stateMismatch(reason) }
            state = contents.state
            frames = contents.frames
            cfa = contents.state.geometry.cfa
            return
        }
        let theirs: [String]
        do {
            theirs = try HotPixelStateFile.merge(bytes, name: name, into: mine)
        } catch .mismatch(_, let expected, let found) {
            throw HotPixelScanError.stateMismatch("the other scan is \(found), this one \(expected)")
        }
        frames = earlier ? theirs + frames : frames + theirs
    }

    private func mismatchOfGeometry(_ g: HotPixelGeometry) -> String? {
        if requestedWidth > 0, g.width != requestedWidth || g.height != requestedHeight {
            return "the other scan is \(g.width)×\(g.height), this one \(requestedWidth)×\(requestedHeight)"
        }
        if requestedChannels > 0, g.channels != requestedChannels {
            return "the other scan has \(g.channels) channels, this one \(requestedChannels)"
        }
        if g.method != method { return "the other scan used method \(g.method.rawValue), this one \(method.rawValue)" }
        if let cfa, g.cfa != cfa { return "the other scan's CFA pattern differs from this one's \(cfa.rawValue)" }
        return nil
    }

    /// The size of the state's bytes (a state file's, ``HotPixelStateFile``); throws for an empty scan.
    public func encodedSize() throws -> Int {
        guard let state else { throw HotPixelScanError.empty }
        return HotPixelStateFile.encodedSize(state, frames: frames)
    }

    /// Writes the state's bytes into `buffer`, exactly ``encodedSize()`` of them; throws for an empty scan.
    public func encode(into buffer: UnsafeMutableRawBufferPointer) throws {
        guard let state else { throw HotPixelScanError.empty }
        HotPixelStateFile.encode(state, frames: frames, into: buffer)
    }

    /// Runs the detector (see ``AnyHotPixelAccumulator/detect(_:scoreMap:)``); throws for an empty scan.
    public func detect(threshold: Double = HotPixelDetectionParameters.defaultThreshold, top: Int = 100,
                       suppressionRadius: Int? = nil, findFlickering: Bool = false) throws -> HotPixelDetection {
        guard let state else { throw HotPixelScanError.empty }
        guard threshold.isFinite, threshold > 0 else { throw HotPixelScanError.invalidParameter("threshold \(threshold): must be a positive number") }
        guard top >= 1 else { throw HotPixelScanError.invalidParameter("top \(top): must be at least 1") }
        if let suppressionRadius, suppressionRadius < 0 {
            throw HotPixelScanError.invalidParameter("suppression_radius \(suppressionRadius): must be 0 or more")
        }
        let g = state.geometry
        let parameters = HotPixelDetectionParameters(threshold: threshold, top: top,
                                                     suppressionRadius: suppressionRadius ?? (g.cfa == nil ? 4 : 1),
                                                     findFlickering: findFlickering)
        return state.detect(parameters)
    }
}

/// Why a scan operation cannot be done. One line each.
public enum HotPixelScanError: Error, Equatable, CustomStringConvertible {
    case frameMismatch(name: String, reason: String)
    case noUsableFrame(count: Int, first: String?)
    case stateMismatch(String)
    case empty
    case invalidParameter(String)

    public var description: String {
        switch self {
        case let .frameMismatch(name, reason): "\(name): \(reason)"
        case let .noUsableFrame(count, first):
            "scan: none of the \(count) frames could be read" + (first.map { " (first: \($0))" } ?? "")
        case let .stateMismatch(reason): "merge: \(reason)"
        case .empty: "scan: no frame has been added yet"
        case let .invalidParameter(text): text
        }
    }
}
