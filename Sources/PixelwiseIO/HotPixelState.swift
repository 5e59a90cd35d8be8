import Pixelwise

/// Why a hot-pixel state file could not be used. One line, naming the file.
public enum HotPixelStateError: Error, Equatable, CustomStringConvertible {
    case notAState(path: String)
    case unsupportedVersion(path: String, version: Int)
    case truncated(path: String, expected: Int, actual: Int)
    case badChecksum(path: String)
    case invalidHeader(path: String, detail: String)
    case mismatch(path: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .notAState(path): "\(path): not a pixelwise hot-pixel state file"
        case let .unsupportedVersion(path, version):
            "\(path): hot-pixel state version \(version) is not supported (this pixelwise reads version \(HotPixelStateFile.version))"
        case let .truncated(path, expected, actual):
            "\(path): truncated hot-pixel state (\(actual) bytes, expected \(expected))"
        case let .badChecksum(path): "\(path): hot-pixel state checksum does not match: the file is corrupt"
        case let .invalidHeader(path, detail): "\(path): invalid hot-pixel state header: \(detail)"
        case let .mismatch(path, expected, found):
            "\(path): state is for \(found), expected \(expected)"
        }
    }
}

/// The `.pxhs` hot-pixel state file: a scan's partial statistics, to resume a scan or merge shards.
///
/// Layout, all integers little-endian (see docs/hotpixels.md):
/// ```
/// offset size  field
///  0      8    magic "PXHOTST\0"
///  8      4    version (1)
/// 12      4    header size in bytes from offset 0 (64)
/// 16      8    width
/// 24      8    height
/// 32      4    channels
/// 36      1    sample type: 1 uint8, 2 uint16, 3 float32, 4 float64
/// 37      1    CFA pattern: 0 none, 1 RGGB, 2 BGGR, 3 GRBG, 4 GBRG
/// 38      1    method: 1 residual, 2 variance
/// 39      1    neighbourhood: 1 = median of the 8-sample ring, CFA step 2 / RGB step 1
/// 40      1    statistic scalar: 4 = float32
/// 41      7    zero
/// 48      8    frames accumulated
/// 56      8    zero
/// 64      4N   mean        (float32, N = width·height·channels, interleaved row-major)
/// ...     4N   M2          (float32)
/// ...     bN   minimum     (residual method only; sample type, b bytes each)
/// ...     bN   maximum     (residual method only)
/// ...     8    L: byte count of the frame list
/// ...     L    frame list: the accumulated frames' paths, UTF-8, one per line (for --resume)
/// end-8   8    checksum: a 64-bit multiply-rotate hash of every byte before it
/// ```
public enum HotPixelStateFile {
    /// The format version this build writes and reads.
    public static let version = 1
    static let magic: [UInt8] = Array("PXHOTST\0".utf8)
    static let headerSize = 64

    /// A state read from a file: the statistics and the frames they contain.
    public struct Contents: Sendable {
        /// The statistics.
        public var state: AnyHotPixelAccumulator
        /// The accumulated frames' paths, in order (what `--resume` skips).
        public var frames: [String]
    }

    /// Writes `state` and the names of its frames to `path` atomically (temporary file beside it, then rename).
    public static func write(_ state: AnyHotPixelAccumulator, frames: [String], to path: String) throws {
        try AtomicFile.write(to: path) { temporary in
            let writer = try FileWriter(path: temporary, reportedPath: path)
            try emit(state, frames: frames) { try writer.write($0) }
            try writer.close()
        }
    }

