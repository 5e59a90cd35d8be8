#if canImport(Glibc)
import Glibc
#endif
import Pixelwise
import PixelwiseIO

/// Helpers shared by the fuzz targets.
public enum Fuzz {
    /// Read options for fuzzing: at most 2^22 pixels (16 MB of uint8 RGBA), so that a valid header declaring a
    /// big image is refused like a bomb instead of hitting libFuzzer's memory limit; no memory map (the file
    /// is rewritten for every input).
    public static let options = ImageReadOptions(maxPixels: 1 << 22, allowMemoryMap: false)

    /// Writes the input to a file of this process in /dev/shm (or /tmp) and calls `body` with its path:
    /// the readers take paths, as the CLI does.
    public static func withFile(_ data: UnsafePointer<UInt8>, _ size: Int, extension ext: String, _ body: (String) -> Void) {
        let folder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let path = "\(folder)/pixelwise-fuzz-\(getpid()).\(ext)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("fuzz: cannot create \(path)") }
        var written = 0
        while written < size {
            let n = write(fd, data + written, size - written)
            guard n > 0 else { fatalError("fuzz: cannot write \(path)") }
            written += n
        }
        close(fd)
        body(path)
    }

    /// Touches every sample (so that a reader handing back too little memory shows under ASan).
    public static func consume(_ image: AnyImage) {
        var sum = 0.0
        switch image {
        case .uint8(let i): i.withUnsafeBuffer { b in for y in 0..<b.height { let r = b.rowPointer(y); for x in 0..<(b.width * b.channels) { sum += Double(r[x]) } } }
        case .uint16(let i): i.withUnsafeBuffer { b in for y in 0..<b.height { let r = b.rowPointer(y); for x in 0..<(b.width * b.channels) { sum += Double(r[x]) } } }
        case .float32(let i): i.withUnsafeBuffer { b in for y in 0..<b.height { let r = b.rowPointer(y); for x in 0..<(b.width * b.channels) { sum += Double(r[x]) } } }
        case .float64(let i): i.withUnsafeBuffer { b in for y in 0..<b.height { let r = b.rowPointer(y); for x in 0..<(b.width * b.channels) { sum += r[x] } } }
        }
        blackHole(sum)
    }

    @inline(never) public static func blackHole(_ value: Double) { if value == -1.2345e300 { print(value) } }
}
