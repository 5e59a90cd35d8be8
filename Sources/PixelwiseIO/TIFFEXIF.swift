#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CTIFF

/// EXIF as libtiff reads and writes it: the tags of the main directory that describe the photo (camera,
/// date, orientation, author), the EXIF IFD and the GPS IFD.
///
/// This bridges the two ways files hold EXIF. JPEG and PNG carry it as a small TIFF stream of its own
/// (``ImageMetadata/exif``); a TIFF holds the same directories in itself, pointed to by its main directory's
/// ExifIFD (34665) and GPSInfo (34853) tags. Both sides go through libtiff, never a parser of ours: a stream
/// is opened over memory (``MemoryTIFF``, `TIFFClientOpenExt`) and read with `TIFFReadEXIFDirectory` and
/// `TIFFReadGPSDirectory`; directories are written with `TIFFCreateEXIFDirectory`/`TIFFCreateGPSDirectory`
/// and `TIFFWriteCustomDirectory`.
///
/// What does not survive the trip (docs/FORMATS.md): the thumbnail (IFD1), the Interoperability IFD, and the
/// main directory's structural tags (its size, resolution, strips: the output has its own). Rationals pass
/// through libtiff as floating point (most EXIF rationals as 32-bit floats, GPS coordinates as 64-bit), so a
/// value comes back as the fraction libtiff finds for it, equal to about 7 significant digits.
struct EXIFDirectories: Equatable {
    /// A tag's values as libtiff hands them over.
    enum Values: Equatable {
        /// ASCII, without the terminating NUL.
        case text([UInt8])
        /// BYTE, SBYTE, UNDEFINED, SHORT, SSHORT, LONG, SLONG, LONG8, SLONG8.
        case integers([Int64])
        /// RATIONAL, SRATIONAL, FLOAT, DOUBLE.
        case reals([Double])

        var count: Int {
            switch self {
            case .text(let values): values.count
            case .integers(let values): values.count
            case .reals(let values): values.count
            }
        }
    }

    /// One tag: its number, the TIFF type the file gives it, and its values.
    struct Field: Equatable {
        var tag: UInt32
        var type: TIFFDataType
        var values: Values
    }

    /// Tags of the main directory (IFD0).
    var primary: [Field] = []
    /// The EXIF IFD.
    var exif: [Field] = []
    /// The GPS IFD.
    var gps: [Field] = []

    var isEmpty: Bool { primary.isEmpty && exif.isEmpty && gps.isEmpty }

    /// The main-directory tags that describe the photo, not the pixels: ImageDescription, Make, Model,
    /// Orientation, Software, DateTime, Artist, HostComputer, Copyright. The others (size, samples, strips,
    /// resolution) describe how a file stores its pixels and are the output's own.
    static let primaryTags: Set<UInt32> = [270, 271, 272, 274, 305, 306, 315, 316, 33432]
    static let exifPointer: UInt32 = 34665
    static let gpsPointer: UInt32 = 34853
    /// Points to a directory of its own (not carried: its offset would point nowhere in the output).
    static let interoperabilityPointer: UInt32 = 40965
    /// The largest tag carried, in libtiff's bytes: far above any EXIF tag (a JPEG holds all of its EXIF in
    /// 64 KB), a bound on what a hostile TIFF makes us allocate.
    static let maximumTagBytes = 4 << 20

    init(primary: [Field] = [], exif: [Field] = [], gps: [Field] = []) {
        self.primary = primary
        self.exif = exif
        self.gps = gps
    }

    // MARK: - EXIF streams (JPEG APP1, PNG eXIf)

