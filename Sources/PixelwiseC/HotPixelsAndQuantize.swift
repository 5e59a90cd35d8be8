import CPixelwiseABI
import Foundation
import Pixelwise
import PixelwiseIO

// Quantization and hot pixels through the C ABI.

@_cdecl("pw_quantize_fit")
public func pwQuantizeFit(_ image: UnsafePointer<pw_image>?, _ channel: Int64, _ k: Int64, _ kMin: Int64, _ kMax: Int64,
                          _ weighting: Int32, _ method: Int32, _ restarts: Int64, _ maxIterations: Int64, _ seed: UInt64,
                          _ centers: UnsafeMutablePointer<Double>?, _ capacity: Int64, _ count: UnsafeMutablePointer<Int64>?,
                          _ objective: UnsafeMutablePointer<Double>?,
                          _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let source = try ImageViews.input(image, name: "image")
        let grey = try channelOf(source, channel)
        let settings = try fitSettings(k: k, kMin: kMin, kMax: kMax, weighting: weighting, method: method,
                                       restarts: restarts, maxIterations: maxIterations, seed: seed, capacity: capacity)
        guard let centers else { throw ABIError.value("centers: is NULL") }
        try report(try grey.apply(FitJob(settings: settings)), into: centers, capacity: capacity, count: count,
                   objective: objective)
    }
}

@_cdecl("pw_quantize_fit_values")
public func pwQuantizeFitValues(_ values: UnsafePointer<Double>?, _ weights: UnsafePointer<Double>?, _ n: Int64,
                                _ k: Int64, _ kMin: Int64, _ kMax: Int64, _ method: Int32, _ restarts: Int64,
                                _ maxIterations: Int64, _ seed: UInt64,
                                _ centers: UnsafeMutablePointer<Double>?, _ capacity: Int64, _ count: UnsafeMutablePointer<Int64>?,
                                _ objective: UnsafeMutablePointer<Double>?,
                                _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        guard n >= 1 else { throw ABIError.value("values: \(n) given; give at least one") }
        let given = Array(UnsafeBufferPointer(start: try required(values, name: "values"), count: Int(n)))
        for index in given.indices {
            guard given[index].isFinite else { throw ABIError.value("values[\(index)]: \(given[index]) is not finite") }
            guard index == 0 || given[index - 1] < given[index] else {
                throw ABIError.value("values[\(index)]: \(given[index]) is not greater than values[\(index - 1)] (they must be strictly increasing)")
            }
        }
        var weightList: [Double]?
        if let weights {
            weightList = Array(UnsafeBufferPointer(start: weights, count: Int(n)))
            if let bad = weightList!.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
                throw ABIError.value("weights[\(bad)]: \(weightList![bad]) is not a positive finite number")
            }
        }
        let settings = try fitSettings(k: k, kMin: kMin, kMax: kMax, weighting: weights == nil ? PW_WEIGHT_UNIQUE : PW_WEIGHT_PIXELS,
                                       method: method, restarts: restarts, maxIterations: maxIterations, seed: seed,
                                       capacity: capacity)
        guard let centers else { throw ABIError.value("centers: is NULL") }
        let fit = try Quantization.fit(WeightedValues(values: given, weights: weightList), settings: settings)
        try report(fit, into: centers, capacity: capacity, count: count, objective: objective)
    }
}

