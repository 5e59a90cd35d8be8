/// The blur job's one entry point, shared by the CLI, the C ABI and Python: which kernel, which output sample
/// type, and a radius field of whichever concrete type, so that every kernel runs specialised.

/// The blur kernel: the exact window mean or a Gaussian.
public enum BlurKernel: String, Sendable, CaseIterable {
    /// The exact mean over the (2r+1)×(2r+1) window clipped to the image.
    case box
    /// A Gaussian of per-pixel σ truncated at 4σ and renormalised inside the image.
    case gaussian
}

/// The sample type of a blurred image: the input's own (rounded, clamped), float32 or float64.
public enum BlurOutputType: String, Sendable, CaseIterable {
    case same, float32, float64

    /// The output's sample type for an input of type `input`.
    public func sampleType(for input: SampleType) -> SampleType {
        switch self {
        case .same: input
        case .float32: .float32
        case .float64: .float64
        }
    }
}

/// Where the radii come from, before the image size is known.
public enum RadiusSource: Sendable {
    /// One radius (or σ) everywhere.
    case uniform(Double)
    /// A one-channel map of any sample type; `name` names it in errors.
    case map(AnyImage, name: String)
    /// Radii from a distance transform.
    case distance(DistanceRadius)

    /// The distance source: radius = min(`perPixel` × distance to the nearest nonzero pixel of `mask`, `maximum`).
    /// Checks the parameters, then computes the transform.
    public static func distance(from mask: AnyImage, perPixel: Double, maximum: Double = .infinity,
                                maskName: String = "mask", perPixelName: String = "--per-pixel",
                                maximumName: String = "--max-radius") throws(BlurError) -> RadiusSource {
        guard perPixel >= 0, perPixel.isFinite else {
            throw .invalidParameter(name: perPixelName, value: perPixel, requirement: "must be finite and ≥ 0")
        }
        guard maximum >= 0 else { throw .invalidParameter(name: maximumName, value: maximum, requirement: "must be ≥ 0") }
        let transform = try mask.apply(DistanceOf(name: maskName))
        return .distance(try DistanceRadius(transform, perPixel: perPixel, maximum: maximum, sourceName: maskName))
    }

    /// The field for an image of `width` × `height`, checked against that size.
    public func field(width: Int, height: Int) throws(BlurError) -> AnyRadiusField {
        let field: AnyRadiusField
        switch self {
        case .uniform(let r):
            guard r >= 0, r.isFinite else { throw .invalidParameter(name: "--radius", value: r, requirement: "must be finite and ≥ 0") }
            field = .uniform(UniformRadius(width: width, height: height, radius: r))
        case let .map(.uint8(m), name): field = .uint8(try RadiusMap(m, sourceName: name))
        case let .map(.uint16(m), name): field = .uint16(try RadiusMap(m, sourceName: name))
        case let .map(.float32(m), name): field = .float32(try RadiusMap(m, sourceName: name))
        case let .map(.float64(m), name): field = .float64(try RadiusMap(m, sourceName: name))
        case .distance(let d): field = .distance(d)
        }
        try field.check(width: width, height: height)
        return field
    }
}

/// The distance transform of a mask of any sample type (`name` names the mask in errors).
public struct DistanceOf: ImageOperation {
    public typealias Failure = BlurError
    public let name: String
    public init(name: String) { self.name = name }
    public func callAsFunction<S: PixelSample>(_ mask: Image<S>) throws(BlurError) -> DistanceTransform {
        try DistanceTransform(mask: mask, sourceName: name)
    }
}

/// A radius field of whichever concrete type, so that each kernel is specialised for it.
public enum AnyRadiusField: Sendable {
    case uniform(UniformRadius)
    case uint8(RadiusMap<UInt8>)
    case uint16(RadiusMap<UInt16>)
    case float32(RadiusMap<Float>)
    case float64(RadiusMap<Double>)
    case distance(DistanceRadius)

    /// Throws when the field is not `width` × `height`.
    public func check(width: Int, height: Int) throws(BlurError) {
        switch self {
        case .uniform(let f): try f.checkSize(imageWidth: width, imageHeight: height)
        case .uint8(let f): try f.checkSize(imageWidth: width, imageHeight: height)
        case .uint16(let f): try f.checkSize(imageWidth: width, imageHeight: height)
        case .float32(let f): try f.checkSize(imageWidth: width, imageHeight: height)
        case .float64(let f): try f.checkSize(imageWidth: width, imageHeight: height)
        case .distance(let f): try f.checkSize(imageWidth: width, imageHeight: height)
        }
    }