    /// The bytes of the state file of `state` and `frames` (what ``write(_:frames:to:)`` writes), in memory:
    /// for shards that travel between processes without a file.
    public static func encode(_ state: AnyHotPixelAccumulator, frames: [String]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedSize(state, frames: frames)) { buffer, count in
            encode(state, frames: frames, into: UnsafeMutableRawBufferPointer(buffer))
            count = buffer.count
        }
    }

    /// How many bytes ``encode(_:frames:into:)`` writes.
    public static func encodedSize(_ state: AnyHotPixelAccumulator, frames: [String]) -> Int {
        let arrays = withArrays(state) { $0.reduce(0) { $0 + $1.count } }
        let names = frames.reduce(0) { $0 + $1.utf8.count } + Swift.max(0, frames.count - 1)
        return headerSize + arrays + 8 + names + 8
    }

    /// Writes the state file's bytes into `buffer` (exactly ``encodedSize(_:frames:)`` bytes), in one pass:
    /// a state of hundreds of MB is written once, into memory the caller chose (no growing array, no copy).
    public static func encode(_ state: AnyHotPixelAccumulator, frames: [String], into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count == encodedSize(state, frames: frames), "state buffer of the wrong size")
        var offset = 0
        emit(state, frames: frames) { piece in
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + piece.count)]).copyMemory(from: piece)
            offset += piece.count
        }
    }

    /// Hands the file's bytes, in order, to `sink`: header, arrays, frame list, checksum.
    static func emit(_ state: AnyHotPixelAccumulator, frames: [String], to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let g = state.geometry
        var header = [UInt8](repeating: 0, count: headerSize)
        func put(_ value: UInt64, at offset: Int, size: Int) {
            for byte in 0..<size { header[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
        }
        header.replaceSubrange(0..<8, with: magic)
        put(UInt64(version), at: 8, size: 4)
        put(UInt64(headerSize), at: 12, size: 4)
        put(UInt64(g.width), at: 16, size: 8)
        put(UInt64(g.height), at: 24, size: 8)
        put(UInt64(g.channels), at: 32, size: 4)
        header[36] = sampleCode(g.sampleType)
        header[37] = g.cfa.map { UInt8(CFAPattern.allCases.firstIndex(of: $0)! + 1) } ?? 0
        header[38] = g.method == .residual ? 1 : 2
        header[39] = 1
        header[40] = 4
        put(UInt64(state.frameCount), at: 48, size: 8)

        var hash = StateHash()
        func hashed(_ raw: UnsafeRawBufferPointer) throws {
            hash.add(raw)
            try sink(raw)
        }
        try header.withUnsafeBytes { try hashed($0) }
        try withArrays(state) { arrays in
            for array in arrays { try hashed(array) }
        }
        let names = Array(frames.joined(separator: "\n").utf8)
        var length = UInt64(names.count).littleEndian
        try withUnsafeBytes(of: &length) { try hashed($0) }
        try names.withUnsafeBytes { try hashed($0) }
        var checksum = hash.value.littleEndian
        try withUnsafeBytes(of: &checksum) { try sink($0) }
    }

    /// The checksum a state file ends with, computed over `bytes`: every byte of the file before its last
    /// eight. For writers of state files outside this library, and for the fuzz harness, which repairs the
    /// checksum of mutated inputs to reach what follows the check.
    public static func checksum(of bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = StateHash()
        hash.add(bytes)
        return hash.value
    }

    /// Reads a state file, checking magic, version, size and checksum.
    public static func read(_ path: String) throws -> Contents {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try decode(UnsafeRawBufferPointer(file.bytes), name: path) }
    }

    /// The geometry, frame count and frame list of the state file at `path`, every size and the checksum
    /// checked; its arrays are not read into memory (the file is mapped).
    public static func summary(_ path: String) throws -> (geometry: HotPixelGeometry, frameCount: Int, frames: [String]) {
        let file = try MappedFile(path: path)
        let parts = try withExtendedLifetime(file) { try parse(UnsafeRawBufferPointer(file.bytes), name: path) }
        return (parts.geometry, parts.frameCount, parts.frames)
    }

    /// Chan-merges the state file at `path` into `state` from the mapped file (no decoded copy of it); returns
    /// its frame list. Throws ``HotPixelStateError/mismatch(path:expected:found:)`` on another geometry.
    public static func merge(file path: String, into state: AnyHotPixelAccumulator) throws -> [String] {
        let file = try MappedFile(path: path)
        return try withExtendedLifetime(file) { try merge(UnsafeRawBufferPointer(file.bytes), name: path, into: state) }
    }

    /// Reads a state from the bytes of a state file (checked as ``read(_:)`` checks a file); `name` names the
    /// source in errors.
    public static func decode(_ bytes: UnsafeRawBufferPointer, name path: String) throws(HotPixelStateError) -> Contents {
        let parts = try parse(bytes, name: path)
        let state = AnyHotPixelAccumulator(geometry: parts.geometry)
        var offset = headerSize
        withArrays(state) { arrays in
            for array in arrays {
                UnsafeMutableRawBufferPointer(mutating: array).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + array.count)]))
                offset += array.count
            }
        }
        switch state {
        case .uint8(let a): a.setFrameCount(parts.frameCount)
        case .uint16(let a): a.setFrameCount(parts.frameCount)
        case .float32(let a): a.setFrameCount(parts.frameCount)
        case .float64(let a): a.setFrameCount(parts.frameCount)
        }
        return Contents(state: state, frames: parts.frames)
    }

    /// Chan-merges the state in `bytes` (checked as ``decode(_:name:)`` checks it) into `state`, reading its
    /// arrays where they are: no copy of a state that may be hundreds of MB. Returns its frame list.
    /// Throws ``HotPixelStateError/mismatch(path:expected:found:)`` when its geometry differs from `state`'s.
    public static func merge(_ bytes: UnsafeRawBufferPointer, name path: String,
                             into state: AnyHotPixelAccumulator) throws(HotPixelStateError) -> [String] {
        let parts = try parse(bytes, name: path)
        guard parts.geometry == state.geometry else {
            throw HotPixelStateError.mismatch(path: path, expected: "\(state.geometry)", found: "\(parts.geometry)")
        }
        let n = parts.geometry.sampleCount, sampleSize = parts.geometry.sampleType.byteCount
        let means = bytes.baseAddress! + headerSize
        guard Int(bitPattern: means) % 4 == 0, Int(bitPattern: means + 8 * n) % sampleSize == 0 else {
            // Bytes at an odd address (a slice of a larger buffer): typed loads need them aligned first.
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
            defer { copy.deallocate() }
            copy.copyMemory(from: bytes)
            return try merge(UnsafeRawBufferPointer(copy), name: path, into: state)
        }
        state.merge(arrays: UnsafeRawPointer(means), frameCount: parts.frameCount)
        return parts.frames
    }

    /// A state file's geometry, frame count and frame list, every size and the checksum checked; its arrays
    /// start at ``headerSize``, in ``withArrays(_:_:)``'s order.
    struct Parts {
        var geometry: HotPixelGeometry
        var frameCount: Int
        var frames: [String]
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, name path: String) throws(HotPixelStateError) -> Parts {
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else { throw HotPixelStateError.notAState(path: path) }
        func get(_ offset: Int, _ size: Int) -> UInt64 {
            var value: UInt64 = 0
            for byte in 0..<size { value |= UInt64(bytes[offset + byte]) << (8 * UInt64(byte)) }
            return value
        }
        let fileVersion = Int(get(8, 4))
        guard fileVersion == version else { throw HotPixelStateError.unsupportedVersion(path: path, version: fileVersion) }
        guard bytes.count >= headerSize + 8 else {
            throw HotPixelStateError.truncated(path: path, expected: headerSize + 8, actual: bytes.count)
        }
        guard Int(get(12, 4)) == headerSize else { throw HotPixelStateError.invalidHeader(path: path, detail: "header size \(get(12, 4))") }
        let width = get(16, 8), height = get(24, 8), channels = get(32, 4)
        guard width > 0, height > 0, width < 1 << 31, height < 1 << 31, (1...4).contains(channels) else {
            throw HotPixelStateError.invalidHeader(path: path, detail: "size \(width)×\(height)×\(channels)")
        }
        guard let sampleType = sampleType(code: bytes[36]) else {
            throw HotPixelStateError.invalidHeader(path: path, detail: "sample type code \(bytes[36])")
        }
        let cfaCode = Int(bytes[37])
        guard cfaCode <= CFAPattern.allCases.count else { throw HotPixelStateError.invalidHeader(path: path, detail: "CFA code \(cfaCode)") }
        guard let method: HotPixelMethod = bytes[38] == 1 ? .residual : bytes[38] == 2 ? .variance : nil else {
            throw HotPixelStateError.invalidHeader(path: path, detail: "method code \(bytes[38])")
        }
        guard bytes[39] == 1, bytes[40] == 4 else {
            throw HotPixelStateError.invalidHeader(path: path, detail: "neighbourhood \(bytes[39]) / statistic scalar \(bytes[40])")
        }
        let geometry = HotPixelGeometry(width: Int(width), height: Int(height), channels: Int(channels), sampleType: sampleType,
                                        cfa: cfaCode == 0 ? nil : CFAPattern.allCases[cfaCode - 1], method: method)
        // Sizes from the header are checked before any arithmetic on them: a damaged header must be an error,
        // not an overflow trap (found by fuzzing: fuzz/findings/FuzzState).
        let frameField = get(48, 8)
        guard frameField <= UInt64(Int32.max) else {
            throw HotPixelStateError.invalidHeader(path: path, detail: "frame count \(frameField)")
        }
        let frames = Int(frameField)
        // Bytes per sample in the arrays: a running sum and sum of squares (8), plus two extrema for residuals.
        let perSample = 8 + (method == .residual ? 2 * sampleType.byteCount : 0)
        let (pixels, overflow) = Int(width).multipliedReportingOverflow(by: Int(height))
        guard !overflow, pixels <= (Int.max / 4 - headerSize) / (Int(channels) * perSample) else {
            throw HotPixelStateError.invalidHeader(path: path, detail: "size \(width)×\(height)×\(channels) is larger than any file")
        }
        let n = geometry.sampleCount
        let arraysEnd = headerSize + n * perSample
        guard bytes.count >= arraysEnd + 16 else {
            throw HotPixelStateError.truncated(path: path, expected: arraysEnd + 16, actual: bytes.count)
        }
        let listLength = get(arraysEnd, 8)
        guard listLength < UInt64(bytes.count) else {
            let declared = Int(clamping: listLength)
            throw HotPixelStateError.truncated(path: path, expected: declared > Int.max - arraysEnd - 16 ? Int.max : arraysEnd + 16 + declared,
                                               actual: bytes.count)
        }
        let expected = arraysEnd + 8 + Int(listLength) + 8
        guard bytes.count == expected else {
            if bytes.count < expected { throw HotPixelStateError.truncated(path: path, expected: expected, actual: bytes.count) }
            throw HotPixelStateError.invalidHeader(path: path, detail: "\(bytes.count) bytes, expected \(expected)")
        }
        guard checksum(of: UnsafeRawBufferPointer(rebasing: bytes[0..<(expected - 8)])) == get(expected - 8, 8) else {
            throw HotPixelStateError.badChecksum(path: path)
        }

        // Decoding with repair would turn a bad byte into U+FFFD: a different path, which --resume would then not
        // skip, and a state that no longer writes back as itself (found by fuzzing: fuzz/findings/FuzzState).
        guard let listText = String(validating: UnsafeRawBufferPointer(rebasing: bytes[(arraysEnd + 8)..<(expected - 8)]), as: UTF8.self) else {
            throw HotPixelStateError.invalidHeader(path: path, detail: "the frame list is not UTF-8 text")
        }
        let names = listText.isEmpty ? [] : listText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return Parts(geometry: geometry, frameCount: frames, frames: names)
    }

    /// The accumulator's arrays as raw bytes, in file order.
    static func withArrays<R>(_ state: AnyHotPixelAccumulator, _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        func arrays<S>(_ a: HotPixelAccumulator<S>) -> [UnsafeRawBufferPointer] {
            [UnsafeRawBufferPointer(a.mean), UnsafeRawBufferPointer(a.m2),
             UnsafeRawBufferPointer(a.minimum), UnsafeRawBufferPointer(a.maximum)].filter { $0.count > 0 }
        }
        switch state {
        case .uint8(let a): return try body(arrays(a))
        case .uint16(let a): return try body(arrays(a))
        case .float32(let a): return try body(arrays(a))
        case .float64(let a): return try body(arrays(a))
        }
    }

    static func sampleCode(_ type: SampleType) -> UInt8 {
        switch type {
        case .uint8: 1
        case .uint16: 2
        case .float32: 3
        case .float64: 4
        }
    }

    static func sampleType(code: UInt8) -> SampleType? {
        switch code {
        case 1: .uint8
        case 2: .uint16
        case 3: .float32
        case 4: .float64
        default: nil
        }
    }
}