    /// The directories of an EXIF stream (`II*\0…` or `MM\0*…`), read by libtiff over memory; nil when it
    /// holds nothing libtiff reads.
    init?(stream: [UInt8]) {
        guard stream.count >= 8, stream.count <= MemoryTIFF.limit else { return nil }
        let little = stream[0] == 0x49 && stream[1] == 0x49 && stream[2] == 42 && stream[3] == 0
        let big = stream[0] == 0x4D && stream[1] == 0x4D && stream[2] == 0 && stream[3] == 42
        guard little || big else { return nil }
        // The first directory's offset, from the header libtiff has just checked (classic TIFF: 4 bytes).
        let offsetBytes = little ? stream[4..<8].reversed() : Array(stream[4..<8])
        let first = offsetBytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let memory = MemoryTIFF(stream)
        // "h": libtiff would refuse IFD0 as an image directory (it has no size); it is read as a custom one.
        guard let handle = memory.open(mode: "rh") else { return nil }
        defer { TIFFClose(handle) }
        // Opened header-only, libtiff has set up no directory, not even its tag methods, which
        // TIFFReadCustomDirectory calls (libtiff 4.5 crashes without them): a default directory first.
        _ = TIFFCreateDirectory(handle)
        // IFD0 read with the EXIF definitions: its own tags (Make, Orientation…) come back as libtiff's
        // anonymous fields, with the types the stream gives them.
        guard TIFFReadEXIFDirectory(handle, first) == 1 else { return nil }
        primary = Self.fields(of: handle) { Self.primaryTags.contains($0) }
        (exif, gps) = Self.subdirectories(from: handle)
        if isEmpty { return nil }
    }

    /// These directories as an EXIF stream (a little-endian classic TIFF without pixels), written by libtiff
    /// into memory; nil if libtiff cannot write them.
    func stream() -> [UInt8]? {
        let memory = MemoryTIFF()
        guard let handle = memory.open(mode: "wl") else { return nil }
        var closed = false
        defer { if !closed { TIFFClose(handle) } }
        let pointers = writeSubdirectories(to: handle)
        // A new directory carries Compression, which means nothing without pixels.
        _ = TIFFUnsetField(handle, UInt32(TIFFTAG_COMPRESSION))
        setPrimary(on: handle, pointers: pointers)
        guard TIFFWriteDirectory(handle) == 1 else { return nil }
        closed = true
        TIFFClose(handle)
        return memory.bytes
    }

    // MARK: - TIFF files

    /// The directories of the current image of an open TIFF: its main-directory tags, and the EXIF and GPS
    /// IFDs its ExifIFD and GPSInfo tags point to. Leaves `handle` on the GPS or EXIF directory: read
    /// everything else of the image first.
    init?(readingFrom handle: OpaquePointer) {
        primary = Self.primaryTags.sorted().compactMap { Self.field($0, of: handle) }
        (exif, gps) = Self.subdirectories(from: handle)
        if isEmpty { return nil }
    }

    /// The EXIF and GPS IFDs the current directory of `handle` points to (empty when it points to none, or
    /// libtiff cannot read them). Leaves `handle` on one of them.
    static func subdirectories(from handle: OpaquePointer) -> (exif: [Field], gps: [Field]) {
        // Both offsets first: reading one directory leaves the one that points to them.
        let exifOffset = offset(exifPointer, of: handle), gpsOffset = offset(gpsPointer, of: handle)
        var found: (exif: [Field], gps: [Field]) = ([], [])
        if let exifOffset, TIFFReadEXIFDirectory(handle, exifOffset) == 1 {
            found.exif = fields(of: handle) { $0 != interoperabilityPointer }
        }
        if let gpsOffset, TIFFReadGPSDirectory(handle, gpsOffset) == 1 {
            found.gps = fields(of: handle) { _ in true }
        }
        return found
    }

