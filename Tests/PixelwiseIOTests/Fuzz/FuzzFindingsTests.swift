import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

/// Inputs found by the fuzz targets (scripts/fuzz.sh, docs/reliability.md), each a clean error now. The
/// original files are in fuzz/findings/<target>/.
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    /// FuzzState, crash-63087f7a…: a list length near 2^64 overflowed `Int` while the error message computed
    /// the size the file should have had (HotPixelState.swift, "arithmetic overflow" trap).
    static let stateListLength = Array(Data(base64Encoded: "UFhIT1RTVAABAAAAQAAAAAwAAAAAAAAACAAAAAAAAAABAAAAAQACAQQAAAAAAAAAAwAAAAAAAAAAAAAAAAAAAFVViUIAAIpCVVWLQququkKrqr5CVVW1QquqlkIAAJpCq6qeQgAAoEJWVZtCVlWZQquqikKrqoxCq6qOQlVVp0JVVb1CVVWjQlVVlUJVVZlCVVWfQquqoEKrqpxCq6qYQquqjEKrqo5CAACSQgAAkkJVVZFCq6qQQgAAmEJVVZtCAACcQquqmEJVVZlCAACYQlVVjULb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb2wAAkEIAAJJCq6qSQquqlEKrqpBCAACYQquqrEKrqqJCq6qYQquqmEIAAJhCVVWPQquqjkIAAI5Cq6qOQlVVl0KrqpRCq6qUQgAAkkKrqpRCAACaQlVVl0JVVZlCq6qQQlVVj0JVVYtCVVWLQquqlEKrqpZCVVWVQquqkEJVVZFCVVWVQgAAlkIAAJpCq6qQQlVVlUJVVZdCq6qUQlVVk0IAAJhCVVWVQquqkkKrqpJCVVWXQquqmkJVVZlCVVWVQlVVpUJWVatCq6qgQquqlkJVVZFCVVWXQquqlkJVVZVCVVWXQgAAmkKrqppCVlWhQwAAq0NXVcxDqypsRatKYkWryhJFVJWdRAAAl0RUVZpEAMCgRFOVxUSqKgNFVVWcQ1RVsUNUVdRDVVW4RKvKPkWsqkhEVlWBRFaVg0RWFYVEVJWLRFQVqERUleNEVVW0Q1RVsUMAAO1DAIAIRKwqIkSpKkVEAIBJRKwqUEQAAGBEVBWQRFYVmEQAQLlEVlW6QwAAwUMAAO1DqioARKkqLUSpKiBEAIAjRKoqX0SqKitEqSpmRFSVh0QAQKhEVlXqQ1RV5UMAANBDVFXUQ6wqQ0RTVf5DqSoURAAAGESpKjBEAIBHRFZVjkRWlaREqqoMRFdV8ENXVf5DV1X0Q1NV9ENUVapDWFXlQ1NV7EOsKgxErCo8RADAi0QAQJ9EVFXiQ6wqJkSsKmdEqiorRFdV1EMAAN9DV1XIQ1NV0UOqKgdErCoeRKkqVERWlYpEV1X+Q1aVv0RTFf5EVFWGRFRVukOuqkhDWFX+Q1NVxEOsKglErKoQRACANESpqnREUAAAAAAAAAAvdG1wL3RtcC5pblVzT0cxWFdXL2YwLnBuZwovdG1wL3RtcC5pblVzT0cxWFdXL2YxLnBuZwovdG1wL3RtcC5pblVzT0cxWFdXL2YyLnBuZzicUJCkSSgb")!)

    func read(_ bytes: [UInt8]) throws -> Result<HotPixelStateFile.Contents, any Error> {
        let folder = try TemporaryFolder()
        let path = folder.file("fuzz.state")
        writeBytes(bytes, to: path)
        return Result { try HotPixelStateFile.read(path) }
    }

    @Test func stateWithAHugeListLengthIsAnError() throws {
        guard case .failure(let error) = try read(Self.stateListLength) else { Issue.record("read a damaged state"); return }
        #expect("\(error)".contains("fuzz.state"))
    }

    /// The same header with the other sizes pushed to the edges: huge width × height × channels (the arrays'
    /// size overflowed too), and a frame count past `Int`.
    @Test(arguments: [(16, UInt64(1) << 31 - 1, 8), (24, UInt64(1) << 31 - 1, 8), (48, UInt64.max, 8), (48, UInt64(1) << 40, 8)])
    func stateWithHugeHeaderFieldsIsAnError(offset: Int, value: UInt64, size: Int) throws {
        var bytes = Self.stateListLength
        if offset == 24 { for i in 0..<8 { bytes[16 + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) } }
        for i in 0..<size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        bytes[32] = 4
        guard case .failure(let error) = try read(bytes) else { Issue.record("read a damaged state"); return }
        #expect("\(error)".contains("fuzz.state"))
    }

    /// FuzzState, crash-3de92a0c… (session 8, once the harness repaired checksums): a frame list holding a
    /// byte that is not UTF-8 (0xF4 in a path) was decoded with repair into U+FFFD, so the state loaded with a
    /// path it never held (two bytes longer). It is an error now, whatever the byte and wherever in the list.
    @Test(arguments: [0xF4, 0xFF, 0xC0, 0x80] as [UInt8])
    func stateWhoseFrameListIsNotUTF8IsAnError(byte: UInt8) throws {
        let state = AnyHotPixelAccumulator(geometry: HotPixelGeometry(width: 3, height: 2, channels: 1, sampleType: .uint8,
                                                                      cfa: nil, method: .residual))
        let bytes = HotPixelStateFile.encode(state, frames: ["/tmp/a.png", "/tmp/b.png"])
        let listStart = bytes.count - 8 - "/tmp/a.png\n/tmp/b.png".utf8.count
        for offset in [listStart, listStart + 5, bytes.count - 9] {
            var damaged = bytes
            damaged[offset] = byte
            guard case .failure(let error) = try read(Self.withChecksumRepaired(damaged)) else {
                Issue.record("read a frame list with byte \(byte) at \(offset)")
                continue
            }
            #expect("\(error)".contains("fuzz.state") && "\(error)".contains("not UTF-8"), "\(error)")
        }
        // The same steps without the damage read back: the test damages only what it says.
        let contents = try read(Self.withChecksumRepaired(bytes)).get()
        #expect(contents.frames == ["/tmp/a.png", "/tmp/b.png"])
    }

    /// `bytes` with their last eight replaced by the checksum of the rest (what FuzzState does to its inputs).
    static func withChecksumRepaired(_ bytes: [UInt8]) -> [UInt8] {
        var repaired = bytes
        let checksum = bytes.withUnsafeBytes { HotPixelStateFile.checksum(of: UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 8)])) }
        for i in 0..<8 { repaired[bytes.count - 8 + i] = UInt8(truncatingIfNeeded: checksum >> (8 * UInt64(i))) }
        return repaired
    }

    /// FuzzTIFF, crash-31e1f341…: a BigTIFF whose first directory offset is 0xFFFF…: adding 8 to it to check
    /// for a cut file overflowed `UInt64` (TIFF.swift, directoryIsPastEnd).
    static let bigTIFFOffset = Array(Data(base64Encoded: "SUkrALn9//////////////////////////////////////////////////////+7/2CAhp7AWwABAA==")!)

    /// FuzzNPY, timeout-7bc135a2…: an NPY of shape (9999999999911, 0, 3) has no pixel, so it passed the pixel
    /// limit, and a row loop over it ran 10¹³ times (a hang); empty arrays are refused now.
    static let emptyNPYWithHugeHeight = Array(Data(base64Encoded: "k05VTVBZAQBxAHsnZGVzY3InOiAnPHU0JywgJ2ZvcnRyYXMsICdmb3J0cmFuX29yZGVyJzogYWxGcyZlLCAnc2hhcGUnOiAoMDk5OTk5OTk5OTk5MTEgLDAsIDMpLCB9IE1XVz98dTEnXCwgJ2Y/b1kgKDA0IENsb3NlZGVyJzogRicgJCA=")!)

    @Test func emptyNPYIsAnError() throws {
        let folder = try TemporaryFolder()
        for (name, bytes) in [("fuzz.npy", Self.emptyNPYWithHugeHeight),
                              ("zero-width.npy", NPY.header(dataType: NPY.DataType(.uint8), shape: [5, 0, 3])),
                              ("zero-height.npy", NPY.header(dataType: NPY.DataType(.float32), shape: [0, 7]))] {
            let path = folder.file(name)
            writeBytes(bytes, to: path)
            for attempt in [{ _ = try ImageFile.read(path) }, { _ = try ImageFile.info(path) }] {
                let error = imageFileError(attempt)
                #expect(error != nil, "\(name) was read")
                #expect(error.map { "\($0)".contains(name) } == true)
            }
        }
    }

    /// FuzzPoints (session 6; the input was lost to Swift's backtracer, which took the crash before libFuzzer
    /// could save it): integer points past Int.max (a uint64 NPY) trapped in the conversion to Int.
    @Test func hugeUnsignedPointsAreClampedNotATrap() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("points.npy")
        let values: [UInt64] = [3, UInt64.max, 1 << 63, 7]
        let bytes = NPY.header(dataType: NPY.DataType(kind: .uint, size: 8), shape: [2, 2])
            + values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
        writeBytes(bytes, to: path)
        let points = try PointList.read(path)
        let read = points.withCoordinates(integers: { Array($0) }, reals: { $0.map { Int($0) } })
        #expect(read == [3, Int.max, Int.max, 7])
    }

    @Test func bigTIFFWithAHugeDirectoryOffsetIsAnError() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("fuzz.tif")
        writeBytes(Self.bigTIFFOffset, to: path)
        #expect(throws: (any Error).self) { try ImageFile.read(path) }
        #expect(throws: (any Error).self) { try ImageFile.info(path) }
    }
}
