import FuzzSupport
import PixelwiseIO

/// libFuzzer entry point: the first byte picks the format (JSON, CSV, dcraw -P, RawTherapee), the rest is
/// the defect map's text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let formats: [DefectMapFormat] = [.json, .csv, .dcraw, .rawTherapee]
    let format = formats[Int(data[0]) % formats.count]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if let candidates = try? DefectMapFile.decode(bytes, format: format, source: "fuzz") {
        Fuzz.blackHole(Double(candidates.count))
    }
    return 0
}
