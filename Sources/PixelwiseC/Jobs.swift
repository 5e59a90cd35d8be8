import CPixelwiseABI
import Pixelwise
import PixelwiseIO

// Sampling, cropping, blurring and the distance transform through the C ABI: each checks its arguments,
// wraps the caller's memory without copying, and calls the job's one library entry point.

@_cdecl("pw_sample")
public func pwSample(_ image: UnsafePointer<pw_image>?, _ points: UnsafeRawPointer?, _ pointsType: Int32, _ count: Int64,
                     _ interpolation: Int32, _ output: UnsafeMutableRawPointer?,
                     _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let source = try ImageViews.input(image, name: "image")
        guard count >= 0 else { throw ABIError.value("count \(count): must be ≥ 0") }
        guard count == 0 || (points != nil && output != nil) else { throw ABIError.value("points and output must not be NULL") }
        guard pointsType == PW_POINTS_INT64 || pointsType == PW_POINTS_FLOAT64 else {
            throw ABIError.type("points: type code \(pointsType) is not PW_POINTS_INT64 or PW_POINTS_FLOAT64")
        }
        guard interpolation == PW_NEAREST || interpolation == PW_BILINEAR else {
            throw ABIError.value("interpolation: code \(interpolation) is not PW_NEAREST or PW_BILINEAR")
        }
        if count == 0 { return }
        guard !source.isEmpty else { throw ABIError.value("image: is empty (\(source.width)×\(source.height)); no point lies inside") }
        try source.apply(SampleJob(points: points!, integer: pointsType == PW_POINTS_INT64, count: Int(count),
                                   bilinear: interpolation == PW_BILINEAR, output: output!))
    }
}

/// Gathers at the points into the caller's output, specialised for the image's sample type.
struct SampleJob: ImageOperation {
    let points: UnsafeRawPointer
    let integer: Bool
    let count: Int
    let bilinear: Bool
    let output: UnsafeMutableRawPointer

    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws {
        let n = count * image.channels
        if bilinear {
            let target = UnsafeMutableBufferPointer(start: output.assumingMemoryBound(to: Double.self), count: n)
            if integer {
                // Integer points are pixel centres: bilinear there is the pixel's value, as float64.
                let xy = UnsafeBufferPointer(start: points.assumingMemoryBound(to: Int64.self), count: 2 * count)
                let asDouble = xy.map { Double($0) }
                try asDouble.withUnsafeBufferPointer { try Gather.bilinear(image, points: $0, into: target) }
            } else {
                let xy = UnsafeBufferPointer(start: points.assumingMemoryBound(to: Double.self), count: 2 * count)
                try Gather.bilinear(image, points: xy, into: target)
            }
            return
        }
        let target = UnsafeMutableBufferPointer(start: output.assumingMemoryBound(to: S.self), count: n)
        if integer {
            try Gather.nearest(image, points: UnsafeBufferPointer(start: points.assumingMemoryBound(to: Int64.self), count: 2 * count),
                               into: target)
        } else {
            try Gather.nearest(image, points: UnsafeBufferPointer(start: points.assumingMemoryBound(to: Double.self), count: 2 * count),
                               into: target)
        }
    }
}

@_cdecl("pw_crop")
public func pwCrop(_ image: UnsafePointer<pw_image>?, _ x: Int64, _ y: Int64, _ width: Int64, _ height: Int64,
                   _ output: UnsafePointer<pw_image>?, _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let source = try ImageViews.input(image, name: "image")
        guard width >= 0, height >= 0 else { throw ABIError.value("width, height \(width), \(height): must be ≥ 0") }
        // Subtracted, not added: x + width can overflow Int64 (a trap) for huge arguments.
        guard x >= 0, y >= 0, width <= Int64(source.width) - x, height <= Int64(source.height) - y else {
            throw ABIError.value("region x \(x), y \(y), width \(width), height \(height): is outside the \(source.width)×\(source.height) image")
        }
        let target = try ImageViews.output(output, name: "output", width: Int(width), height: Int(height),
                                           channels: source.channels, types: [source.sampleType])
        let region = source.region(x: Int(x), y: Int(y), width: Int(width), height: Int(height))
        region.apply(CopyInto(target: target))
    }
}

