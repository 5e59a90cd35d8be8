import FuzzSupport
import Pixelwise
import PixelwiseIO

/// libFuzzer entry point: the input is a hot-pixel state file (`scan --save-state`, or state bytes from the
/// Python package).
///
/// Each input is tried twice: as it is (the checksum check rejects nearly every mutation), and with its last
/// eight bytes replaced by the checksum of the rest, so that the frame list, the array copy and the merge
/// behind the check are fuzzed too (libFuzzer's compare tracing alone almost never supplies a 64-bit hash).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    exercise(data, size)
    guard size >= 8 else { return 0 }
    let repaired = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
    defer { repaired.deallocate() }
    repaired.initialize(from: data, count: size)
    var checksum = HotPixelStateFile.checksum(of: UnsafeRawBufferPointer(start: repaired, count: size - 8)).littleEndian
    withUnsafeBytes(of: &checksum) { UnsafeMutableRawBufferPointer(start: repaired + size - 8, count: 8).copyMemory(from: $0) }
    exercise(repaired, size)
    return 0
}

/// Every public way a state comes in: from a file (read, summary, merge from the mapped file) and from bytes
/// in memory at an odd address (the merge's unaligned path); a state that loads must encode back to its bytes.
private func exercise(_ data: UnsafePointer<UInt8>, _ size: Int) {
    Fuzz.withFile(data, size, extension: "state") { path in
        _ = try? HotPixelStateFile.summary(path)
        guard let contents = try? HotPixelStateFile.read(path) else { return }
        let state = contents.state
        // A state that loads writes back as the same bytes, but for the header's reserved bytes (not
        // checked on reading, written as zeros) and so the checksum.
        let encoded = HotPixelStateFile.encode(state, frames: contents.frames)
        guard encoded.count == size else { fatalError("state of \(size) bytes encodes back as \(encoded.count)") }
        for offset in 0..<(size - 8) where !(41..<48).contains(offset) && !(56..<64).contains(offset) {
            guard encoded[offset] == data[offset] else { fatalError("state encodes back differently at byte \(offset)") }
        }
        _ = try? HotPixelStateFile.merge(file: path, into: state)
        let shifted = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 1, alignment: 16)
        defer { shifted.deallocate() }
        UnsafeMutableRawBufferPointer(rebasing: shifted[1...]).copyMemory(from: UnsafeRawBufferPointer(start: data, count: size))
        _ = try? HotPixelStateFile.merge(UnsafeRawBufferPointer(rebasing: shifted[1...]), name: path, into: state)
        Fuzz.blackHole(Double(contents.frames.count + state.geometry.width))
    }
}
