/// What can go wrong when quantizing: each message is one line saying what is wrong and what to do.
public enum QuantizationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The image has no pixel.
    case emptyImage(width: Int, height: Int)
    /// The image has more than one channel and no channel was chosen.
    case notSingleChannel(channels: Int)
    /// A NaN sample, at the first position found.
    case notANumber(x: Int, y: Int)
    /// An infinite sample (clustering needs finite values; given centres accept infinities).
    case infiniteValue(Double)
    /// Given centres that are unusable.
    case invalidCenters(String)
    /// A K outside what the outputs can hold.
    case invalidK(String)

    public var description: String {
        switch self {
        case let .emptyImage(width, height):
            "the image is empty (\(width)×\(height)); there is nothing to quantize"
        case let .notSingleChannel(channels):
            "the image has \(channels) channels; quantize one at a time with --channel N (0-based) or convert it to grey first"
        case let .notANumber(x, y):
            "the image contains NaN (first at x=\(x), y=\(y)); NaN has no nearest level — replace NaNs first (e.g. numpy.nan_to_num)"
        case let .infiniteValue(value):
            "the image contains \(value > 0 ? "+" : "")\(value); k-means needs finite values — clip them first, or give --centers"
        case let .invalidCenters(detail):
            "--centers: \(detail)"
        case let .invalidK(detail):
            "-k: \(detail)"
        }
    }
}