    /// Blurs `image` with `kernel` into a new image of the `dtype` asked for.
    public func blur(_ image: AnyImage, kernel: BlurKernel, dtype: BlurOutputType = .same, imageName: String = "image",
                     progress: (@Sendable (Int) -> Void)? = nil) throws(BlurError) -> AnyImage {
        switch self {
        case .uniform(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .uint8(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .uint16(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .float32(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .float64(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .distance(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        }
    }

    /// Blurs `image` with `kernel` into memory the caller provides (an output array, a file's memory map), of
    /// the image's size and channels; its sample type is the output type. Everything is checked before
    /// `target` is written.
    public func blur(_ image: AnyImage, kernel: BlurKernel, into target: AnyMutableImageBuffer, imageName: String = "image",
                     progress: (@Sendable (Int) -> Void)? = nil) throws(BlurError) {
        switch self {
        case .uniform(let f): try image.apply(BlurIntoJob(field: f, kernel: kernel, target: target, imageName: imageName, progress: progress))
        case .uint8(let f): try image.apply(BlurIntoJob(field: f, kernel: kernel, target: target, imageName: imageName, progress: progress))
        case .uint16(let f): try image.apply(BlurIntoJob(field: f, kernel: kernel, target: target, imageName: imageName, progress: progress))
        case .float32(let f): try image.apply(BlurIntoJob(field: f, kernel: kernel, target: target, imageName: imageName, progress: progress))
        case .float64(let f): try image.apply(BlurIntoJob(field: f, kernel: kernel, target: target, imageName: imageName, progress: progress))
        case .distance(let f): try image.apply(BlurIntoJob(field: f, kernel: kernel, target: target, imageName: imageName, progress: progress))
        }
    }

    /// Peak memory of ``blur(_:kernel:dtype:imageName:progress:)`` (or of the `into:` form, `dtype` nil) on an
    /// image of this field's size with `channels` channels of `inputType`, besides that image and this field:
    /// the output and the kernel's working buffers, sized for the field's largest radius. Reads the field
    /// once (the largest radius), allocates nothing else; throws what the kernel would throw for a negative,
    /// NaN or infinite radius.
    public func blurMemory(kernel: BlurKernel, channels: Int, inputType: SampleType,
                           dtype: BlurOutputType?) throws(BlurError) -> MemoryNeed {
        let (width, height, largest, whole) = try shape()
        let output = dtype?.sampleType(for: inputType)
        switch kernel {
        case .box:
            return VariableBlur.boxMeanMemory(width: width, height: height, channels: channels, inputType: inputType,
                                              outputType: output, largestRadius: largest, wholeRadii: whole)
        case .gaussian:
            return VariableBlur.gaussianMemory(width: width, height: height, channels: channels, outputType: output,
                                               maximumSigma: largest)
        }
    }

    /// Size, largest radius and whether the radii are small whole numbers, for whichever field this is.
    private func shape() throws(BlurError) -> (width: Int, height: Int, largest: Double, whole: Bool) {
        func of<F: RadiusField>(_ f: F) throws(BlurError) -> (Int, Int, Double, Bool) {
            let maxima = f.hasSmallIntegerRadii ? f.integerRowMaxima() : try f.validatedRowMaxima()
            return (f.width, f.height, maxima.max() ?? 0, f.hasSmallIntegerRadii)
        }
        switch self {
        // Checked when made; no need for a pass over every pixel.
        case .uniform(let f): return (f.width, f.height, f.radius, f.hasSmallIntegerRadii)
        case .uint8(let f): return try of(f)
        case .uint16(let f): return try of(f)
        case .float32(let f): return try of(f)
        case .float64(let f): return try of(f)
        case .distance(let f): return try of(f)
        }
    }

    /// The sample type of ``image()``: what `--save-radius-map` writes, known before anything is computed.
    public var imageSampleType: SampleType {
        switch self {
        case .uniform(let f): Float(f.radius).doubleValue == f.radius ? .float32 : .float64
        case .uint8, .uint16, .float32: .float32
        case .float64, .distance: .float64
        }
    }

    /// The radius map used, as float32 when every value survives that exactly, else float64.
    public func image() -> AnyImage {
        switch self {
        case .uniform(let f): Float(f.radius).doubleValue == f.radius ? .float32(f.image(as: Float.self)) : .float64(f.image())
        case .uint8(let f): .float32(f.image(as: Float.self))
        case .uint16(let f): .float32(f.image(as: Float.self))
        case .float32(let f): .float32(f.image(as: Float.self))
        case .float64(let f): .float64(f.image())
        case .distance(let f): .float64(f.image())
        }
    }
}

/// Runs the chosen kernel on the image's sample type, producing the chosen output type.
struct BlurJob<Field: RadiusField>: ImageOperation {
    typealias Failure = BlurError
    let field: Field
    let kernel: BlurKernel
    let dtype: BlurOutputType
    let imageName: String
    let progress: (@Sendable (Int) -> Void)?

    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws(BlurError) -> AnyImage {
        switch dtype {
        case .same: AnyImage(try run(image, as: S.self))
        case .float32: AnyImage(try run(image, as: Float.self))
        case .float64: AnyImage(try run(image, as: Double.self))
        }
    }

    func run<S: PixelSample, Out: PixelSample>(_ image: Image<S>, as: Out.Type) throws(BlurError) -> Image<Out> {
        switch kernel {
        case .box: try VariableBlur.boxMean(image, radii: field, as: Out.self, imageName: imageName, progress: progress)
        case .gaussian: try VariableBlur.gaussian(image, sigmas: field, as: Out.self, imageName: imageName, progress: progress)
        }
    }
}

/// Runs the chosen kernel on the image's sample type into the target's sample type.
struct BlurIntoJob<Field: RadiusField>: ImageOperation {
    typealias Failure = BlurError
    let field: Field
    let kernel: BlurKernel
    let target: AnyMutableImageBuffer
    let imageName: String
    let progress: (@Sendable (Int) -> Void)?

    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws(BlurError) {
        switch target {
        case .uint8(let t): try run(image, into: t)
        case .uint16(let t): try run(image, into: t)
        case .float32(let t): try run(image, into: t)
        case .float64(let t): try run(image, into: t)
        }
    }

    func run<S: PixelSample, Out: PixelSample>(_ image: Image<S>, into target: MutableImageBuffer<Out>) throws(BlurError) {
        guard target.width == image.width, target.height == image.height, target.channels == image.channels else {
            throw .sizeMismatch(source: "output", width: target.width, height: target.height,
                                imageWidth: image.width, imageHeight: image.height)
        }
        switch kernel {
        case .box: try VariableBlur.boxMean(image, radii: field, into: target, imageName: imageName, progress: progress)
        case .gaussian: try VariableBlur.gaussian(image, sigmas: field, into: target, imageName: imageName, progress: progress)
        }
    }
}