/// The fit's settings from the ABI's codes, each checked (the capacity too: it must hold k, or k_max for auto).
private func fitSettings(k: Int64, kMin: Int64, kMax: Int64, weighting: Int32, method: Int32, restarts: Int64,
                         maxIterations: Int64, seed: UInt64, capacity: Int64) throws -> QuantizationSettings {
    let levelCount: LevelCount
    if k > 0 {
        guard k <= 65536 else { throw ABIError.value("k \(k): at most 65536 levels (labels are 16-bit)") }
        levelCount = .fixed(Int(k))
    } else if k == 0 {
        guard kMin >= 1, kMin <= kMax, kMax <= 65536 else {
            throw ABIError.value("k auto:\(kMin)-\(kMax): needs 1 ≤ MIN ≤ MAX ≤ 65536")
        }
        levelCount = .automatic(Int(kMin)...Int(kMax))
    } else {
        throw ABIError.value("k \(k): must be at least 1 (or 0 for auto)")
    }
    let needed = k > 0 ? k : kMax
    guard capacity >= needed else { throw ABIError.value("centers: capacity \(capacity) is less than \(needed)") }
    let weightingValue: QuantizationWeighting
    switch weighting {
    case PW_WEIGHT_UNIQUE: weightingValue = .unique
    case PW_WEIGHT_PIXELS: weightingValue = .pixels
    default: throw ABIError.value("weighting: code \(weighting) is not PW_WEIGHT_UNIQUE or PW_WEIGHT_PIXELS")
    }
    let methodValue: QuantizationMethod
    switch method {
    case PW_METHOD_OPTIMAL: methodValue = .optimal
    case PW_METHOD_LLOYD: methodValue = .lloyd
    default: throw ABIError.value("method: code \(method) is not PW_METHOD_OPTIMAL or PW_METHOD_LLOYD")
    }
    guard restarts >= 1 else { throw ABIError.value("restarts \(restarts): must be at least 1") }
    guard maxIterations >= 1 else { throw ABIError.value("max_iterations \(maxIterations): must be at least 1") }
    return QuantizationSettings(levelCount: levelCount, weighting: weightingValue, method: methodValue,
                                restarts: Int(restarts), maximumIterations: Int(maxIterations), seed: seed)
}

/// Writes a fit's sorted centres, their number and its objective to the caller's memory.
private func report(_ fit: LevelFit, into centers: UnsafeMutablePointer<Double>, capacity: Int64,
                    count: UnsafeMutablePointer<Int64>?, objective: UnsafeMutablePointer<Double>?) throws {
    let found = fit.levels.centers
    precondition(found.count <= Int(capacity), "more levels than asked for")
    for (i, c) in found.enumerated() { centers[i] = c }
    count?.pointee = Int64(found.count)
    objective?.pointee = fit.objective
}

/// One channel of an image as a one-channel image (a view when it has one already).
func channelOf(_ image: AnyImage, _ channel: Int64) throws -> AnyImage {
    guard channel >= 0, channel < image.channels else {
        throw ABIError.value("channel \(channel): the image has \(image.channels) channel\(image.channels == 1 ? "" : "s") (0...\(image.channels - 1))")
    }
    guard !image.isEmpty else { throw QuantizationError.emptyImage(width: image.width, height: image.height) }
    return image.apply(ChannelOf(index: Int(channel)))
}

struct ChannelOf: ImageOperation {
    typealias Failure = Never
    let index: Int
    func callAsFunction<S: PixelSample>(_ image: Image<S>) -> AnyImage { AnyImage(Quantization.channel(index, of: image)) }
}

struct FitJob: ImageOperation {
    typealias Failure = QuantizationError
    let settings: QuantizationSettings
    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws(QuantizationError) -> LevelFit {
        try Quantization.fit(image, settings: settings)
    }
}

@_cdecl("pw_quantize_assign")
public func pwQuantizeAssign(_ image: UnsafePointer<pw_image>?, _ channel: Int64, _ centers: UnsafePointer<Double>?,
                             _ count: Int64, _ labels: UnsafePointer<pw_image>?, _ values: UnsafePointer<pw_image>?,
                             _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let source = try ImageViews.input(image, name: "image")
        let grey = try channelOf(source, channel)
        guard count >= 1, count <= 65536 else { throw ABIError.value("centers: \(count) given; give 1 to 65536") }
        let given = Array(UnsafeBufferPointer(start: try required(centers, name: "centers"), count: Int(count)))
        let levels = try QuantizationLevels(centers: given)
        let labelTarget = try labels.map {
            try ImageViews.output($0, name: "labels", width: grey.width, height: grey.height, channels: 1,
                                  types: [count <= 256 ? .uint8 : .uint16])
        }
        let valueTarget = try values.map {
            try ImageViews.output($0, name: "values", width: grey.width, height: grey.height, channels: 1,
                                  types: [grey.sampleType, .float64])
        }
        try grey.apply(AssignJob(levels: levels, labels: labelTarget, values: valueTarget))
    }
}

