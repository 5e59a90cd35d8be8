/// The four sample types an ``Image`` can hold.
public enum SampleType: String, Sendable, CaseIterable, Codable {
    case uint8, uint16, float32, float64

    /// Bytes per sample.
    public var byteCount: Int {
        switch self {
        case .uint8: 1
        case .uint16: 2
        case .float32: 4
        case .float64: 8
        }
    }

    /// Whether the samples are integers (as opposed to IEEE floats).
    public var isInteger: Bool { self == .uint8 || self == .uint16 }
}

/// A numeric type that can be the sample of an ``Image``: `UInt8`, `UInt16`, `Float` or `Double`.
///
/// Kernels are written once, generically, and specialised by the compiler; the requirements here are
/// the conversions those kernels need without going through `Double` on the hot path where avoidable.
public protocol PixelSample: Numeric, Comparable, Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    /// The runtime tag of this type.
    static var sampleType: SampleType { get }
    /// The smallest and largest representable values (for floats: the finite extremes).
    static var minimumValue: Self { get }
    static var maximumValue: Self { get }
    /// Converts to `Double` exactly (every sample type fits in a `Double` without loss).
    var doubleValue: Double { get }
    /// Converts from `Double`: integers round to nearest (ties away from zero) and clamp to their range,
    /// NaN becomes 0; floats convert as IEEE does.
    init(roundingClamping value: Double)
}

extension UInt8: PixelSample {
    public static var sampleType: SampleType { .uint8 }
    public static var minimumValue: UInt8 { .min }
    public static var maximumValue: UInt8 { .max }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public init(roundingClamping value: Double) {
        self = value.isNaN ? 0 : UInt8(Swift.min(Swift.max(value.rounded(), 0), 255))
    }
}

extension UInt16: PixelSample {
    public static var sampleType: SampleType { .uint16 }
    public static var minimumValue: UInt16 { .min }
    public static var maximumValue: UInt16 { .max }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public init(roundingClamping value: Double) {
        self = value.isNaN ? 0 : UInt16(Swift.min(Swift.max(value.rounded(), 0), 65535))
    }
}

extension Float: PixelSample {
    public static var sampleType: SampleType { .float32 }
    public static var minimumValue: Float { -.greatestFiniteMagnitude }
    public static var maximumValue: Float { .greatestFiniteMagnitude }
    @inlinable public var doubleValue: Double { Double(self) }
    @inlinable public init(roundingClamping value: Double) { self = Float(value) }
}

extension Double: PixelSample {
    public static var sampleType: SampleType { .float64 }
    public static var minimumValue: Double { -.greatestFiniteMagnitude }
    public static var maximumValue: Double { .greatestFiniteMagnitude }
    @inlinable public var doubleValue: Double { self }
    @inlinable public init(roundingClamping value: Double) { self = value }
}
