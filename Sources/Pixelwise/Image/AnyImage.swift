/// An image whose sample type is known only at run time: what decoders return and encoders take.
public enum AnyImage: Sendable, Equatable {
    case uint8(Image<UInt8>)
    case uint16(Image<UInt16>)
    case float32(Image<Float>)
    case float64(Image<Double>)

    /// Wraps a typed image.
    public init<S: PixelSample>(_ image: Image<S>) {
        switch image {
        case let i as Image<UInt8>: self = .uint8(i)
        case let i as Image<UInt16>: self = .uint16(i)
        case let i as Image<Float>: self = .float32(i)
        case let i as Image<Double>: self = .float64(i)
        default: fatalError("unreachable: PixelSample has exactly four conforming types")
        }
    }

    public var width: Int { apply(GeometryOf()).width }
    public var height: Int { apply(GeometryOf()).height }
    public var channels: Int { apply(GeometryOf()).channels }
    public var isEmpty: Bool { width == 0 || height == 0 }

    public var sampleType: SampleType {
        switch self {
        case .uint8: .uint8
        case .uint16: .uint16
        case .float32: .float32
        case .float64: .float64
        }
    }

    /// Runs a generic operation on the typed image inside.
    @inlinable public func apply<Operation: ImageOperation>(_ operation: Operation) throws(Operation.Failure) -> Operation.Result {
        switch self {
        case .uint8(let image): try operation(image)
        case .uint16(let image): try operation(image)
        case .float32(let image): try operation(image)
        case .float64(let image): try operation(image)
        }
    }

    /// The typed image if its samples are `S`.
    public func typed<S: PixelSample>(as: S.Type = S.self) -> Image<S>? {
        switch self {
        case .uint8(let image): image as? Image<S>
        case .uint16(let image): image as? Image<S>
        case .float32(let image): image as? Image<S>
        case .float64(let image): image as? Image<S>
        }
    }

    /// A zero-copy view of a rectangle.
    public func region(x: Int, y: Int, width: Int, height: Int) -> AnyImage {
        apply(RegionOf(x: x, y: y, width: width, height: height))
    }
}

/// An operation generic over the sample type, applied to an ``AnyImage`` with ``AnyImage/apply(_:)``:
/// Swift has no generic closures, so this is how the CLI runs one kernel on whichever type a file holds.
public protocol ImageOperation {
    associatedtype Result
    /// `Never` for operations that cannot fail, so that `apply` needs no `try`.
    associatedtype Failure: Error = any Error
    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws(Failure) -> Result
}

private struct GeometryOf: ImageOperation {
    typealias Failure = Never
    func callAsFunction<S: PixelSample>(_ image: Image<S>) -> (width: Int, height: Int, channels: Int) {
        (image.width, image.height, image.channels)
    }
}

private struct RegionOf: ImageOperation {
    typealias Failure = Never
    let x, y, width, height: Int
    func callAsFunction<S: PixelSample>(_ image: Image<S>) -> AnyImage {
        AnyImage(image.region(x: x, y: y, width: width, height: height))
    }
}