    /// Writes the EXIF and GPS IFDs (those not empty) into the TIFF being written, before its image
    /// directory, and leaves `handle` on a fresh image directory. Their offsets are then known when the
    /// image directory's pointers are set (``setPrimary(on:pointers:)``), so the image directory is written
    /// once, at the end, as usual. A tag libtiff refuses is left out.
    func writeSubdirectories(to handle: OpaquePointer) -> (exif: UInt64?, gps: UInt64?) {
        var offsets: (exif: UInt64?, gps: UInt64?) = (nil, nil)
        func write(_ fields: [Field], create: (OpaquePointer) -> Int32) -> UInt64? {
            guard !fields.isEmpty else { return nil }
            // Frees the directory being replaced: libtiff's Create*Directory does not.
            TIFFFreeDirectory(handle)
            guard create(handle) == 0 else { return nil }
            var written = false
            for field in fields where Self.set(field, on: handle) { written = true }
            var offset: UInt64 = 0
            guard written, TIFFWriteCustomDirectory(handle, &offset) == 1 else { return nil }
            return offset
        }
        offsets.exif = write(exif, create: TIFFCreateEXIFDirectory)
        offsets.gps = write(gps, create: TIFFCreateGPSDirectory)
        if !exif.isEmpty || !gps.isEmpty {
            TIFFFreeDirectory(handle)
            _ = TIFFCreateDirectory(handle)
        }
        return offsets
    }

    /// Sets the main-directory tags and the pointers to the IFDs ``writeSubdirectories(to:)`` wrote.
    func setPrimary(on handle: OpaquePointer, pointers: (exif: UInt64?, gps: UInt64?)) {
        for field in primary { _ = Self.set(field, on: handle) }
        if let offset = pointers.exif {
            _ = Self.set(Field(tag: Self.exifPointer, type: TIFF_IFD8, values: .integers([Int64(offset)])), on: handle)
        }
        if let offset = pointers.gps {
            _ = Self.set(Field(tag: Self.gpsPointer, type: TIFF_IFD8, values: .integers([Int64(offset)])), on: handle)
        }
    }

    // MARK: - One tag through libtiff

    /// Every tag of `handle`'s current custom directory that `keep` accepts, in tag order.
    static func fields(of handle: OpaquePointer, keeping keep: (UInt32) -> Bool) -> [Field] {
        let tags = Set((0..<TIFFGetTagListCount(handle)).map { TIFFGetTagListEntry(handle, $0) })
        return tags.filter(keep).sorted().compactMap { field($0, of: handle) }
    }

    /// The directory offset a pointer tag holds, if set.
    static func offset(_ tag: UInt32, of handle: OpaquePointer) -> UInt64? {
        guard case .integers(let values)? = field(tag, of: handle)?.values, values.count == 1, values[0] > 0 else { return nil }
        return UInt64(values[0])
    }

    /// The value of `tag` in `handle`'s current directory as libtiff gives it (`TIFFGetField`, whose
    /// arguments depend on the tag's definition: a count and a pointer, a pointer, or one value), or nil
    /// when the tag is not set or of a kind not carried.
    static func field(_ tag: UInt32, of handle: OpaquePointer) -> Field? {
        // TIFFFindField, not TIFFFieldWithTag: an unknown tag is no error here.
        guard let info = TIFFFindField(handle, tag, TIFF_NOTYPE) else { return nil }
        let type = TIFFFieldDataType(info)
        let size = Int(TIFFFieldSetGetSize(info))
        let readCount = Int(TIFFFieldReadCount(info))
        guard size > 0 else { return nil }
        // Room for a count, a pointer and one value of any type, which libtiff writes through.
        let slots = UnsafeMutableRawPointer.allocate(byteCount: 24, alignment: 8)
        defer { slots.deallocate() }
        slots.initializeMemory(as: UInt8.self, repeating: 0, count: 24)
        let countSlot = slots, pointerSlot = slots + 8, valueSlot = slots + 16
        func get(_ arguments: CVarArg...) -> Bool { withVaList(arguments) { TIFFVGetField(handle, tag, $0) } == 1 }
        var count = 0
        var values: UnsafeRawPointer?
        switch TIFFFieldSetGetCountSize(info) {
        case 2:
            guard get(OpaquePointer(countSlot), OpaquePointer(pointerSlot)) else { return nil }
            count = Int(countSlot.load(as: UInt16.self))
            values = pointerSlot.load(as: UnsafeRawPointer?.self)
        case 4:
            guard get(OpaquePointer(countSlot), OpaquePointer(pointerSlot)) else { return nil }
            count = Int(countSlot.load(as: UInt32.self))
            values = pointerSlot.load(as: UnsafeRawPointer?.self)
        default:
            if type == TIFF_ASCII {
                guard get(OpaquePointer(pointerSlot)), let text = pointerSlot.load(as: UnsafePointer<CChar>?.self) else { return nil }
                count = strlen(text) + 1
                values = UnsafeRawPointer(text)
            } else if readCount > 1 {
                guard get(OpaquePointer(pointerSlot)) else { return nil }
                count = readCount
                values = pointerSlot.load(as: UnsafeRawPointer?.self)
            } else if readCount == 1 {
                guard get(OpaquePointer(valueSlot)) else { return nil }
                count = 1
                values = UnsafeRawPointer(valueSlot)
            } else {
                return nil
            }
        }
        // libtiff has read the values already (bounded by the file); ours are up to 8 times larger (Int64).
        guard count > 0, count <= maximumTagBytes / size, let values,
              let decoded = decode(values, count: count, type: type, size: size) else { return nil }
        return Field(tag: tag, type: type, values: decoded)
    }