/// Copies an image row by row into a target of the same type and geometry.
struct CopyInto: ImageOperation {
    typealias Failure = Never
    let target: AnyMutableImageBuffer
    func callAsFunction<S: PixelSample>(_ image: Image<S>) {
        guard let out = target.typed(as: S.self) else { preconditionFailure("copy target of another type") }
        let rowLength = image.width * image.channels
        image.withUnsafeBuffer { source in
            Parallel.forEachChunk(count: image.height, minimumChunk: Swift.max(1, 262_144 / Swift.max(rowLength, 1))) { rows in
                for y in rows { out.rowPointer(y).update(from: source.rowPointer(y), count: rowLength) }
            }
        }
    }
}

@_cdecl("pw_blur")
public func pwBlur(_ image: UnsafePointer<pw_image>?, _ radius: UnsafePointer<pw_radius>?, _ kernel: Int32,
                   _ output: UnsafePointer<pw_image>?, _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let source = try ImageViews.input(image, name: "image")
        let r = try required(radius, name: "radius").pointee
        let kernelValue: BlurKernel
        switch kernel {
        case PW_KERNEL_BOX: kernelValue = .box
        case PW_KERNEL_GAUSSIAN: kernelValue = .gaussian
        default: throw ABIError.value("kernel: code \(kernel) is not PW_KERNEL_BOX or PW_KERNEL_GAUSSIAN")
        }
        guard !source.isEmpty else { throw BlurError.emptyImage(source: "image") }
        let radiusSource: RadiusSource
        switch r.kind {
        case PW_RADIUS_UNIFORM:
            guard r.radius >= 0, r.radius.isFinite else { throw ABIError.value("radius \(r.radius): must be finite and ≥ 0") }
            radiusSource = .uniform(r.radius)
        case PW_RADIUS_MAP:
            let map = try withUnsafePointer(to: r.map) { try ImageViews.input($0, name: "radius") }
            radiusSource = .map(map, name: "radius")
        case PW_RADIUS_DISTANCE:
            let mask = try withUnsafePointer(to: r.mask) { try ImageViews.input($0, name: "distance_from") }
            guard mask.width == source.width, mask.height == source.height else {
                throw BlurError.sizeMismatch(source: "distance_from", width: mask.width, height: mask.height,
                                             imageWidth: source.width, imageHeight: source.height)
            }
            radiusSource = try RadiusSource.distance(from: mask, perPixel: r.per_pixel, maximum: r.max_radius,
                                                     maskName: "distance_from", perPixelName: "per_pixel", maximumName: "max_radius")
        default: throw ABIError.value("radius: kind \(r.kind) is not PW_RADIUS_UNIFORM, PW_RADIUS_MAP or PW_RADIUS_DISTANCE")
        }
        let field = try radiusSource.field(width: source.width, height: source.height)
        let target = try ImageViews.output(output, name: "output", width: source.width, height: source.height,
                                           channels: source.channels, types: [source.sampleType, .float32, .float64])
        try field.blur(source, kernel: kernelValue, into: target, imageName: "image")
    }
}

@_cdecl("pw_distance_transform")
public func pwDistanceTransform(_ mask: UnsafePointer<pw_image>?, _ output: UnsafePointer<pw_image>?,
                                _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let source = try ImageViews.input(mask, name: "mask")
        guard source.channels == 1 else { throw ABIError.type("mask: has \(source.channels) channels; a mask has one") }
        let target = try ImageViews.output(output, name: "output", width: source.width, height: source.height,
                                           channels: 1, types: [.float32])
        guard !source.isEmpty else { return }
        let transform = try source.apply(DistanceOf(name: "mask"))
        let out = target.typed(as: Float.self)!
        let width = source.width
        Parallel.forEachChunk(count: source.height, minimumChunk: Swift.max(1, 16_384 / Swift.max(width, 1))) { rows in
            let squared = UnsafeMutablePointer<Double>.allocate(capacity: width)
            defer { squared.deallocate() }
            for y in rows {
                transform.squaredDistances(row: y, into: squared)
                let row = out.rowPointer(y)
                for x in 0..<width { row[x] = Float(squared[x].squareRoot()) }
            }
        }
    }
}
