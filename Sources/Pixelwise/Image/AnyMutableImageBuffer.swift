/// Write access to samples of a type known only at run time: memory a caller provides for a job's output
/// (an array from Python, a file's memory map). Valid only while that memory is.
public enum AnyMutableImageBuffer: @unchecked Sendable {
    case uint8(MutableImageBuffer<UInt8>)
    case uint16(MutableImageBuffer<UInt16>)
    case float32(MutableImageBuffer<Float>)
    case float64(MutableImageBuffer<Double>)

    /// Wraps a typed buffer.
    public init<S: PixelSample>(_ buffer: MutableImageBuffer<S>) {
        switch buffer {
        case let b as MutableImageBuffer<UInt8>: self = .uint8(b)
        case let b as MutableImageBuffer<UInt16>: self = .uint16(b)
        case let b as MutableImageBuffer<Float>: self = .float32(b)
        case let b as MutableImageBuffer<Double>: self = .float64(b)
        default: fatalError("unreachable: PixelSample has exactly four conforming types")
        }
    }

    /// The samples' type.
    public var sampleType: SampleType {
        switch self {
        case .uint8: .uint8
        case .uint16: .uint16
        case .float32: .float32
        case .float64: .float64
        }
    }

    /// The typed buffer if its samples are `S`.
    public func typed<S: PixelSample>(as: S.Type = S.self) -> MutableImageBuffer<S>? {
        switch self {
        case .uint8(let b): b as? MutableImageBuffer<S>
        case .uint16(let b): b as? MutableImageBuffer<S>
        case .float32(let b): b as? MutableImageBuffer<S>
        case .float64(let b): b as? MutableImageBuffer<S>
        }
    }
}