/// Labels and values into the caller's buffers, specialised for the image, label and value types.
struct AssignJob: ImageOperation {
    typealias Failure = QuantizationError
    let levels: QuantizationLevels
    let labels: AnyMutableImageBuffer?
    let values: AnyMutableImageBuffer?

    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws(QuantizationError) {
        switch labels {
        case .uint16(let l)?: try withValues(image, labels: l)
        case .uint8(let l)?: try withValues(image, labels: l)
        default: try withValues(image, labels: MutableImageBuffer<UInt8>?.none)
        }
    }

    func withValues<S: PixelSample, L: PixelSample & FixedWidthInteger & SIMDScalar>(
        _ image: Image<S>, labels: MutableImageBuffer<L>?
    ) throws(QuantizationError) {
        switch values {
        case .float64(let v)?: try levels.assign(image, labelsInto: labels, valuesInto: v)
        case let v?: try levels.assign(image, labelsInto: labels, valuesInto: v.typed(as: S.self)!)
        case nil: try levels.assign(image, labelsInto: labels, valuesInto: MutableImageBuffer<S>?.none)
        }
    }
}

// MARK: Hot pixels

func cfaPattern(_ code: Int32) throws -> CFAPattern? {
    switch code {
    case PW_CFA_NONE: nil
    case PW_CFA_RGGB: .rggb
    case PW_CFA_BGGR: .bggr
    case PW_CFA_GRBG: .grbg
    case PW_CFA_GBRG: .gbrg
    default: throw ABIError.value("cfa: code \(code) is not PW_CFA_NONE, RGGB, BGGR, GRBG or GBRG")
    }
}

func cfaCode(_ pattern: CFAPattern?) -> Int32 {
    switch pattern {
    case nil: PW_CFA_NONE
    case .rggb?: PW_CFA_RGGB
    case .bggr?: PW_CFA_BGGR
    case .grbg?: PW_CFA_GRBG
    case .gbrg?: PW_CFA_GBRG
    }
}

func scanner(_ handle: OpaquePointer?) throws -> HotPixelScanner {
    guard let handle else { throw ABIError.value("scan: is NULL") }
    return Unmanaged<HotPixelScanner>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
}

@_cdecl("pw_scan_new")
public func pwScanNew(_ width: Int64, _ height: Int64, _ channels: Int64, _ cfa: Int32, _ method: Int32,
                      _ scan: UnsafeMutablePointer<OpaquePointer?>?,
                      _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        guard let scan else { throw ABIError.value("scan: is NULL") }
        guard width >= 0, height >= 0, (width == 0) == (height == 0) else {
            throw ABIError.value("width, height \(width), \(height): give both (> 0) or neither (0)")
        }
        guard (0...4).contains(channels) else { throw ABIError.value("channels \(channels): must be 1 to 4 (or 0: from the first frame)") }
        let pattern = try cfaPattern(cfa)
        if pattern != nil, channels > 1 { throw ABIError.value("cfa: a CFA mosaic has one channel, not \(channels)") }
        let methodValue: HotPixelMethod
        switch method {
        case PW_HOTPIXELS_RESIDUAL: methodValue = .residual
        case PW_HOTPIXELS_VARIANCE: methodValue = .variance
        default: throw ABIError.value("method: code \(method) is not PW_HOTPIXELS_RESIDUAL or PW_HOTPIXELS_VARIANCE")
        }
        let made = HotPixelScanner(width: Int(width), height: Int(height), channels: Int(channels), cfa: pattern, method: methodValue)
        scan.pointee = OpaquePointer(Unmanaged.passRetained(made).toOpaque())
    }
}

@_cdecl("pw_scan_free")
public func pwScanFree(_ scan: OpaquePointer?) {
    guard let scan else { return }
    Unmanaged<HotPixelScanner>.fromOpaque(UnsafeRawPointer(scan)).release()
}

