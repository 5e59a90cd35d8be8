import PixelwiseC

/// libFuzzer entry point for the C ABI: the input chooses an image descriptor (sample type, width, height,
/// channels, extra row padding — random codes included), fills real memory of that size with its bytes, and
/// calls one exported function with parameters read from the input (radii NaN/±inf/huge, points anywhere,
/// centres in any order, codes out of range). A non-OK status is expected; a crash, hang or sanitizer report
/// is a finding. The memory always matches the descriptor: only what a caller can get right is held fixed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = Input(data, size)
    let op = input.byte() % 8
    let typeCode = Int32(input.byte() % 5)  // 4 is invalid on purpose
    let width = Int64(input.byte() % 40), height = Int64(input.byte() % 40), channels = Int64(input.byte() % 6)
    let padding = Int64(input.byte() % 9)
    let sampleSize: Int64 = [1, 2, 4, 8, 1][Int(typeCode)]
    let stride = width * max(channels, 1) * sampleSize + padding * sampleSize
    let bytes = Int(stride * max(height, 1)) + 64
    let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
    defer { memory.deallocate() }
    for i in 0..<bytes { memory.storeBytes(of: input.byte(), toByteOffset: i, as: UInt8.self) }
    var image = pw_image(data: memory, width: width, height: height, channels: channels, row_stride: stride, sample_type: typeCode)
    var error = [CChar](repeating: 0, count: 256)
    let outputBytes = Int(max(width, 1) * max(height, 1) * 4 * 8) + 64
    let output = UnsafeMutableRawPointer.allocate(byteCount: outputBytes, alignment: 16)
    defer { output.deallocate() }
    switch op {
    case 0:  // sample: points anywhere
        let count = Int(input.byte() % 16)
        var ints = (0..<(2 * count)).map { _ in Int64(Int8(bitPattern: input.byte())) * Int64(input.byte() % 3 == 0 ? 1 << 40 : 1) }
        var doubles = (0..<(2 * count)).map { _ in input.double() }
        let integer = input.byte() % 2 == 0
        let bilinear = Int32(input.byte() % 3)
        let room = count * Int(max(channels, 1)) * 8
        guard room <= outputBytes else { return 0 }
        _ = integer
            ? pwSample(&image, &ints, PW_POINTS_INT64, Int64(count), bilinear, output, &error, 256)
            : pwSample(&image, &doubles, PW_POINTS_FLOAT64, Int64(count), bilinear, output, &error, 256)
    case 1:  // blur with a uniform radius or σ
        var radius = pw_radius()
        radius.kind = PW_RADIUS_UNIFORM
        radius.radius = input.double()
        var target = pw_image(data: output, width: width, height: height, channels: channels,
                              row_stride: width * max(channels, 1) * 8, sample_type: Int32(input.byte() % 4))
        _ = pwBlur(&image, &radius, Int32(input.byte() % 3), &target, &error, 256)
    case 2:  // blur with the image itself as a radius map, or as a distance mask
        var radius = pw_radius()
        radius.kind = Int32(input.byte() % 3)
        radius.map = image
        radius.mask = image
        radius.per_pixel = input.double()
        radius.max_radius = input.double()
        radius.radius = input.double()
        var target = pw_image(data: output, width: width, height: height, channels: 1, row_stride: width * 8, sample_type: PW_FLOAT64)
        var source = pw_image(data: output, width: width, height: height, channels: 1, row_stride: width * 8, sample_type: PW_FLOAT64)
        let memoryOfSource = UnsafeMutableRawPointer.allocate(byteCount: outputBytes, alignment: 16)
        defer { memoryOfSource.deallocate() }
        memoryOfSource.initializeMemory(as: UInt8.self, repeating: 7, count: outputBytes)
        source.data = memoryOfSource
        _ = pwBlur(&source, &radius, Int32(input.byte() % 2), &target, &error, 256)
    case 3:  // distance transform
        var target = pw_image(data: output, width: width, height: height, channels: 1, row_stride: width * 4, sample_type: PW_FLOAT32)
        _ = pwDistanceTransform(&image, &target, &error, 256)
    case 4:  // quantize: fit then assign
        var centers = [Double](repeating: 0, count: 16)
        var count: Int64 = 0, objective = 0.0
        let k = Int64(input.byte() % 20) - 2
        // The capacity given is at most the array's 16: a caller that lies about its buffer is outside the
        // contract (an earlier `% 18` here overflowed this array by one Double: a harness bug, found by ASan).
        let status = pwQuantizeFit(&image, Int64(input.byte() % 5) - 1, k, Int64(input.byte() % 5), Int64(input.byte() % 20),
                                   Int32(input.byte() % 3), Int32(input.byte() % 3), Int64(input.byte() % 3), 5, 1,
                                   &centers, Int64(input.byte() % 17), &count, &objective, &error, 256)
        if status != PW_OK { count = Int64(input.byte() % 17); for i in 0..<16 { centers[i] = input.double() } }
        var labels = pw_image(data: output, width: width, height: height, channels: 1, row_stride: width, sample_type: PW_UINT8)
        _ = pwQuantizeAssign(&image, 0, &centers, min(count, 16), &labels, nil, &error, 256)
        // The fit on counted data: values and weights from the input (unsorted, repeated, NaN, zero weights).
        let n = Int(input.byte() % 24)
        var values = (0..<n).map { _ in input.byte() % 4 == 0 ? input.double() : Double(input.byte()) }
        if input.byte() % 2 == 0 { values.sort() }
        let weights = (0..<n).map { _ in input.byte() % 5 == 0 ? input.double() : Double(input.byte() % 9) }
        let weighted = input.byte() % 2 == 1, given = Int64(n) - Int64(input.byte() % 2)
        let kMin = Int64(input.byte() % 5), kMax = Int64(input.byte() % 20), method = Int32(input.byte() % 3)
        _ = values.withUnsafeBufferPointer { v in
            weights.withUnsafeBufferPointer { w in
                pwQuantizeFitValues(v.baseAddress, weighted ? w.baseAddress : nil, given, k, kMin, kMax, method, 2, 5, 1,
                                    &centers, 16, &count, &objective, &error, 256)
            }
        }
    case 5:  // repair in place
        let count = Int(input.byte() % 8)
        var sites = (0..<(3 * count)).map { _ in Int64(Int8(bitPattern: input.byte())) }
        _ = pwHotPixelsFix(&image, &sites, Int64(count), Int64(input.byte() % 4) - 1, Int32(input.byte() % 6), nil, &error, 256)
    case 6:  // a scan: add the image twice, detect
        var scan: OpaquePointer?
        guard pwScanNew(0, 0, 0, Int32(input.byte() % 6), Int32(input.byte() % 3), &scan, &error, 256) == PW_OK else { return 0 }
        defer { pwScanFree(scan) }
        _ = pwScanAdd(scan, &image, &error, 256)
        _ = pwScanAdd(scan, &image, &error, 256)
        var report: OpaquePointer?
        if pwScanDetect(scan, input.double(), Int64(input.byte()) - 2, Int64(input.byte() % 8) - 2, 0, &report, &error, 256) == PW_OK {
            pwBytesFree(report)
        }
    default:  // state bytes: the rest of the input, decoded, and merged in place into a scan of the image
        var scan: OpaquePointer?, target: OpaquePointer?
        let earlier = Int32(input.byte() % 2)
        let rest = input.rest()
        if pwScanFromBytes(rest.baseAddress, Int64(rest.count), &scan, &error, 256) == PW_OK { pwScanFree(scan) }
        guard pwScanNew(0, 0, 0, 0, 0, &target, &error, 256) == PW_OK else { return 0 }
        defer { pwScanFree(target) }
        _ = pwScanAdd(target, &image, &error, 256)
        _ = pwScanMergeBytes(target, rest.baseAddress, Int64(rest.count), earlier, &error, 256)
    }
    return 0
}

/// Reads the fuzz input front to back; past its end every read gives zeros.
struct Input {
    let data: UnsafePointer<UInt8>
    let size: Int
    var offset = 0
    init(_ data: UnsafePointer<UInt8>, _ size: Int) { self.data = data; self.size = size }
    mutating func byte() -> UInt8 {
        guard offset < size else { return 0 }
        defer { offset += 1 }
        return data[offset]
    }
    mutating func double() -> Double {
        switch byte() % 8 {
        case 0: return .nan
        case 1: return .infinity
        case 2: return -.infinity
        case 3: return 1e300
        case 4: return -Double(byte())
        default:
            var bits: UInt64 = 0
            for _ in 0..<8 { bits = bits << 8 | UInt64(byte()) }
            let value = Double(bitPattern: bits)
            return value.isFinite ? value.truncatingRemainder(dividingBy: 200) : value
        }
    }
    mutating func rest() -> UnsafeBufferPointer<UInt8> {
        defer { offset = size }
        return UnsafeBufferPointer(start: data + min(offset, size), count: max(0, size - offset))
    }
}
