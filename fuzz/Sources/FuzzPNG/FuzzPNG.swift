import FuzzSupport
import PixelwiseIO

/// libFuzzer entry point: the input is a file given to the PNG reader (header, then full decode).
/// Errors are expected; crashes, hangs and sanitizer reports are findings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    Fuzz.withFile(data, size, extension: "png") { path in
        _ = try? PNG.readInfo(path)
        if let image = try? PNG.read(path, options: Fuzz.options) { Fuzz.consume(image) }
    }
    return 0
}
