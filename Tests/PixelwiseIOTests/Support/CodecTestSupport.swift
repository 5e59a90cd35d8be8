import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

/// A fresh folder under the system temporary folder, removed when the value dies.
final class TemporaryFolder {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/pixelwise-io-tests-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "cannot make a temporary folder")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// A path inside the folder.
    func file(_ name: String) -> String { path + "/" + name }

    /// Files in the folder other than `keep` (a leftover temporary file shows here).
    func files(except keep: Set<String>) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !keep.contains($0) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The sizes every round trip covers: single pixels, single rows and columns, and widths that are not
/// multiples of 8 or 16 (where SIMD and block codecs have their edge cases).
let awkwardSizes: [(width: Int, height: Int)] = [(1, 1), (1, 9), (9, 1), (3, 7), (17, 5), (33, 9), (40, 24)]

/// Random samples over each type's whole range (floats: finite values of every magnitude and sign,
/// plus zero, the extremes and a subnormal).
func randomImage<S: PixelSample>(_ type: S.Type, width: Int, height: Int, channels: Int, seed: UInt64) -> Image<S> {
    var generator = SplitMix64(seed: seed)
    let count = width * height * channels
    var samples = [S]()
    samples.reserveCapacity(count)
    for index in 0..<count {
        switch S.sampleType {
        case .uint8: samples.append(UInt8.random(in: 0...255, using: &generator) as! S)
        case .uint16: samples.append(UInt16.random(in: 0...65535, using: &generator) as! S)
        case .float32:
            let specials: [Float] = [0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 1]
            let value = index < specials.count ? specials[index]
                : Float.random(in: -1...1, using: &generator) * Float(sign: .plus, exponent: Int.random(in: -20...20, using: &generator), significand: 1)
            samples.append(value as! S)
        case .float64:
            let specials: [Double] = [0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 1]
            let value = index < specials.count ? specials[index]
                : Double.random(in: -1...1, using: &generator) * Double(sign: .plus, exponent: Int.random(in: -60...60, using: &generator), significand: 1)
            samples.append(value as! S)
        }
    }
    return Image(width: width, height: height, channels: channels, samples: samples)
}

/// A random image of the given run-time sample type.
func randomAnyImage(_ type: SampleType, width: Int, height: Int, channels: Int, seed: UInt64) -> AnyImage {
    switch type {
    case .uint8: .uint8(randomImage(UInt8.self, width: width, height: height, channels: channels, seed: seed))
    case .uint16: .uint16(randomImage(UInt16.self, width: width, height: height, channels: channels, seed: seed))
    case .float32: .float32(randomImage(Float.self, width: width, height: height, channels: channels, seed: seed))
    case .float64: .float64(randomImage(Double.self, width: width, height: height, channels: channels, seed: seed))
    }
}

/// A smooth 8-bit image with a little noise: what photos look like to a JPEG encoder (pure noise would
/// only measure how badly JPEG does on noise).
func photoLikeImage(width: Int, height: Int, channels: Int, seed: UInt64) -> Image<UInt8> {
    var generator = SplitMix64(seed: seed)
    let phase = Double.random(in: 0...6, using: &generator)
    var samples = [UInt8]()
    samples.reserveCapacity(width * height * channels)
    for y in 0..<height {
        for x in 0..<width {
            for channel in 0..<channels {
                let wave = sin(Double(x) * 0.11 + Double(y) * 0.07 + phase + Double(channel))
                    + 0.5 * cos(Double(x) * 0.031 - Double(y) * 0.053 + 2 * Double(channel))
                let noise = Double(Int.random(in: -3...3, using: &generator))
                samples.append(UInt8(roundingClamping: 128 + 70 * wave / 1.5 + noise))
            }
        }
    }
    return Image(width: width, height: height, channels: channels, samples: samples)
}

/// The bytes of a file.
func bytes(of path: String) -> [UInt8] {
    Array(FileManager.default.contents(atPath: path) ?? Data())
}