@_cdecl("pw_scan_frames")
public func pwScanFrames(_ scan: OpaquePointer?) -> Int64 {
    (try? scanner(scan)).map { Int64($0.frameCount) } ?? 0
}

@_cdecl("pw_scan_geometry")
public func pwScanGeometry(_ scan: OpaquePointer?, _ width: UnsafeMutablePointer<Int64>?, _ height: UnsafeMutablePointer<Int64>?,
                           _ channels: UnsafeMutablePointer<Int64>?, _ sampleType: UnsafeMutablePointer<Int32>?,
                           _ cfa: UnsafeMutablePointer<Int32>?, _ method: UnsafeMutablePointer<Int32>?) {
    guard let s = try? scanner(scan) else { return }
    let g = s.state?.geometry
    width?.pointee = Int64(g?.width ?? s.requestedWidth)
    height?.pointee = Int64(g?.height ?? s.requestedHeight)
    channels?.pointee = Int64(g?.channels ?? s.requestedChannels)
    sampleType?.pointee = g.map { ImageViews.code($0.sampleType) } ?? -1
    cfa?.pointee = cfaCode(g?.cfa ?? s.cfa)
    method?.pointee = s.method == .residual ? PW_HOTPIXELS_RESIDUAL : PW_HOTPIXELS_VARIANCE
}

@_cdecl("pw_scan_add")
public func pwScanAdd(_ scan: OpaquePointer?, _ frame: UnsafePointer<pw_image>?,
                      _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        try scanner(scan).add(ImageViews.input(frame, name: "frame"), name: nil)
    }
}

@_cdecl("pw_scan_add_files")
public func pwScanAddFiles(_ scan: OpaquePointer?, _ paths: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int64,
                           _ maxPixels: Int64, _ skippedJSON: UnsafeMutablePointer<OpaquePointer?>?,
                           _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let s = try scanner(scan)
        guard count >= 0 else { throw ABIError.value("count \(count): must be ≥ 0") }
        guard maxPixels >= 0 else { throw ABIError.value("max_pixels \(maxPixels): must be ≥ 0 (0 for the default)") }
        let list = try (0..<Int(count)).map { try string(try required(paths, name: "paths")[$0], name: "paths[\($0)]") }
        let options = ImageReadOptions(maxPixels: maxPixels == 0 ? ImageReadOptions.defaultMaxPixels : Int(maxPixels))
        let skipped = list.isEmpty ? [] : try s.addFiles(list, options: options)
        let report = skipped.map { ["path": $0.path, "reason": $0.reason] }
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        give(ByteString(data), to: skippedJSON)
    }
}

@_cdecl("pw_scan_merge")
public func pwScanMerge(_ scan: OpaquePointer?, _ other: OpaquePointer?,
                        _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let mine = try scanner(scan), theirs = try scanner(other)
        guard mine !== theirs else { throw ABIError.value("merge: a scan cannot be merged into itself") }
        try mine.merge(theirs)
    }
}

@_cdecl("pw_scan_to_bytes")
public func pwScanToBytes(_ scan: OpaquePointer?, _ bytes: UnsafeMutablePointer<OpaquePointer?>?,
                          _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        guard let bytes else { throw ABIError.value("bytes: is NULL") }
        let scanner = try scanner(scan)
        give(try ByteString(count: try scanner.encodedSize()) { try scanner.encode(into: $0) }, to: bytes)
    }
}

@_cdecl("pw_scan_merge_bytes")
public func pwScanMergeBytes(_ scan: OpaquePointer?, _ data: UnsafePointer<UInt8>?, _ size: Int64, _ earlier: Int32,
                             _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        guard size >= 0, size == 0 || data != nil else { throw ABIError.value("data: NULL or negative size \(size)") }
        try scanner(scan).merge(encoded: UnsafeRawBufferPointer(start: data, count: Int(size)), name: "state bytes",
                                earlier: earlier != 0)
    }
}

