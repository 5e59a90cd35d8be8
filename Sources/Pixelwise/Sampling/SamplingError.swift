/// Why a set of points cannot be sampled from an image.
public enum SamplingError: Error, Equatable, CustomStringConvertible {
    /// Point number `index` (0-based) lies outside the image.
    case pointOutside(index: Int, x: Double, y: Double, width: Int, height: Int)
    /// Point number `index` has a coordinate that is NaN or infinite.
    case pointNotFinite(index: Int)

    public var description: String {
        switch self {
        case let .pointOutside(index, x, y, width, height):
            "point \(index + 1) (x=\(formatCoordinate(x)), y=\(formatCoordinate(y))) is outside the \(width)×\(height) image (x must be in 0...\(width - 1), y in 0...\(height - 1))"
        case let .pointNotFinite(index):
            "point \(index + 1) has a coordinate that is not a finite number"
        }
    }
}

func formatCoordinate(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
}
