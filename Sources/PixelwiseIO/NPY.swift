import Foundation
import Pixelwise

/// NumPy's `.npy` format, versions 1–3, read and written here (it is a 10-line header and raw data).
///
/// Reading maps the file: a C-order array in native byte order is used in place, with no copy, which
/// is what makes sampling a few points from a 675 MB image cheap. Other byte orders are swapped into
/// memory. Fortran order is refused with a message saying how to convert.
public enum NPY {
    /// The element type of an array, from its `descr`.
    public struct DataType: Sendable, Equatable, CustomStringConvertible {
        /// numpy's type character.
        public enum Kind: Character, Sendable { case bool = "b", int = "i", uint = "u", float = "f" }
        /// Boolean, signed, unsigned or floating point.
        public var kind: Kind
        /// Bytes per element.
        public var size: Int
        /// Byte order (`>` in the descriptor).
        public var isBigEndian: Bool

        /// An element type from its parts.
        public init(kind: Kind, size: Int, isBigEndian: Bool = false) {
            self.kind = kind
            self.size = size
            self.isBigEndian = isBigEndian
        }

        /// Parses a descr such as `<u2`, `|u1`, `>f8`.
        init?(descr: String) {
            let chars = Array(descr)
            guard chars.count >= 3, let kind = Kind(rawValue: chars[1]), let size = Int(String(chars[2...])),
                  [1, 2, 4, 8].contains(size) else { return nil }
            switch chars[0] {
            case "<", "|", "=": isBigEndian = false
            case ">": isBigEndian = size > 1
            default: return nil
            }
            if kind == .float && size < 4 { return nil }
            self.kind = kind
            self.size = size
        }

        /// The descr numpy writes for this type (little-endian).
        public var descr: String { "\(size == 1 ? "|" : "<")\(kind.rawValue)\(size)" }
        public var description: String {
            switch kind {
            case .bool: "bool"
            case .int: "int\(size * 8)"
            case .uint: "uint\(size * 8)"
            case .float: "float\(size * 8)"
            }
        }

        /// The type of one of our sample types.
        public init(_ sampleType: SampleType) {
            switch sampleType {
            case .uint8: self.init(kind: .uint, size: 1)
            case .uint16: self.init(kind: .uint, size: 2)
            case .float32: self.init(kind: .float, size: 4)
            case .float64: self.init(kind: .float, size: 8)
            }
        }

        /// The sample type an image of this element type is read as: its own when it is one of ours, else
        /// the smallest float type that holds every value exactly: int8 and int16 → float32, int32 and
        /// uint32 → float64 (int64/uint64 do not fit and are refused).
        public var imageSampleType: SampleType? {
            switch (kind, size) {
            case (.int, 1), (.int, 2): .float32
            case (.int, 4), (.uint, 4): .float64
            default: sampleType
            }
        }

        /// Our sample type for this element type, if it is one.
        public var sampleType: SampleType? {
            switch (kind, size) {
            case (.uint, 1): .uint8
            case (.uint, 2): .uint16
            case (.float, 4): .float32
            case (.float, 8): .float64
            default: nil
            }
        }
    }

    /// An array in a mapped `.npy` file.
    public struct MappedArray: @unchecked Sendable {
        /// The array's shape, as in the header.
        public let shape: [Int]
        /// The element type.
        public let dataType: DataType
        public let path: String
        let file: MappedFile
        let dataOffset: Int

        /// Number of elements (product of the shape).
        public var count: Int { shape.reduce(1, *) }