    /// `count` values of libtiff's in-memory form (`size` bytes each) of a tag of type `type`.
    static func decode(_ pointer: UnsafeRawPointer, count: Int, type: TIFFDataType, size: Int) -> Values? {
        switch type {
        case TIFF_ASCII:
            let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
            return .text(Array(bytes.prefix { $0 != 0 }))
        case TIFF_RATIONAL, TIFF_SRATIONAL, TIFF_FLOAT, TIFF_DOUBLE:
            switch size {
            case 4: return .reals((0..<count).map { Double(pointer.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self)) })
            case 8: return .reals((0..<count).map { pointer.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) })
            default: return nil
            }
        default:
            guard let signed = integerSignedness(type) else { return nil }
            func load<T: FixedWidthInteger>(_: T.Type) -> [Int64] {
                (0..<count).map { Int64(truncatingIfNeeded: pointer.loadUnaligned(fromByteOffset: size * $0, as: T.self)) }
            }
            switch (size, signed) {
            case (1, false): return .integers(load(UInt8.self))
            case (1, true): return .integers(load(Int8.self))
            case (2, false): return .integers(load(UInt16.self))
            case (2, true): return .integers(load(Int16.self))
            case (4, false): return .integers(load(UInt32.self))
            case (4, true): return .integers(load(Int32.self))
            case (8, _): return .integers(load(Int64.self))
            default: return nil
            }
        }
    }

    /// Whether an integer TIFF type is signed; nil for the other types.
    static func integerSignedness(_ type: TIFFDataType) -> Bool? {
        switch type {
        case TIFF_BYTE, TIFF_UNDEFINED, TIFF_SHORT, TIFF_LONG, TIFF_LONG8, TIFF_IFD, TIFF_IFD8: false
        case TIFF_SBYTE, TIFF_SSHORT, TIFF_SLONG, TIFF_SLONG8: true
        default: nil
        }
    }

    /// Sets `field` on `handle`'s current directory (`TIFFSetField`, with the arguments the tag's definition
    /// there asks for). A tag libtiff does not know there is first registered with the field's own type and
    /// any count, as libtiff does with unknown tags it reads. False when libtiff refuses it or the values do
    /// not fit the definition (a fixed count, another kind of value).
    @discardableResult
    static func set(_ field: Field, on handle: OpaquePointer) -> Bool {
        if TIFFFindField(handle, field.tag, TIFF_NOTYPE) == nil {
            var definition = TIFFFieldInfo(field_tag: field.tag, field_readcount: Int16(TIFF_VARIABLE2),
                                           field_writecount: Int16(TIFF_VARIABLE2), field_type: field.type,
                                           field_bit: UInt16(FIELD_CUSTOM), field_oktochange: 1, field_passcount: 1,
                                           field_name: unknownFieldName)
            guard TIFFMergeFieldInfo(handle, &definition, 1) == 0 else { return false }
        }
        guard let info = TIFFFindField(handle, field.tag, TIFF_NOTYPE) else { return false }
        let type = TIFFFieldDataType(info)
        let countSize = TIFFFieldSetGetCountSize(info)
        let writeCount = Int(TIFFFieldWriteCount(info))
        func set(_ arguments: CVarArg...) -> Bool { withVaList(arguments) { TIFFVSetField(handle, field.tag, $0) } == 1 }
        if type == TIFF_ASCII {
            guard case .text(let text) = field.values else { return false }
            let terminated = text + [0]
            return terminated.withUnsafeBytes { bytes in
                let pointer = OpaquePointer(bytes.baseAddress!)
                return TIFFFieldPassCount(info) != 0 ? set(UInt32(terminated.count), pointer) : set(pointer)
            }
        }
        let count = field.values.count
        guard count > 0, let bytes = encode(field.values, as: type, size: Int(TIFFFieldSetGetSize(info))) else { return false }
        return bytes.withUnsafeBytes { buffer in
            let pointer = OpaquePointer(buffer.baseAddress!)
            switch countSize {
            case 2: return count <= Int(UInt16.max) && set(Int32(count), pointer)
            case 4: return count <= Int(UInt32.max) && set(UInt32(count), pointer)
            default:
                if writeCount > 1 { return count == writeCount && set(pointer) }
                guard writeCount == 1, count == 1 else { return false }
                // One value, passed as C passes it through `...`.
                switch field.values {
                case .reals(let values): return set(values[0])
                case .integers(let values):
                    switch type {
                    case TIFF_LONG, TIFF_IFD: return set(UInt32(truncatingIfNeeded: values[0]))
                    case TIFF_SLONG: return set(Int32(truncatingIfNeeded: values[0]))
                    case TIFF_LONG8, TIFF_IFD8: return set(UInt64(truncatingIfNeeded: values[0]))
                    case TIFF_SLONG8: return set(values[0])
                    default: return set(Int32(truncatingIfNeeded: values[0]))  // promoted to int
                    }
                case .text: return false
                }
            }
        }
    }

    /// `values` in libtiff's in-memory form for a tag of type `type` stored `size` bytes a value, or nil
    /// when a value does not fit (or is of another kind).
    static func encode(_ values: Values, as type: TIFFDataType, size: Int) -> [UInt8]? {
        var out = [UInt8]()
        func append<T>(_ value: T) { withUnsafeBytes(of: value) { out += $0 } }
        switch (values, type) {
        case (.reals(let reals), TIFF_RATIONAL), (.reals(let reals), TIFF_SRATIONAL),
             (.reals(let reals), TIFF_FLOAT), (.reals(let reals), TIFF_DOUBLE):
            for value in reals { size == 4 ? append(Float(value)) : append(value) }
        case (.integers(let integers), TIFF_RATIONAL), (.integers(let integers), TIFF_SRATIONAL),
             (.integers(let integers), TIFF_FLOAT), (.integers(let integers), TIFF_DOUBLE):
            for value in integers { size == 4 ? append(Float(value)) : append(Double(value)) }
        case (.integers(let integers), _):
            guard let signed = integerSignedness(type) else { return nil }
            for value in integers {
                switch (size, signed) {
                case (1, false): guard let v = UInt8(exactly: value) else { return nil }; append(v)
                case (1, true): guard let v = Int8(exactly: value) else { return nil }; append(v)
                case (2, false): guard let v = UInt16(exactly: value) else { return nil }; append(v)
                case (2, true): guard let v = Int16(exactly: value) else { return nil }; append(v)
                case (4, false): guard let v = UInt32(exactly: value) else { return nil }; append(v)
                case (4, true): guard let v = Int32(exactly: value) else { return nil }; append(v)
                case (8, _): append(value)
                default: return nil
                }
            }
        default:
            return nil
        }
        return out
    }

    /// The name of tags registered on write (libtiff keeps the pointer: static, never freed).
    nonisolated(unsafe) static let unknownFieldName: UnsafeMutablePointer<CChar> = strdup("EXIFTag")!
}

