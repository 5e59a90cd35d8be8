import Pixelwise

/// Binary PGM (P5, gray) and PPM (P6, RGB), read and written here: a text header and raw samples.
/// Also read: plain (ASCII) PBM, PGM and PPM (P1, P2, P3) and raw PBM (P4). A bitmap (P1, P4) becomes an
/// 8-bit gray image with black (a stored 1) as 0 and white as 255, as Pillow's `convert("L")` gives it.
///
/// A maxval up to 255 gives `UInt8` samples, 256…65535 gives `UInt16` (stored big-endian in the file,
/// host order in the image). Samples are kept as stored, not rescaled to the full range. Comments
/// (`#` to the end of the line) may appear anywhere in the header. Only the first image of a file is read.
/// Writing uses maxval 255 for `UInt8` and 65535 for `UInt16`; 1 channel gives P5, 3 channels P6.
public enum PNM {
    struct Header {
        var width, height, channels, maxValue: Int
        /// How samples are stored: raw bytes (P5, P6), ASCII numbers (P1, P2, P3) or packed bits (P4).
        var encoding: Encoding = .raw
        enum Encoding { case raw, plain, plainBits, packedBits }
        /// Offset of the first sample byte.
        var dataOffset: Int
        var sampleType: SampleType { maxValue <= 255 ? .uint8 : .uint16 }
    }

    /// The header of the file at `path`.
    public static func readInfo(_ path: String) throws -> ImageInfo {
        let file = try MappedFile(path: path)
        let header = try parseHeader(UnsafeRawBufferPointer(file.bytes), path: path)
        return ImageInfo(width: header.width, height: header.height, channels: header.channels,
                         sampleType: header.sampleType, format: .pnm)
    }

