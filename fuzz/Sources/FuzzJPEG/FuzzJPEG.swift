import FuzzSupport
import PixelwiseIO

/// libFuzzer entry point: the input is a file given to the JPEG reader (header, then full decode).
/// Errors are expected; crashes, hangs and sanitizer reports are findings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    Fuzz.withFile(data, size, extension: "jpg") { path in
        _ = try? JPEG.readInfo(path)
        if let image = try? JPEG.read(path, options: Fuzz.options) { Fuzz.consume(image) }
    }
    return 0
}
