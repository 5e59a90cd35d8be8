import FuzzSupport
import PixelwiseIO

/// libFuzzer entry point: the input is a file given to the TIFF reader (header, then full decode).
/// Errors are expected; crashes, hangs and sanitizer reports are findings.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    Fuzz.withFile(data, size, extension: "tif") { path in
        _ = try? TIFF.readInfo(path)
        // Metadata: GeoTIFF tags, and EXIF and GPS IFDs rewritten by libtiff as a stream (TIFFEXIF.swift).
        _ = try? TIFF.readMetadata(path)
        if let image = try? TIFF.read(path, options: Fuzz.options) { Fuzz.consume(image) }
    }
    return 0
}