/// A fast 64-bit hash over bytes, 8 at a time (multiply, rotate, xor): catches flipped bits and swapped
/// blocks; not cryptographic. Streaming: the same bytes in any split give the same value.
struct StateHash {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var pending: UInt64 = 0
    private var pendingBytes = 0
    private var length: UInt64 = 0

    mutating func add(_ raw: UnsafeRawBufferPointer) {
        var index = 0
        let count = raw.count
        length &+= UInt64(count)
        while pendingBytes != 0, index < count {
            pending |= UInt64(raw[index]) << (8 * UInt64(pendingBytes))
            pendingBytes += 1
            index += 1
            if pendingBytes == 8 { mix(pending); pending = 0; pendingBytes = 0 }
        }
        while index + 8 <= count {
            mix(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
            index += 8
        }
        while index < count {
            pending |= UInt64(raw[index]) << (8 * UInt64(pendingBytes))
            pendingBytes += 1
            index += 1
        }
    }

    @inline(__always) private mutating func mix(_ word: UInt64) {
        state = (state ^ (word &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15
        state = (state << 31) | (state >> 33)
    }

    var value: UInt64 {
        var copy = self
        if copy.pendingBytes > 0 { copy.mix(copy.pending) }
        copy.mix(length)
        return copy.state ^ (copy.state >> 29)
    }
}