/// Writes bytes to a file (not atomically: tests build deliberately broken files).
func writeBytes(_ bytes: [UInt8], to path: String) {
    let written = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    precondition(written, "cannot write \(path)")
}

/// A copy of `source` cut to its first half.
func writeFirstHalf(of source: String, to path: String) {
    let all = bytes(of: source)
    writeBytes(Array(all.prefix(all.count / 2)), to: path)
}

/// The error `body` throws, as an ``ImageFileError`` (nil when it throws nothing or something else).
func imageFileError(_ body: () throws -> Void) -> ImageFileError? {
    do {
        try body()
        return nil
    } catch let error as ImageFileError {
        return error
    } catch {
        return nil
    }
}

/// Checks that an error message is one line and names the file.
func expectOneLine(_ error: ImageFileError?, naming path: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error else { return }
    let text = error.description
    #expect(!text.contains("\n"), "message spans lines: \(text)", sourceLocation: sourceLocation)
    #expect(text.contains(path), "message does not name \(path): \(text)", sourceLocation: sourceLocation)
}

/// Whether `error` is ``ImageFileError/truncated(path:format:)``.
func isTruncated(_ error: ImageFileError?, _ format: ImageFormat) -> Bool {
    if case let .truncated(_, found)? = error { return found == format }
    return false
}

/// Whether `error` is ``ImageFileError/corrupt(path:format:detail:)``.
func isCorrupt(_ error: ImageFileError?, _ format: ImageFormat) -> Bool {
    if case let .corrupt(_, found, _)? = error { return found == format }
    return false
}

/// Whether `error` is ``ImageFileError/unsupported(path:detail:)``.
func isUnsupported(_ error: ImageFileError?) -> Bool {
    if case .unsupported? = error { return true }
    return false
}

/// Whether `error` is ``ImageFileError/tooManyPixels(path:width:height:limit:)``.
func isTooManyPixels(_ error: ImageFileError?) -> Bool {
    if case .tooManyPixels? = error { return true }
    return false
}

/// The standard CRC-32 (PNG chunks), bitwise: slow and obvious.
func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// One round-trip case: a sample type, a channel count and a size.
struct RoundTripCase: CustomStringConvertible, Sendable {
    let sampleType: SampleType
    let channels: Int
    let width: Int
    let height: Int
    var description: String { "\(sampleType) \(width)×\(height)×\(channels)" }
    var seed: UInt64 { UInt64(width * 1_000_003 + height * 1009 + channels * 31) &+ UInt64(sampleType.byteCount) }

    /// Every combination of the given types and channel counts with ``awkwardSizes``.
    static func all(types: [SampleType], channels: [Int]) -> [RoundTripCase] {
        types.flatMap { type in
            channels.flatMap { count in
                awkwardSizes.map { RoundTripCase(sampleType: type, channels: count, width: $0.width, height: $0.height) }
            }
        }
    }
}

/// A little-endian classic TIFF built byte by byte, for files no library writes on purpose (DNGs,
/// directories before the pixels, odd tags). Values longer than 4 bytes go after the directory.
struct HandBuiltTIFF {
    enum FieldType: UInt16 { case byte = 1, ascii = 2, short = 3, long = 4, rational = 5, srational = 10 }
    struct Entry {
        var tag: UInt16
        var type: FieldType
        var count: Int
        var payload: [UInt8]
    }
    var entries: [Entry] = []