/// A TIFF stream in memory, for libtiff's client I/O (`TIFFClientOpenExt`): an EXIF block is a small TIFF
/// file, read and written here without touching the disk.
final class MemoryTIFF {
    /// The stream's bytes (what has been written, when writing).
    fileprivate(set) var bytes: [UInt8]
    fileprivate var position = 0
    /// libtiff's messages about this stream (kept, never printed).
    let messages = TIFF.Messages()
    /// The most bytes a stream may have: EXIF fits in 64 KB in a JPEG; far more is a hostile file.
    static let limit = 1 << 24

    init(_ bytes: [UInt8] = []) { self.bytes = bytes }

    /// Opens the stream with libtiff's `mode` ("rh": read the header only; "wl": write little-endian);
    /// nil when libtiff refuses it. The stream must outlive the handle.
    func open(mode: String) -> OpaquePointer? {
        let me = Unmanaged.passUnretained(self).toOpaque()
        return messages.open { options in
            TIFFClientOpenExt("EXIF", mode, me, memoryRead, memoryWrite, memorySeek, memoryClose, memorySize,
                              memoryMap, memoryUnmap, options)
        }
    }

    fileprivate static func from(_ handle: thandle_t?) -> MemoryTIFF {
        Unmanaged<MemoryTIFF>.fromOpaque(handle!).takeUnretainedValue()
    }
}

