import FuzzSupport
import PixelwiseIO

/// libFuzzer entry point: the input is a hot-pixel state file (`scan --save-state`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    Fuzz.withFile(data, size, extension: "state") { path in
        if let contents = try? HotPixelStateFile.read(path) {
            Fuzz.blackHole(Double(contents.frames.count + contents.state.geometry.width))
        }
    }
    return 0
}