    mutating func shorts(_ tag: UInt16, _ values: [UInt16]) {
        entries.append(Entry(tag: tag, type: .short, count: values.count, payload: values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
    }
    mutating func longs(_ tag: UInt16, _ values: [UInt32]) {
        entries.append(Entry(tag: tag, type: .long, count: values.count, payload: values.flatMap { v in (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }))
    }
    mutating func bytes(_ tag: UInt16, _ values: [UInt8]) {
        entries.append(Entry(tag: tag, type: .byte, count: values.count, payload: values))
    }
    mutating func ascii(_ tag: UInt16, _ text: String) {
        let payload = Array(text.utf8) + [0]
        entries.append(Entry(tag: tag, type: .ascii, count: payload.count, payload: payload))
    }
    mutating func signedRationals(_ tag: UInt16, _ values: [(Int32, Int32)]) {
        let payload = values.flatMap { pair in [pair.0, pair.1].flatMap { v in (0..<4).map { UInt8((UInt32(bitPattern: v) >> (8 * $0)) & 0xFF) } } }
        entries.append(Entry(tag: tag, type: .srational, count: values.count, payload: payload))
    }

    /// The file: header, directory (entries sorted by tag), out-of-line values, then `pixels`, whose
    /// offset is written into tag 273 (StripOffsets) or 324 (TileOffsets), present with one LONG.
    func build(pixels: [UInt8]) -> [UInt8] {
        let sorted = entries.sorted { $0.tag < $1.tag }
        let directorySize = 2 + sorted.count * 12 + 4
        var extra = [UInt8]()
        var extraOffsets = [Int]()
        for entry in sorted {
            extraOffsets.append(8 + directorySize + extra.count)
            if entry.payload.count > 4 {
                extra += entry.payload
                if extra.count % 2 == 1 { extra.append(0) }
            }
        }
        let pixelOffset = UInt32(8 + directorySize + extra.count)
        var out: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0]
        func append16(_ value: UInt16) { out += [UInt8(value & 0xFF), UInt8(value >> 8)] }
        func append32(_ value: UInt32) { out += (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        append16(UInt16(sorted.count))
        for (index, entry) in sorted.enumerated() {
            append16(entry.tag)
            append16(entry.type.rawValue)
            append32(UInt32(entry.count))
            if entry.tag == 273 || entry.tag == 324 {
                append32(pixelOffset)
            } else if entry.payload.count > 4 {
                append32(UInt32(extraOffsets[index]))
            } else {
                out += entry.payload + [UInt8](repeating: 0, count: 4 - entry.payload.count)
            }
        }
        append32(0)
        return out + extra + pixels
    }
}

/// A minimal uncompressed 16-bit DNG of `mosaic` (row-major, `width × height`) with the given 2×2 CFA
/// pattern (0 = red, 1 = green, 2 = blue) and, optionally, an active area (top, left, bottom, right).
func minimalDNG(mosaic: [UInt16], width: Int, height: Int, pattern: [UInt8],
                activeArea: (top: Int, left: Int, bottom: Int, right: Int)? = nil) -> [UInt8] {
    var tiff = HandBuiltTIFF()
    tiff.longs(254, [0])                                   // NewSubfileType: main image
    tiff.longs(256, [UInt32(width)])
    tiff.longs(257, [UInt32(height)])
    tiff.shorts(258, [16])                                 // BitsPerSample
    tiff.shorts(259, [1])                                  // no compression
    tiff.shorts(262, [32803])                              // Photometric: CFA
    tiff.ascii(271, "Pixelwise")                           // Make
    tiff.ascii(272, "Test")                                // Model
    tiff.longs(273, [0])                                   // StripOffsets (patched)
    tiff.shorts(277, [1])                                  // SamplesPerPixel
    tiff.longs(278, [UInt32(height)])                      // RowsPerStrip
    tiff.longs(279, [UInt32(width * height * 2)])          // StripByteCounts
    tiff.shorts(33421, [2, 2])                             // CFARepeatPatternDim
    tiff.bytes(33422, pattern)                             // CFAPattern
    tiff.bytes(50706, [1, 4, 0, 0])                        // DNGVersion
    tiff.bytes(50707, [1, 1, 0, 0])                        // DNGBackwardVersion
    tiff.ascii(50708, "Pixelwise Test")                    // UniqueCameraModel
    tiff.shorts(50717, [65535])                            // WhiteLevel
    tiff.signedRationals(50721, [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)])  // ColorMatrix1
    tiff.shorts(50778, [21])                               // CalibrationIlluminant1: D65
    if let area = activeArea {
        tiff.longs(50829, [UInt32(area.top), UInt32(area.left), UInt32(area.bottom), UInt32(area.right)])  // ActiveArea
    }
    let pixels = mosaic.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    return tiff.build(pixels: pixels)
}