private let memoryRead: TIFFReadWriteProc = { handle, buffer, size in
    let stream = MemoryTIFF.from(handle)
    guard let buffer, size >= 0, stream.position <= stream.bytes.count else { return 0 }
    let count = min(Int(size), stream.bytes.count - stream.position)
    stream.bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + stream.position, byteCount: count) }
    stream.position += count
    return tmsize_t(count)
}

private let memoryWrite: TIFFReadWriteProc = { handle, buffer, size in
    let stream = MemoryTIFF.from(handle)
    guard let buffer, size >= 0, stream.position + Int(size) <= MemoryTIFF.limit else { return -1 }
    let end = stream.position + Int(size)
    if end > stream.bytes.count { stream.bytes += [UInt8](repeating: 0, count: end - stream.bytes.count) }
    stream.bytes.withUnsafeMutableBytes { ($0.baseAddress! + stream.position).copyMemory(from: buffer, byteCount: Int(size)) }
    stream.position = end
    return size
}

private let memorySeek: TIFFSeekProc = { handle, offset, whence in
    let stream = MemoryTIFF.from(handle)
    let base = switch whence {
    case SEEK_CUR: stream.position
    case SEEK_END: stream.bytes.count
    default: 0
    }
    let (target, overflow) = base.addingReportingOverflow(Int(truncatingIfNeeded: Int64(bitPattern: offset)))
    guard !overflow, target >= 0, target <= MemoryTIFF.limit else { return UInt64.max }  // (toff_t)-1: failed
    stream.position = target
    return UInt64(target)
}

private let memoryClose: TIFFCloseProc = { _ in 0 }
private let memorySize: TIFFSizeProc = { handle in UInt64(MemoryTIFF.from(handle).bytes.count) }
/// No mapping: libtiff reads through ``memoryRead``.
private let memoryMap: TIFFMapFileProc = { _, _, _ in 0 }
private let memoryUnmap: TIFFUnmapFileProc = { _, _, _ in }
