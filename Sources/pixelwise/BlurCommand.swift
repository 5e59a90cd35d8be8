import ArgumentParser
import Foundation
import Pixelwise
import PixelwiseIO

/// `pixelwise blur`: blur with a kernel whose size changes from pixel to pixel.
struct BlurCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blur",
        abstract: "Blur with a per-pixel radius (box mean) or σ (Gaussian).",
        discussion: """
        The radius comes from exactly one of: --radius R (everywhere the same), --radius-map MAP (a \
        one-channel image of the same size, any numeric type; its value is the radius, or σ for \
        --kernel gaussian), or --distance-from MASK --per-pixel S [--max-radius M] (radius = min(S × \
        Euclidean distance to the nearest nonzero mask pixel, M)). \
        box: the exact mean over the (2r+1)×(2r+1) window clipped to the image; a fractional radius \
        n+f weights the ring at distance n+1 by f. gaussian: a Gaussian of per-pixel σ truncated at 4σ \
        and renormalised inside the image (σ = 0 keeps the pixel). Every channel, alpha included, is \
        blurred independently. Output keeps the input's sample type (rounded, clamped) unless --dtype \
        asks for float32/float64. Several images need --output-dir.
        """)

    @Argument(help: "The image(s) to blur.")
    var images: [String]

    @Option(parsing: .unconditional, help: "One radius (or σ) for every pixel.")
    var radius: Double?

    @Option(help: "Per-pixel radius (or σ) map: a one-channel image of the image's size.")
    var radiusMap: String?

    @Option(help: "Mask whose nonzero pixels are the regions; the radius grows with the distance to them.")
    var distanceFrom: String?

    @Option(parsing: .unconditional, help: "Radius per pixel of distance (with --distance-from).")
    var perPixel: Double?

    @Option(parsing: .unconditional, help: "Largest radius (with --distance-from).")
    var maxRadius: Double?

    @Option(help: "box (exact window mean) or gaussian.")
    var kernel: KernelArgument = .box

    @Option(help: "Output sample type: same (the input's), float32 or float64.")
    var dtype: OutputTypeArgument = .same

    @Option(help: "Also write the radius map used (float32 when that is exact, else float64).")
    var saveRadiusMap: String?

    @Option(name: .shortAndLong, help: "Output file (one input image).")
    var output: String?

    @Option(help: "Output folder for several images (each keeps its file name).")
    var outputDir: String?

    @OptionGroup var reading: ImageReadingOptions
    @OptionGroup var writing: ImageWritingOptions

    enum KernelArgument: String, ExpressibleByArgument, CaseIterable { case box, gaussian }
    enum OutputTypeArgument: String, ExpressibleByArgument, CaseIterable { case same, float32, float64 }

    func run() throws {
        let jobs = try outputPaths()
        let source = try radiusSource()
        if let saveRadiusMap {
            try OutputPath.check(saveRadiusMap, inputs: images + [radiusMap, distanceFrom].compactMap { $0 })
            if jobs.contains(where: { OutputPath.sameFile($0.output, saveRadiusMap) || $0.output == saveRadiusMap }) {
                throw UsageError("--save-radius-map \(saveRadiusMap): is also the blurred output")
            }
        }
        var savedMap = false
        for (input, output) in jobs {
            let image = try ImageFile.read(input, options: reading.readOptions)
            guard !image.isEmpty else { throw BlurError.emptyImage(source: input) }
            let field = try source.field(width: image.width, height: image.height, imageName: input)
            let progress = ProgressLine("blur \((input as NSString).lastPathComponent)", total: image.height, unit: "rows")
            // A box mean into an NPY file is computed straight into the file's memory map (no image-sized copy).
            let mapped = kernel == .box && ImageFormat(pathExtensionOf: output) == .npy
            let blurred = mapped
                ? nil
                : try field.blur(image, kernel: kernel, dtype: dtype, imageName: input) { progress.advance(by: $0) }
            if mapped {
                try field.boxMean(image, dtype: dtype, imageName: input, mappedOutput: output) { progress.advance(by: $0) }
            }
            progress.finish()
            if let saveRadiusMap, !savedMap {
                try ImageFile.write(field.image(), to: saveRadiusMap)
                savedMap = true
            }
            if let blurred { try ImageFile.write(blurred, to: output, options: writing.writeOptions(like: input)) }
        }
    }

    /// (input, output) pairs, checked before any work.
    func outputPaths() throws -> [(input: String, output: String)] {
        guard !images.isEmpty else { throw UsageError("blur: give at least one image") }
        let jobs: [(input: String, output: String)]
        switch (output, outputDir) {
        case (let file?, nil):
            guard images.count == 1 else {
                throw UsageError("-o \(file): \(images.count) images given; use --output-dir DIR for several")
            }
            jobs = [(images[0], file)]
        case (nil, let directory?):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw UsageError("--output-dir \(directory): no such folder")
            }
            jobs = images.map { ($0, (directory as NSString).appendingPathComponent(($0 as NSString).lastPathComponent)) }
            let names = jobs.map(\.output)
            if Set(names).count != names.count {
                throw UsageError("--output-dir \(directory): two inputs have the same file name")
            }
        case (nil, nil): throw UsageError("blur: give -o OUT (or --output-dir DIR for several images)")
        case (_?, _?): throw UsageError("blur: give either -o or --output-dir, not both")
        }
        for job in jobs { try OutputPath.check(job.output, inputs: images + [radiusMap, distanceFrom].compactMap { $0 }) }
        return jobs
    }

    /// Exactly one radius source, its options checked.
    func radiusSource() throws -> RadiusSource {
        let given = [radius != nil, radiusMap != nil, distanceFrom != nil].filter { $0 }.count
        guard given == 1 else {
            throw UsageError(given == 0 ? "blur: give the radius with --radius R, --radius-map MAP or --distance-from MASK --per-pixel S"
                                        : "blur: give only one of --radius, --radius-map and --distance-from")
        }
        if distanceFrom == nil, perPixel != nil || maxRadius != nil {
            throw UsageError("\(perPixel != nil ? "--per-pixel" : "--max-radius"): only goes with --distance-from")
        }
        if let radius {
            guard radius >= 0, radius.isFinite else { throw UsageError("--radius \(radius): must be finite and ≥ 0") }
            return .uniform(radius)
        }
        if let radiusMap { return .map(try Self.readMap(radiusMap, options: reading.readOptions), path: radiusMap) }
        guard let perPixel else { throw UsageError("--distance-from: needs --per-pixel S (radius per pixel of distance)") }
        guard perPixel >= 0, perPixel.isFinite else { throw UsageError("--per-pixel \(perPixel): must be finite and ≥ 0") }
        if let maxRadius, !(maxRadius >= 0) { throw UsageError("--max-radius \(maxRadius): must be ≥ 0") }
        let mask = try ImageFile.read(distanceFrom!, options: reading.readOptions)
        let transform = try mask.apply(DistanceOf(name: distanceFrom!))
        return .distance(try DistanceRadius(transform, perPixel: perPixel, maximum: maxRadius ?? .infinity, sourceName: distanceFrom!))
    }

    /// A radius map in any numeric type: images through ImageFile, other NPY element types converted to float64.
    static func readMap(_ path: String, options: ImageReadOptions) throws -> AnyImage {
        do {
            return try ImageFile.read(path, options: options)
        } catch ImageFileError.unsupported(_, let detail) where (try? ImageFile.format(of: path)) == .npy {
            let array = try NPY.open(path)
            guard array.shape.count == 2 || (array.shape.count == 3 && array.shape[2] == 1) else {
                throw ImageFileError.unsupported(path: path, detail: detail)
            }
            try options.checkPixelCount(width: array.shape[1], height: array.shape[0], path: path)
            return .float64(Image(width: array.shape[1], height: array.shape[0], samples: array.doubles()))
        }
    }
}