    /// Reads the file at `path` into a new image.
    public static func read(_ path: String, options: ImageReadOptions = .init()) throws -> AnyImage {
        let file = try MappedFile(path: path)
        let bytes = UnsafeRawBufferPointer(file.bytes)
        let header = try parseHeader(bytes, path: path)
        try options.checkPixelCount(width: header.width, height: header.height, path: path)
        if header.encoding != .raw {
            return try Codecs.makeImage(header.sampleType, width: header.width, height: header.height,
                                        channels: header.channels, path: path) { target in
                try decodeText(bytes, header: header, path: path, into: target)
            }
        }
        if header.sampleType == .uint8, options.allowMemoryMap {
            // 8-bit samples are already the image: use the (private, copy-on-write) mapping in place.
            let count = header.width * header.height * header.channels
            guard bytes.count - header.dataOffset >= count else { throw ImageFileError.truncated(path: path, format: .pnm) }
            let base = file.bytes.baseAddress!.advanced(by: header.dataOffset).assumingMemoryBound(to: UInt8.self)
            let storage = PixelStorage<UInt8>(adopting: base, count: count, isWritable: true,
                                              release: { withExtendedLifetime(file) {} })
            return .uint8(Image(storage: storage, width: header.width, height: header.height, channels: header.channels))
        }
        return try Codecs.makeImage(header.sampleType, width: header.width, height: header.height,
                                    channels: header.channels, path: path) { target in
            let needed = target.byteCount
            guard bytes.count - header.dataOffset >= needed else { throw ImageFileError.truncated(path: path, format: .pnm) }
            let source = bytes.baseAddress! + header.dataOffset
            if header.sampleType == .uint8 {
                target.base.copyMemory(from: source, byteCount: needed)
            } else {
                let count = needed / 2
                let out = target.base.assumingMemoryBound(to: UInt16.self)
                for index in 0..<count {
                    out[index] = UInt16(bigEndian: source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self))
                }
            }
        }
    }

    /// Writes `image` to `temporary` (``ImageFile`` renames it to `reportedPath` when done).
    public static func write(_ image: AnyImage, toTemporary temporary: String, reportedPath: String) throws {
        if let reason = ImageFormat.pnm.cannotHold(image.sampleType) {
            throw ImageFileError.unsupported(path: reportedPath, detail: reason)
        }
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageFileError.unsupported(
                path: reportedPath,
                detail: "PGM holds 1 channel and PPM 3, not \(image.channels) (write .png or .tif to keep alpha)")
        }
        let writer = try FileWriter(path: temporary, reportedPath: reportedPath)
        let magic = image.channels == 1 ? "P5" : "P6"
        let maxValue = image.sampleType == .uint8 ? 255 : 65535
        try writer.write("\(magic)\n\(image.width) \(image.height)\n\(maxValue)\n")
        try RawImageView.with(image) { view in
            if view.sampleType == .uint8 {
                if view.isContiguous {
                    try writer.write(UnsafeRawBufferPointer(start: view.base, count: view.rowBytes * view.height))
                } else {
                    for y in 0..<view.height { try writer.write(UnsafeRawBufferPointer(start: view.row(y), count: view.rowBytes)) }
                }
            } else {
                let count = view.width * view.channels
                var swapped = [UInt16](repeating: 0, count: count)
                for y in 0..<view.height {
                    let row = view.row(y).assumingMemoryBound(to: UInt16.self)
                    for index in 0..<count { swapped[index] = row[index].bigEndian }
                    try swapped.withUnsafeBytes { try writer.write($0) }
                }
            }
        }
        try writer.close()
    }

    /// Decodes the samples of a plain (P1, P2, P3) or packed-bit (P4) file.
    static func decodeText(_ bytes: UnsafeRawBufferPointer, header: Header, path: String,
                           into target: MutableRawImageView) throws {
        let count = header.width * header.height * header.channels
        var position = header.dataOffset
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        func store(_ index: Int, _ value: Int) {
            if header.sampleType == .uint8 {
                target.base.storeBytes(of: UInt8(value), toByteOffset: index, as: UInt8.self)
            } else {
                target.base.storeBytes(of: UInt16(value), toByteOffset: 2 * index, as: UInt16.self)
            }
        }
        switch header.encoding {
        case .raw: return
        case .packedBits:
            let rowBytes = (header.width + 7) / 8
            guard bytes.count - position >= rowBytes * header.height else { throw ImageFileError.truncated(path: path, format: .pnm) }
            for y in 0..<header.height {
                for x in 0..<header.width {
                    let bit = bytes[position + y * rowBytes + x / 8] >> (7 - UInt8(x % 8)) & 1
                    store(y * header.width + x, bit == 1 ? 0 : 255)
                }
            }
        case .plain, .plainBits:
            for index in 0..<count {
                // Skip whitespace and comments.
                while position < bytes.count {
                    if isSpace(bytes[position]) { position += 1 }
                    else if bytes[position] == UInt8(ascii: "#") {
                        while position < bytes.count && bytes[position] != 0x0A && bytes[position] != 0x0D { position += 1 }
                    } else { break }
                }
                guard position < bytes.count else { throw ImageFileError.truncated(path: path, format: .pnm) }
                if header.encoding == .plainBits {
                    // P1: one character per pixel, whitespace optional.
                    switch bytes[position] {
                    case UInt8(ascii: "0"): store(index, 255)
                    case UInt8(ascii: "1"): store(index, 0)
                    default: throw ImageFileError.corrupt(path: path, format: .pnm, detail: "pixel \(index) of the bitmap is not 0 or 1")
                    }
                    position += 1
                    continue
                }
                var value = 0, digits = 0
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                    value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                    digits += 1
                    position += 1
                    guard digits <= 6 else { break }
                }
                guard digits > 0, digits <= 6, value <= header.maxValue else {
                    throw ImageFileError.corrupt(path: path, format: .pnm, detail: "sample \(index) is not a number from 0 to maxval \(header.maxValue)")
                }
                store(index, value)
            }
        }
    }

    /// Parses `P5`/`P6`, width, height and maxval, with comments, up to the single whitespace byte
    /// that ends the header.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Header {
        func corrupt(_ detail: String) -> ImageFileError { .corrupt(path: path, format: .pnm, detail: detail) }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P") else { throw corrupt("no P1-P6 signature") }
        let channels: Int
        var encoding = Header.Encoding.raw
        switch bytes[1] {
        case UInt8(ascii: "1"): (channels, encoding) = (1, .plainBits)
        case UInt8(ascii: "2"): (channels, encoding) = (1, .plain)
        case UInt8(ascii: "3"): (channels, encoding) = (3, .plain)
        case UInt8(ascii: "4"): (channels, encoding) = (1, .packedBits)
        case UInt8(ascii: "5"): channels = 1
        case UInt8(ascii: "6"): channels = 3
        default: throw corrupt("no P1-P6 signature")
        }
        var position = 2
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        func nextNumber(_ name: String) throws -> Int {
            // Skip whitespace and comments.
            while position < bytes.count {
                if isSpace(bytes[position]) { position += 1 }
                else if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != 0x0A && bytes[position] != 0x0D { position += 1 }
                } else { break }
            }
            guard position < bytes.count else { throw ImageFileError.truncated(path: path, format: .pnm) }
            var value = 0, digits = 0
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                digits += 1
                position += 1
                guard digits <= 12 else { throw corrupt("the \(name) has too many digits") }
            }
            guard digits > 0 else { throw corrupt("the header's \(name) is not a number") }
            guard position < bytes.count else { throw ImageFileError.truncated(path: path, format: .pnm) }
            guard isSpace(bytes[position]) || bytes[position] == UInt8(ascii: "#") else {
                throw corrupt("the header's \(name) is not a number")
            }
            return value
        }
        let width = try nextNumber("width")
        let height = try nextNumber("height")
        let bitmap = encoding == .plainBits || encoding == .packedBits
        let maxValue = bitmap ? 255 : try nextNumber("maxval")
        guard width > 0, height > 0 else { throw corrupt("declares a size of \(width)×\(height)") }
        guard (1...65535).contains(maxValue) else { throw corrupt("maxval \(maxValue) is outside 1…65535") }
        // Exactly one whitespace byte separates maxval from the samples.
        guard isSpace(bytes[position]) else { throw corrupt("no whitespace after maxval") }
        return Header(width: width, height: height, channels: channels, maxValue: maxValue, encoding: encoding,
                      dataOffset: position + 1)
    }
}
