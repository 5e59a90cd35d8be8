import FuzzSupport
import PixelwiseIO

/// libFuzzer entry point: a points file (CSV or N×2 NPY, told apart by the leading bytes, as `sample
/// --points` does); the points are then read back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    Fuzz.withFile(data, size, extension: "pts") { path in
        guard let points = try? PointList.read(path) else { return }
        var sum = 0.0
        points.withCoordinates(
            integers: { for v in $0 { sum += Double(v) } },
            reals: { for v in $0 { sum += v } })
        Fuzz.blackHole(sum)
    }
    return 0
}
