import Foundation
import Pixelwise

/// Reading one frame for a scan: an image file, a CFA mosaic, or a camera RAW file's sensor mosaic.
///
/// A camera RAW file brings its own CFA pattern; the first one read becomes the scan's pattern (unless
/// --cfa gave one) and every later RAW frame must agree.
public final class HotPixelsFrameReader: @unchecked Sendable {
    private let lock = NSLock()
    private var pattern: CFAPattern?
    private let options: ImageReadOptions

    /// A reader for frames of a scan with pattern `cfa` (nil: taken from the first camera RAW frame, if any).
    public init(cfa: CFAPattern?, options: ImageReadOptions) {
        pattern = cfa
        self.options = options
    }

    /// The scan's CFA pattern: from --cfa, or from the first camera RAW frame read.
    public var cfa: CFAPattern? {
        lock.lock()
        defer { lock.unlock() }
        return pattern
    }

    /// Reads the frame at `path`; a JPEG frame is decoded into the memory of `reusable`, a frame the
    /// caller no longer needs, when it fits.
    public func read(_ path: String, reusing reusable: AnyImage? = nil) throws -> AnyImage {
        if CameraRaw.hasRawExtension(path) || (try? ImageFile.format(of: path)) == .raw {
            let (image, name) = try CameraRaw.readMosaic(path, options: options)
            guard let found = CFAPattern(name: name) else {
                throw HotPixelsFrameError(path: path, detail: "unsupported CFA pattern \(name)")
            }
            lock.lock()
            defer { lock.unlock() }
            if pattern == nil { pattern = found }
            guard found == pattern else {
                throw HotPixelsFrameError(path: path, detail: "CFA pattern \(found.rawValue) differs from the scan's \(pattern!.rawValue)")
            }
            return .uint16(image)
        }
        let image = try ImageFile.read(path, options: options, reusing: reusable)
        if cfa != nil, image.channels != 1 {
            throw HotPixelsFrameError(path: path, detail: "has \(image.channels) channels; --cfa needs a one-channel mosaic")
        }
        return image
    }
}

/// A frame that cannot join a scan, naming the file.
public struct HotPixelsFrameError: Error, CustomStringConvertible {
    public let path: String
    public let detail: String
    public init(path: String, detail: String) {
        self.path = path
        self.detail = detail
    }
    public var description: String { "\(path): \(detail)" }
}