@_cdecl("pw_scan_from_bytes")
public func pwScanFromBytes(_ data: UnsafePointer<UInt8>?, _ size: Int64, _ scan: UnsafeMutablePointer<OpaquePointer?>?,
                            _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        guard let scan else { throw ABIError.value("scan: is NULL") }
        guard size >= 0, size == 0 || data != nil else { throw ABIError.value("data: NULL or negative size \(size)") }
        let raw = UnsafeRawBufferPointer(start: data, count: Int(size))
        let contents = try HotPixelStateFile.decode(raw, name: "state bytes")
        scan.pointee = OpaquePointer(Unmanaged.passRetained(HotPixelScanner(contents)).toOpaque())
    }
}

/// The detection report as JSON (the CLI's `--json` fields, snake_case).
struct DetectionReport: Encodable {
    let frames: Int
    let width: Int
    let height: Int
    let channels: Int
    let candidates: [DefectCandidate]
    let effective_threshold: Double?
    let samples_above_threshold: Int
    let note: String?
}

@_cdecl("pw_scan_detect")
public func pwScanDetect(_ scan: OpaquePointer?, _ threshold: Double, _ top: Int64, _ suppressionRadius: Int64,
                         _ flickering: Int32, _ reportJSON: UnsafeMutablePointer<OpaquePointer?>?,
                         _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let s = try scanner(scan)
        guard let reportJSON else { throw ABIError.value("report_json: is NULL") }
        let detection = try s.detect(threshold: threshold.isNaN ? HotPixelDetectionParameters.defaultThreshold : threshold,
                                     top: Int(clamping: top),
                                     suppressionRadius: suppressionRadius == -1 ? nil : Int(clamping: suppressionRadius),
                                     findFlickering: flickering != 0)
        let g = s.state!.geometry
        let report = DetectionReport(frames: s.frameCount, width: g.width, height: g.height, channels: g.channels,
                                     candidates: detection.candidates,
                                     effective_threshold: detection.effectiveThreshold.isFinite ? detection.effectiveThreshold : nil,
                                     samples_above_threshold: detection.samplesAboveThreshold, note: detection.note)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        give(ByteString(try encoder.encode(report)), to: reportJSON)
    }
}

@_cdecl("pw_hotpixels_fix")
public func pwHotPixelsFix(_ image: UnsafePointer<pw_image>?, _ sites: UnsafePointer<Int64>?, _ count: Int64, _ radius: Int64,
                           _ cfa: Int32, _ repaired: UnsafeMutablePointer<Int64>?,
                           _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        var target = try ImageViews.inPlace(image, name: "image")
        guard count >= 0 else { throw ABIError.value("count \(count): must be ≥ 0") }
        guard radius >= 0, radius <= 1024 else { throw ABIError.value("radius \(radius): must be 0 to 1024") }
        let pattern = try cfaPattern(cfa)
        let colourChannels = (target.channels == 2 || target.channels == 4) ? target.channels - 1 : target.channels
        var list = [DefectCorrection.Site]()
        list.reserveCapacity(Int(count))
        if count > 0 {
            let triples = try required(sites, name: "pixels")
            for i in 0..<Int(count) {
                let x = Int(triples[3 * i]), y = Int(triples[3 * i + 1]), c = triples[3 * i + 2]
                guard x >= 0, x < target.width, y >= 0, y < target.height else {
                    throw ABIError.value("pixels[\(i)]: (x \(x), y \(y)) is outside the \(target.width)×\(target.height) image")
                }
                guard c == -1 || (c >= 0 && c < colourChannels) else {
                    throw ABIError.value("pixels[\(i)]: channel \(c) is out of range for a \(target.channels)-channel image (0...\(colourChannels - 1), or -1 for all)")
                }
                list.append(DefectCorrection.Site(x: x, y: y, channel: c == -1 ? nil : Int(c)))
            }
        }
        let job = FixJob(sites: list, layout: pattern.map { .mosaic($0) } ?? .pixels, selection: .listedChannelOnly,
                         radius: Int(radius))
        let outcome = try job.repair(&target)
        repaired?.pointee = Int64(outcome.repairedSamples)
    }
}
