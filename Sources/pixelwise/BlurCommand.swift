import ArgumentParser
import Foundation
import Pixelwise
import PixelwiseIO

extension BlurKernel: ExpressibleByArgument {}
extension BlurOutputType: ExpressibleByArgument {}

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
        asks for float32/float64. Several images need --output-dir. Radii are in pixels; a radius past the \
        image's size, or a σ far past its diagonal, is computed as the largest one that can change anything.

        Examples:
          pixelwise blur photo.png --radius 3.5 -o soft.png
          pixelwise blur ortho.tif --radius-map radii.npy --dtype float32 -o blurred.tif
          pixelwise blur image.png --distance-from regions.png --per-pixel 0.1 --max-radius 64 --kernel gaussian -o out.png
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
    var kernel: BlurKernel = .box

    @Option(help: "Output sample type: same (the input's), float32 or float64.")
    var dtype: BlurOutputType = .same

    @Option(help: "Also write the radius map used (float32 when that is exact, else float64).")
    var saveRadiusMap: String?

    @Option(name: .shortAndLong, help: "Output file (one input image).")
    var output: String?

    @Option(help: "Output folder for several images (each keeps its file name).")
    var outputDir: String?

    @OptionGroup var reading: ImageReadingOptions
    @OptionGroup var writing: ImageWritingOptions


    func run() throws {
        let jobs = try outputPaths()
        let source = try radiusSource()
        if let saveRadiusMap {
            try OutputPath.check(saveRadiusMap, inputs: [], flag: "--save-radius-map")
        }
        try OutputPath.checkDistinct(
            outputs: jobs.map { .init(outputDir == nil ? "-o" : "--output-dir", $0.output) }
                + (saveRadiusMap.map { [.init("--save-radius-map", $0)] } ?? []),
            inputs: images.map { .init("input", $0) } + (radiusMap.map { [.init("--radius-map", $0)] } ?? [])
                + (distanceFrom.map { [.init("--distance-from", $0)] } ?? []))
        // Headers first: an output that cannot hold the blurred samples is refused before any blur, not after one.
        let infos = try jobs.map { job in
            let info = try reading.info(job.input)
            try ImageFormat.checkOutput(job.output, holds: dtype.sampleType(for: info.sampleType))
            return info
        }
        var savedMap = false
        for ((input, output), info) in zip(jobs, infos) {
            // A box mean into an NPY file is computed straight into the file's memory map (no image-sized copy).
            let mapped = kernel == .box && ImageFormat(pathExtensionOf: output) == .npy
            let savesMap = saveRadiusMap != nil && !savedMap
            func check(_ working: MemoryNeed) throws {
                try reading.check(reading.decodeMemory(input, info: info) + source.heldMemory + working, job: "blur", path: input, info: info)
            }
            // Before the map or mask is read: the output alone may already be too much.
            let outputImage = MemoryNeed.image(width: info.width, height: info.height, channels: info.channels,
                                               sampleType: dtype.sampleType(for: info.sampleType))
            let encoding = mapped ? .zero : ImageFile.encodeMemory(output, samples: outputImage)
            try check(mapped ? .zero : outputImage + encoding)
            let field = try source.read().field(width: info.width, height: info.height)
            if let saveRadiusMap, savesMap { try ImageFormat.checkOutput(saveRadiusMap, holds: field.imageSampleType) }
            try check(field.blurMemory(kernel: kernel, channels: info.channels, inputType: info.sampleType, dtype: mapped ? nil : dtype)
                      + encoding + (savesMap ? .image(width: info.width, height: info.height, channels: 1, sampleType: field.imageSampleType) : .zero))
            let image = try ImageFile.read(input, options: reading.readOptions)
            guard !image.isEmpty else { throw BlurError.emptyImage(source: input) }
            let progress = ProgressLine("blur \((input as NSString).lastPathComponent)", total: image.height, unit: "rows")
            let blurred = mapped
                ? nil
                : try field.blur(image, kernel: kernel, dtype: dtype, imageName: input) { progress.advance(by: $0) }
            if mapped {
                try image.apply(MappedBoxJob(field: field, dtype: dtype, imageName: input, output: output) { progress.advance(by: $0) })
            }
            progress.finish()
            if let saveRadiusMap, savesMap {
                try ImageFile.write(field.image(), to: saveRadiusMap)
                savedMap = true
            }
            if let blurred { try ImageFile.write(blurred, to: output, options: writing.writeOptions(like: input, page: reading.page)) }
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
        for job in jobs { try OutputPath.check(job.output, inputs: images + [radiusMap, distanceFrom].compactMap { $0 },
                                               flag: outputDir == nil ? "-o" : "--output-dir") }
        return jobs
    }

    /// Exactly one radius source, its options checked; a map or mask is read on first use, after its memory
    /// was checked against `--max-memory` (from its header).
    func radiusSource() throws -> LazyRadiusSource {
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
            return LazyRadiusSource(source: .uniform(radius))
        }
        let reading = self.reading
        if let radiusMap {
            let info = try reading.info(radiusMap)
            let held = reading.decodeMemory(radiusMap, info: info)
            try reading.check(held, job: "reading the radius map", path: radiusMap, info: info)
            return LazyRadiusSource(heldMemory: held) { .map(try Self.readMap(radiusMap, options: reading.readOptions), name: radiusMap) }
        }
        guard let perPixel, let mask = distanceFrom else { throw UsageError("--distance-from: needs --per-pixel S (radius per pixel of distance)") }
        guard perPixel >= 0, perPixel.isFinite else { throw UsageError("--per-pixel \(perPixel): must be finite and ≥ 0") }
        if let maxRadius, !(maxRadius >= 0) { throw UsageError("--max-radius \(maxRadius): must be ≥ 0") }
        let info = try reading.info(mask)
        let held = DistanceTransform.memoryNeed(width: info.width, height: info.height)
        try reading.check(reading.decodeMemory(mask, info: info) + held, job: "the distance transform", path: mask, info: info)
        let maximum = maxRadius ?? .infinity
        return LazyRadiusSource(heldMemory: held) {
            try RadiusSource.distance(from: try ImageFile.read(mask, options: reading.readOptions), perPixel: perPixel,
                                      maximum: maximum, maskName: mask)
        }
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

/// A radius source read once, when the first image needs it, with the memory it holds from then on.
final class LazyRadiusSource {
    /// Bytes the source holds once read (the map's samples, the distance transform), for the estimates.
    let heldMemory: MemoryNeed
    private var load: (() throws -> RadiusSource)?
    private var loaded: RadiusSource?

    init(source: RadiusSource) {
        heldMemory = .zero
        loaded = source
    }

    init(heldMemory: MemoryNeed, load: @escaping () throws -> RadiusSource) {
        self.heldMemory = heldMemory
        self.load = load
    }

    func read() throws -> RadiusSource {
        if let loaded { return loaded }
        let source = try load!()
        loaded = source
        load = nil
        return source
    }
}

/// The box mean of the image's sample type straight into a mapped NPY file of the chosen output type.
private struct MappedBoxJob: ImageOperation {
    let field: AnyRadiusField
    let dtype: BlurOutputType
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
            try field.blur(.init(image), kernel: .box, into: AnyMutableImageBuffer(target), imageName: imageName, progress: progress)
        }
    }
}