/// The distance transform of a mask of any sample type.
private struct DistanceOf: ImageOperation {
    let name: String
    func callAsFunction<S: PixelSample>(_ mask: Image<S>) throws -> DistanceTransform {
        try DistanceTransform(mask: mask, sourceName: name)
    }
}

/// Where the radii come from, before the image size is known.
enum RadiusSource {
    case uniform(Double)
    case map(AnyImage, path: String)
    case distance(DistanceRadius)

    func field(width: Int, height: Int, imageName: String) throws -> AnyRadiusField {
        let field: AnyRadiusField
        switch self {
        case .uniform(let r): field = .uniform(UniformRadius(width: width, height: height, radius: r))
        case let .map(.uint8(m), path): field = .uint8(try RadiusMap(m, sourceName: path))
        case let .map(.uint16(m), path): field = .uint16(try RadiusMap(m, sourceName: path))
        case let .map(.float32(m), path): field = .float32(try RadiusMap(m, sourceName: path))
        case let .map(.float64(m), path): field = .float64(try RadiusMap(m, sourceName: path))
        case .distance(let d): field = .distance(d)
        }
        try field.check(width: width, height: height)
        return field
    }
}

/// A radius field of whichever concrete type, so that each kernel is specialised for it.
enum AnyRadiusField {
    case uniform(UniformRadius)
    case uint8(RadiusMap<UInt8>)
    case uint16(RadiusMap<UInt16>)
    case float32(RadiusMap<Float>)
    case float64(RadiusMap<Double>)
    case distance(DistanceRadius)

