import CPixelwiseABI
import Pixelwise

/// Turning `pw_image` descriptors into ``Image`` views and output buffers over the caller's memory, without
/// copying: the caller keeps ownership, and the views live only for the duration of one call.
enum ImageViews {
    /// The sample type of a `PW_*` code, or a type error naming the argument.
    static func sampleType(_ code: Int32, name: String) throws -> SampleType {
        switch code {
        case PW_UINT8: .uint8
        case PW_UINT16: .uint16
        case PW_FLOAT32: .float32
        case PW_FLOAT64: .float64
        default: throw ABIError.type("\(name): sample type code \(code) is not one of PW_UINT8, PW_UINT16, PW_FLOAT32, PW_FLOAT64")
        }
    }

    /// The `PW_*` code of a sample type.
    static func code(_ type: SampleType) -> Int32 {
        switch type {
        case .uint8: PW_UINT8
        case .uint16: PW_UINT16
        case .float32: PW_FLOAT32
        case .float64: PW_FLOAT64
        }
    }

    /// Checks a descriptor's geometry; returns its sample type and row stride in samples.
    static func check(_ d: pw_image, name: String) throws -> (SampleType, Int) {
        let type = try sampleType(d.sample_type, name: name)
        let width = Int(d.width), height = Int(d.height), channels = Int(d.channels)
        guard width >= 0, height >= 0 else { throw ABIError.value("\(name): size \(width)×\(height) is negative") }
        guard (1...Image<UInt8>.maximumChannels).contains(channels) else {
            throw ABIError.type("\(name): \(channels) channels; images have 1 to 4")
        }
        let size = type.byteCount
        let rowBytes = width.multipliedReportingOverflow(by: channels * size)
        guard !rowBytes.overflow, !height.multipliedReportingOverflow(by: rowBytes.partialValue).overflow else {
            throw ABIError.value("\(name): size \(width)×\(height)×\(channels) is too large")
        }
        let stride = Int(d.row_stride)
        guard stride >= rowBytes.partialValue || height <= 1 else {
            throw ABIError.value("\(name): row stride \(stride) bytes is shorter than a row (\(rowBytes.partialValue) bytes)")
        }
        // The bytes the rows span: (height - 1) × stride + one row, computed without trapping on overflow.
        if height > 1 {
            let span = (height - 1).multipliedReportingOverflow(by: stride)
            guard !span.overflow, !span.partialValue.addingReportingOverflow(rowBytes.partialValue).overflow else {
                throw ABIError.value("\(name): row stride \(stride) bytes × \(height) rows is too large")
            }
        }
        guard stride % size == 0 else {
            throw ABIError.value("\(name): row stride \(stride) bytes is not a multiple of the \(size)-byte sample")
        }
        if width > 0 && height > 0 {
            guard let data = d.data else { throw ABIError.value("\(name): data is NULL") }
            guard Int(bitPattern: data) % size == 0 else {
                throw ABIError.value("\(name): data is not aligned to its \(size)-byte samples")
            }
        }
        return (type, Swift.max(stride / size, width * channels))
    }

    /// A read-only view of the caller's image (no copy).
    static func input(_ pointer: UnsafePointer<pw_image>?, name: String) throws -> AnyImage {
        let d = try required(pointer, name: name).pointee
        let (type, stride) = try check(d, name: name)
        switch type {
        case .uint8: return .uint8(view(d, stride: stride, as: UInt8.self))
        case .uint16: return .uint16(view(d, stride: stride, as: UInt16.self))
        case .float32: return .float32(view(d, stride: stride, as: Float.self))
        case .float64: return .float64(view(d, stride: stride, as: Double.self))
        }
    }

    /// A writable image over the caller's memory: kernels that work in place (defect repair) change the
    /// caller's pixels, since the storage is uniquely referenced and writable, so copy-on-write never copies.
    static func inPlace(_ pointer: UnsafePointer<pw_image>?, name: String) throws -> AnyImage {
        let d = try required(pointer, name: name).pointee
        let (type, stride) = try check(d, name: name)
        switch type {
        case .uint8: return .uint8(view(d, stride: stride, as: UInt8.self, writable: true))
        case .uint16: return .uint16(view(d, stride: stride, as: UInt16.self, writable: true))
        case .float32: return .float32(view(d, stride: stride, as: Float.self, writable: true))
        case .float64: return .float64(view(d, stride: stride, as: Double.self, writable: true))
        }
    }

    static func view<S: PixelSample>(_ d: pw_image, stride: Int, as: S.Type, writable: Bool = false) -> Image<S> {
        let width = Int(d.width), height = Int(d.height), channels = Int(d.channels)
        guard width > 0, height > 0, let data = d.data else {
            return Image(width: width, height: height, channels: channels)
        }
        let count = (height - 1) * stride + width * channels
        let storage = PixelStorage(adopting: data.assumingMemoryBound(to: S.self), count: count,
                                   isWritable: writable, release: {})
        return Image(storage: storage, width: width, height: height, channels: channels, rowStride: stride)
    }

    /// The caller's output memory, checked to have the expected geometry and sample type.
    static func output(_ pointer: UnsafePointer<pw_image>?, name: String, width: Int, height: Int, channels: Int,
                       types: [SampleType]) throws -> AnyMutableImageBuffer {
        let d = try required(pointer, name: name).pointee
        let (type, stride) = try check(d, name: name)
        guard Int(d.width) == width, Int(d.height) == height, Int(d.channels) == channels else {
            throw ABIError.value("\(name): is \(d.width)×\(d.height)×\(d.channels), expected \(width)×\(height)×\(channels)")
        }
        guard types.contains(type) else {
            throw ABIError.type("\(name): sample type \(type.rawValue), expected " + types.map(\.rawValue).joined(separator: " or "))
        }
        switch type {
        case .uint8: return .uint8(buffer(d, stride: stride))
        case .uint16: return .uint16(buffer(d, stride: stride))
        case .float32: return .float32(buffer(d, stride: stride))
        case .float64: return .float64(buffer(d, stride: stride))
        }
    }

    static func buffer<S: PixelSample>(_ d: pw_image, stride: Int) -> MutableImageBuffer<S> {
        // An empty output is never written; any aligned non-null address serves.
        let base = d.data?.assumingMemoryBound(to: S.self) ?? UnsafeMutablePointer(bitPattern: MemoryLayout<S>.alignment)!
        return MutableImageBuffer(base: base, width: Int(d.width), height: Int(d.height), channels: Int(d.channels),
                                  rowStride: stride)
    }

    /// Fills a descriptor for an image the library owns (a decoded file).
    static func describe<S: PixelSample>(_ image: Image<S>, into d: UnsafeMutablePointer<pw_image>) {
        image.withUnsafeBuffer { buffer in
            d.pointee = pw_image(data: UnsafeMutableRawPointer(mutating: buffer.base), width: Int64(image.width),
                                 height: Int64(image.height), channels: Int64(image.channels),
                                 row_stride: Int64(image.rowStride * MemoryLayout<S>.stride),
                                 sample_type: code(S.sampleType))
        }
    }
}
