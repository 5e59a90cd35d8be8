/// Why a variable blur cannot run. Every message is one line naming what is wrong, so the CLI prints it as is;
/// `source` names the image, map or mask (a file path in the CLI).
public enum BlurError: Error, Equatable, CustomStringConvertible {
    /// The image has no pixel.
    case emptyImage(source: String)
    /// The radius map (or mask) is not the image's size.
    case sizeMismatch(source: String, width: Int, height: Int, imageWidth: Int, imageHeight: Int)
    /// A radius map needs one value per pixel.
    case notOneChannel(source: String, channels: Int)
    /// A radius (or σ) that is negative, NaN or infinite.
    case invalidRadius(source: String, x: Int, y: Int, value: Double)
    /// A distance mask with no nonzero pixel: every distance would be infinite.
    case noRegionPixel(source: String)
    /// A scalar parameter out of range (`--per-pixel`, `--max-radius`).
    case invalidParameter(name: String, value: Double, requirement: String)

    public var description: String {
        switch self {
        case let .emptyImage(source): "\(source): the image is empty (no pixel to blur)"
        case let .sizeMismatch(source, w, h, iw, ih):
            "\(source): is \(w)×\(h) but the image is \(iw)×\(ih); they must be the same size"
        case let .notOneChannel(source, channels):
            "\(source): has \(channels) channels; a radius map has one value per pixel"
        case let .invalidRadius(source, x, y, value):
            "\(source): radius \(value) at (x \(x), y \(y)) is \(value.isNaN ? "NaN" : value.isInfinite ? "infinite" : "negative"); radii must be finite and ≥ 0"
        case let .noRegionPixel(source):
            "\(source): the mask has no nonzero (region) pixel, so there is no distance to measure"
        case let .invalidParameter(name, value, requirement): "\(name) \(value): \(requirement)"
        }
    }
}