    func check(width: Int, height: Int) throws {
        try apply { try $0.checkSize(imageWidth: width, imageHeight: height) }
    }

    func blur(_ image: AnyImage, kernel: BlurCommand.KernelArgument, dtype: BlurCommand.OutputTypeArgument,
              imageName: String, progress: @escaping @Sendable (Int) -> Void) throws -> AnyImage {
        switch self {
        case .uniform(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .uint8(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .uint16(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .float32(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .float64(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        case .distance(let f): try image.apply(BlurJob(field: f, kernel: kernel, dtype: dtype, imageName: imageName, progress: progress))
        }
    }

    /// The box mean written straight into an NPY file's memory map (atomically: see ``NPY/writeMapped``).
    func boxMean(_ image: AnyImage, dtype: BlurCommand.OutputTypeArgument, imageName: String, mappedOutput: String,
                 progress: @escaping @Sendable (Int) -> Void) throws {
        switch self {
        case .uniform(let f): try image.apply(MappedBoxJob(field: f, dtype: dtype, imageName: imageName, output: mappedOutput, progress: progress))
        case .uint8(let f): try image.apply(MappedBoxJob(field: f, dtype: dtype, imageName: imageName, output: mappedOutput, progress: progress))
        case .uint16(let f): try image.apply(MappedBoxJob(field: f, dtype: dtype, imageName: imageName, output: mappedOutput, progress: progress))
        case .float32(let f): try image.apply(MappedBoxJob(field: f, dtype: dtype, imageName: imageName, output: mappedOutput, progress: progress))
        case .float64(let f): try image.apply(MappedBoxJob(field: f, dtype: dtype, imageName: imageName, output: mappedOutput, progress: progress))
        case .distance(let f): try image.apply(MappedBoxJob(field: f, dtype: dtype, imageName: imageName, output: mappedOutput, progress: progress))
        }
    }

    /// The radius map used, as float32 when every value survives that exactly, else float64.
    func image() -> AnyImage {
        switch self {
        case .uniform(let f): Float(f.radius).doubleValue == f.radius ? .float32(f.image(as: Float.self)) : .float64(f.image())
        case .uint8(let f): .float32(f.image(as: Float.self))
        case .uint16(let f): .float32(f.image(as: Float.self))
        case .float32(let f): .float32(f.image(as: Float.self))
        case .float64(let f): .float64(f.image())
        case .distance(let f): .float64(f.image())
        }
    }

    private func apply(_ body: (any RadiusField) throws -> Void) throws {
        switch self {
        case .uniform(let f): try body(f)
        case .uint8(let f): try body(f)
        case .uint16(let f): try body(f)
        case .float32(let f): try body(f)
        case .float64(let f): try body(f)
        case .distance(let f): try body(f)
        }
    }
}

/// Runs the chosen kernel on the image's sample type, producing the chosen output type.
private struct BlurJob<Field: RadiusField>: ImageOperation {
    let field: Field
    let kernel: BlurCommand.KernelArgument
    let dtype: BlurCommand.OutputTypeArgument
    let imageName: String
    let progress: @Sendable (Int) -> Void

    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws -> AnyImage {
        switch dtype {
        case .same: AnyImage(try run(image, as: S.self))
        case .float32: AnyImage(try run(image, as: Float.self))
        case .float64: AnyImage(try run(image, as: Double.self))
        }
    }

    func run<S: PixelSample, Out: PixelSample>(_ image: Image<S>, as: Out.Type) throws -> Image<Out> {
        switch kernel {
        case .box: try VariableBlur.boxMean(image, radii: field, as: Out.self, imageName: imageName, progress: progress)
        case .gaussian: try VariableBlur.gaussian(image, sigmas: field, as: Out.self, imageName: imageName, progress: progress)
        }
    }
}

/// The box mean of the image's sample type into a mapped NPY file of the chosen output type.
private struct MappedBoxJob<Field: RadiusField>: ImageOperation {
    let field: Field
    let dtype: BlurCommand.OutputTypeArgument
    let imageName: String
    let output: String
    let progress: @Sendable (Int) -> Void

    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws {
        switch dtype {
        case .same: try write(image, as: S.self)
        case .float32: try write(image, as: Float.self)
        case .float64: try write(image, as: Double.self)
        }
    }

    func write<S: PixelSample, Out: PixelSample>(_ image: Image<S>, as: Out.Type) throws {
        try NPY.writeMapped(to: output, width: image.width, height: image.height, channels: image.channels, as: Out.self) { target in
            try VariableBlur.boxMean(image, radii: field, into: target, imageName: imageName, progress: progress)
        }
    }
}