        /// The raw element bytes.
        public var data: UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(file.bytes)[dataOffset..<(dataOffset + count * dataType.size)])
        }

        /// Calls `body` with the elements as `T` in place when the array is native-endian, aligned and of
        /// type `T`; returns nil otherwise.
        public func withNativeElements<T, R>(as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R? {
            guard !dataType.isBigEndian, MemoryLayout<T>.size == dataType.size,
                  Int(bitPattern: data.baseAddress) % MemoryLayout<T>.alignment == 0 else { return nil }
            return try body(data.bindMemory(to: T.self))
        }

        /// Element `index` converted to `Double` (any kind, any byte order).
        @inline(__always) public func double(at index: Int) -> Double {
            let raw = data.baseAddress! + index * dataType.size
            switch (dataType.kind, dataType.size) {
            case (.bool, _), (.uint, 1): return Double(raw.load(as: UInt8.self))
            case (.int, 1): return Double(raw.load(as: Int8.self))
            case (.uint, 2): return Double(swapped(raw.loadUnaligned(as: UInt16.self)))
            case (.int, 2): return Double(Int16(bitPattern: swapped(raw.loadUnaligned(as: UInt16.self))))
            case (.uint, 4): return Double(swapped(raw.loadUnaligned(as: UInt32.self)))
            case (.int, 4): return Double(Int32(bitPattern: swapped(raw.loadUnaligned(as: UInt32.self))))
            case (.uint, 8): return Double(swapped(raw.loadUnaligned(as: UInt64.self)))
            case (.int, 8): return Double(Int64(bitPattern: swapped(raw.loadUnaligned(as: UInt64.self))))
            case (.float, 4): return Double(Float(bitPattern: swapped(raw.loadUnaligned(as: UInt32.self))))
            default: return Double(bitPattern: swapped(raw.loadUnaligned(as: UInt64.self)))
            }
        }

        /// Element `index` as an integer, or nil for a float element that is not a whole number in range.
        @inline(__always) public func integer(at index: Int) -> Int? {
            let raw = data.baseAddress! + index * dataType.size
            switch (dataType.kind, dataType.size) {
            case (.uint, 8): let v = swapped(raw.loadUnaligned(as: UInt64.self)); return v <= UInt64(Int.max) ? Int(v) : nil
            case (.int, 8): return Int(Int64(bitPattern: swapped(raw.loadUnaligned(as: UInt64.self))))
            case (.float, _):
                let v = double(at: index)
                return v == v.rounded() && v.magnitude < 9e18 ? Int(v) : nil
            default: return Int(double(at: index))
            }
        }

        /// Every element as `Double`.
        public func doubles() -> [Double] {
            if let copy = withNativeElements(as: Double.self, { Swift.Array($0) }), dataType.kind == .float { return copy }
            return (0..<count).map { double(at: $0) }
        }

        @inline(__always) private func swapped<T: FixedWidthInteger>(_ value: T) -> T {
            dataType.isBigEndian ? value.byteSwapped : value
        }

        /// The array as an image: shape (H, W) is one channel, (H, W, C) is C channels (1–4);
        /// uint8, uint16, float32 or float64.
        public func image(options: ImageReadOptions = .init()) throws -> AnyImage {
            let height: Int, width: Int, channels: Int
            switch shape.count {
            case 2: (height, width, channels) = (shape[0], shape[1], 1)
            case 3: (height, width, channels) = (shape[0], shape[1], shape[2])
            default:
                throw ImageFileError.unsupported(path: path, detail: "a \(shape.count)-D array of shape \(shapeText); an image is H×W or H×W×C")
            }
            guard (1...4).contains(channels) else {
                throw ImageFileError.unsupported(path: path, detail: "\(channels) channels (shape \(shapeText)); images have 1 to 4")
            }
            try requirePixels(width: width, height: height)
            guard let sampleType = dataType.imageSampleType else {
                throw ImageFileError.unsupported(path: path, detail: "sample type \(dataType) (images are uint8, uint16, float32 or float64; int8/int16/int32/uint32 are read as floats)")
            }
            try options.checkPixelCount(width: width, height: height, path: path)
            if dataType.sampleType == nil {
                // Signed or 32-bit integers: converted exactly to float32 or float64, element by element.
                return try Codecs.makeImage(sampleType, width: width, height: height, channels: channels, path: path) { target in
                    if sampleType == .float32 {
                        let out = target.base.assumingMemoryBound(to: Float.self)
                        for index in 0..<count { out[index] = Float(double(at: index)) }
                    } else {
                        let out = target.base.assumingMemoryBound(to: Double.self)
                        for index in 0..<count { out[index] = double(at: index) }
                    }
                }
            }
            switch sampleType {
            case .uint8: return .uint8(try typedImage(width: width, height: height, channels: channels, options: options))
            case .uint16: return .uint16(try typedImage(width: width, height: height, channels: channels, options: options))
            case .float32: return .float32(try typedImage(width: width, height: height, channels: channels, options: options))
            case .float64: return .float64(try typedImage(width: width, height: height, channels: channels, options: options))
            }
        }

        /// Whether ``image(options:)`` uses the file's memory map as the image's samples (no copy, no memory
        /// beyond the page cache): native sample types in little-endian order, aligned, when mapping is allowed.
        public func readsInPlace(options: ImageReadOptions) -> Bool {
            guard options.allowMemoryMap, let type = dataType.sampleType, !dataType.isBigEndian else { return false }
            return Int(bitPattern: data.baseAddress) % type.byteCount == 0
        }

        private func typedImage<S: PixelSample>(width: Int, height: Int, channels: Int,
                                                options: ImageReadOptions) throws -> Image<S> {
            let count = self.count
            let base = data.baseAddress!
            if readsInPlace(options: options) {
                let file = self.file
                let storage = PixelStorage<S>(
                    adopting: UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: S.self),
                    count: count, isWritable: true, release: { withExtendedLifetime(file) {} })
                return Image(storage: storage, width: width, height: height, channels: channels)
            }
            var image = Image<S>(uninitializedWidth: width, height: height, channels: channels)
            image.withUnsafeMutableBuffer { target in
                let out = UnsafeMutableRawPointer(target.base)
                out.copyMemory(from: base, byteCount: count * dataType.size)
                if dataType.isBigEndian {
                    switch dataType.size {
                    case 2: let p = out.assumingMemoryBound(to: UInt16.self); for i in 0..<count { p[i] = p[i].byteSwapped }
                    case 4: let p = out.assumingMemoryBound(to: UInt32.self); for i in 0..<count { p[i] = p[i].byteSwapped }
                    case 8: let p = out.assumingMemoryBound(to: UInt64.self); for i in 0..<count { p[i] = p[i].byteSwapped }
                    default: break
                    }
                }
            }
            return image
        }

        var shapeText: String { "(" + shape.map(String.init).joined(separator: ", ") + ")" }

        /// An image has at least one pixel: an empty array is refused, however large its other side (found by
        /// fuzzing: shape (9999999999911, 0, 3) passed every size check, having no pixel, and every row loop
        /// then ran 10¹³ times).
        func requirePixels(width: Int, height: Int) throws {
            guard width > 0, height > 0 else {
                throw ImageFileError.unsupported(path: path, detail: "the image is empty: an array of shape \(shapeText) has no pixel")
            }
        }
    }

    /// Maps and parses a `.npy` file.
    public static func open(_ path: String) throws -> MappedArray {
        let file = try MappedFile(path: path)
        let bytes = UnsafeRawBufferPointer(file.bytes)
        func corrupt(_ detail: String) -> ImageFileError { .corrupt(path: path, format: .npy, detail: detail) }
        guard bytes.count >= 10, bytes.prefix(6).elementsEqual([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) else {
            throw bytes.count < 10 ? ImageFileError.truncated(path: path, format: .npy) : corrupt("no NPY signature")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw ImageFileError.truncated(path: path, format: .npy) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default: throw corrupt("format version \(major) (we read 1 to 3)")
        }
        guard bytes.count >= headerStart + headerLength else { throw ImageFileError.truncated(path: path, format: .npy) }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8) else {
            throw corrupt("header is not text")
        }
        guard let descr = dictionaryValue(header, key: "descr"),
              let fortran = dictionaryValue(header, key: "fortran_order"),
              let shapeText = dictionaryValue(header, key: "shape") else {
            throw corrupt("header lacks descr, fortran_order or shape")
        }
        let descrText = descr.trimming("'\" ")
        guard let dataType = DataType(descr: descrText) else {
            throw ImageFileError.unsupported(path: path, detail: "NPY element type \(descr) (we read bool, integers and float32/float64)")
        }
        if fortran.trimming(" ") == "True" {
            throw ImageFileError.unsupported(path: path, detail: "Fortran-order array (save it with np.save(f, np.ascontiguousarray(a)))")
        }
        let inner = shapeText.trimming("() ")
        var shape = [Int]()
        for part in inner.split(separator: ",") {
            let text = String(part).trimming(" L")
            if text.isEmpty { continue }
            guard let n = Int(text), n >= 0 else { throw corrupt("bad shape \(shapeText)") }
            shape.append(n)
        }
        var total = dataType.size
        for n in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: n)
            guard !overflow else { throw corrupt("shape \(shapeText) is too large") }
            total = product
        }
        let dataOffset = headerStart + headerLength
        guard bytes.count >= dataOffset + total else { throw ImageFileError.truncated(path: path, format: .npy) }
        return MappedArray(shape: shape, dataType: dataType, path: path, file: file, dataOffset: dataOffset)
    }

    /// Reads an image from a `.npy` file.
    public static func readImage(_ path: String, options: ImageReadOptions = .init()) throws -> AnyImage {
        try open(path).image(options: options)
    }

    /// Reads only the header, as image information.
    public static func readInfo(_ path: String) throws -> ImageInfo {
        let array = try open(path)
        guard let sampleType = array.dataType.imageSampleType, (2...3).contains(array.shape.count) else {
            throw ImageFileError.unsupported(path: path, detail: "NPY array of type \(array.dataType) and shape \(array.shapeText) is not an image")
        }
        try array.requirePixels(width: array.shape[1], height: array.shape[0])
        return ImageInfo(width: array.shape[1], height: array.shape[0], channels: array.shape.count == 3 ? array.shape[2] : 1,
                         sampleType: sampleType, format: .npy)
    }

    /// The header bytes (magic, version, length, dictionary padded to 64 bytes) for an array.
    public static func header(dataType: DataType, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dictionary = "{'descr': '\(dataType.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let fixed = 10
        let padding = (64 - (fixed + dictionary.utf8.count + 1) % 64) % 64
        dictionary += String(repeating: " ", count: padding) + "\n"
        let length = dictionary.utf8.count
        if length <= 0xFFFF {
            return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Swift.Array(dictionary.utf8)
        }
        // Version 2 for headers past 64 KiB: realign for the 4-byte length.
        var dictionary2 = "{'descr': '\(dataType.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let padding2 = (64 - (12 + dictionary2.utf8.count + 1) % 64) % 64
        dictionary2 += String(repeating: " ", count: padding2) + "\n"
        let length2 = dictionary2.utf8.count
        return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, UInt8(length2 & 0xFF), UInt8((length2 >> 8) & 0xFF),
                UInt8((length2 >> 16) & 0xFF), UInt8(length2 >> 24)] + Swift.Array(dictionary2.utf8)
    }

    /// Writes an image as H×W (one channel) or H×W×C, little-endian, atomically.
    public static func write(_ image: AnyImage, to path: String) throws {
        try AtomicFile.write(to: path) { temporary in try write(image, toTemporary: temporary, reportedPath: path) }
    }

    /// Writes to an already chosen (temporary) path; ``ImageFile`` handles the atomic rename.
    static func write(_ image: AnyImage, toTemporary temporary: String, reportedPath: String) throws {
        struct Writer: ImageOperation {
            let temporary: String, reportedPath: String
            func callAsFunction<S: PixelSample>(_ image: Image<S>) throws {
                let shape = image.channels == 1 ? [image.height, image.width] : [image.height, image.width, image.channels]
                let writer = try FileWriter(path: temporary, reportedPath: reportedPath)
                try writer.write(NPY.header(dataType: DataType(S.sampleType), shape: shape))
                try image.withUnsafeBuffer { buffer in
                    if image.isContiguous {
                        try writer.write(UnsafeRawBufferPointer(start: buffer.base, count: image.sampleCount * MemoryLayout<S>.size))
                    } else {
                        for y in 0..<buffer.height { try writer.write(UnsafeRawBufferPointer(buffer.row(y))) }
                    }
                }
                try writer.close()
            }
        }
        try image.apply(Writer(temporary: temporary, reportedPath: reportedPath))
    }

    /// Writes a row-major array of `T` with the given shape, atomically.
    public static func write<T: BitwiseCopyable>(_ elements: UnsafeBufferPointer<T>, dataType: DataType, shape: [Int],
                                                to path: String) throws {
        precondition(MemoryLayout<T>.size == dataType.size && shape.reduce(1, *) == elements.count)
        try AtomicFile.write(to: path) { temporary in
            let writer = try FileWriter(path: temporary, reportedPath: path)
            try writer.write(header(dataType: dataType, shape: shape))
            try writer.write(UnsafeRawBufferPointer(elements))
            try writer.close()
        }
    }

    /// The text after `'key':` in a Python dict literal, up to the matching comma (tuples kept whole).
    static func dictionaryValue(_ header: String, key: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var rest = header[keyRange.upperBound...].drop { $0 == " " }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        var depth = 0
        var end = rest.startIndex
        while end < rest.endIndex {
            let c = rest[end]
            if c == "(" || c == "[" { depth += 1 }
            if c == ")" || c == "]" { depth -= 1 }
            if (c == "," && depth == 0) || c == "}" { break }
            end = rest.index(after: end)
        }
        return String(rest[..<end])
    }
}

extension String {
    func trimming(_ set: String) -> String {
        let chars = Set(set)
        return String(self.drop { chars.contains($0) }.reversed().drop { chars.contains($0) }.reversed())
    }
}
