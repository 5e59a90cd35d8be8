import ArgumentParser
import Foundation
import Pixelwise
import PixelwiseIO

/// `pixelwise hotpixels fix`: repairs listed pixels in existing images.
struct HotPixelsFixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: "Repair listed hot, stuck or dead pixels in images.",
        discussion: """
        Each listed pixel becomes the weighted mean of its 8 neighbours (weight 1 beside, 1/√2 diagonally), \
        skipping neighbours outside the image or listed themselves. Every colour channel of a listed pixel is \
        repaired (demosaicing and JPEG smear a defect into all of them); alpha never is. --radius 1 repairs the \
        3×3 square around each listed pixel from the ring just outside it, which removes the blot demosaicing \
        leaves around a defect in a photo. With --cfa the images \
        are 1-channel Bayer mosaics and neighbours are the nearest photosites of the same colour; camera RAW files \
        are always repaired that way, with their own pattern unless --cfa says otherwise (write them with -o to \
        .tif, .png or .npy: RAW is read only). The pixels \
        come from --pixel X,Y (repeatable) or --map FILE (JSON or CSV from `hotpixels scan`, dcraw's -P format \
        .txt/.dcraw, RawTherapee's .badpixels). Outputs keep the input's format unless -o names another; \
        a JPEG written from a JPEG has only the 8×8 blocks holding a repaired pixel recoded, with the file's own \
        tables, and keeps every other coefficient and its EXIF/XMP/ICC markers (--reencode re-encodes it whole \
        at --quality, as other JPEG outputs are); palette PNGs are written back as RGB(A) PNGs. \
        Every input is checked before any output is written. See docs/hotpixels-fix.md.

        Examples:
          pixelwise hotpixels fix photos/*.jpg --map defects.json --radius 1 --output-dir fixed/
          pixelwise hotpixels fix frame.png --pixel 120,45 --pixel 7,3,2 -o repaired.png
          pixelwise hotpixels fix raw.tif --cfa RGGB --map defects.csv --in-place
        """)

    @Argument(help: "The images to repair.")
    var files: [String] = []

    @Option(name: .customLong("pixel"), parsing: .unconditionalSingleValue,
            help: "A pixel X,Y or X,Y,CHANNEL to repair (repeatable).")
    var pixels: [String] = []

    @Option(help: "A defect map: .json, .csv, .txt/.dcraw (dcraw -P), .badpixels (RawTherapee).")
    var map: String?

    @Option(help: "The map's format when its name does not say.")
    var mapFormat: DefectMapFormat?

    @Option(name: .shortAndLong, help: "Output file (one input only).")
    var output: String?

    @Option(help: "Write each repaired image into this folder under its own name (created if missing).")
    var outputDir: String?

    @Flag(help: "Overwrite the inputs with the repaired images.")
    var inPlace = false

    @Option(help: "The images are Bayer mosaics with this pattern.")
    var cfa: CFAPattern?

    @Flag(help: "Repair only the channel a map entry names (default: all colour channels of a listed pixel).")
    var listedChannelOnly = false

    @Option(help: ArgumentHelp(
        "Also repair every pixel within R of a listed one (a (2R+1)² square), from the ring just outside it.",
        discussion: "Each pixel of the square becomes the mean of the ring pixels weighted by 1 ÷ their distance; "
            + "0 (the default) is the plain 8-neighbour repair. 1 suits demosaiced photos, where a defect spreads "
            + "over its 3×3 neighbourhood. Not with --cfa or camera RAW files (a mosaic keeps a defect in its photosite).",
        valueName: "R"))
    var radius = 0

    @Flag(help: "Re-encode JPEG outputs of JPEG inputs whole at --quality (default: recode only the repaired blocks).")
    var reencode = false

    @OptionGroup var reading: ImageReadingOptions
    @OptionGroup var writing: ImageWritingOptions

    func run() throws {
        guard !files.isEmpty else { throw UsageError("hotpixels fix: no input files") }
        guard (0...Self.maximumRadius).contains(radius) else {
            throw UsageError("--radius \(radius): expected 0 to \(Self.maximumRadius)")
        }
        let layout = try parseLayout()
        if radius > 0, layout != .pixels {
            throw UsageError("--radius \(radius): a repair radius applies to demosaiced images, not with --cfa (a mosaic keeps a defect in its photosite)")
        }
        let (sites, source) = try listedSites()
        let outputs = try outputPaths()
        try OutputPath.checkDistinct(
            outputs: inPlace ? [] : outputs.map { .init(output != nil ? "-o" : "--output-dir", $0) },
            inputs: files.map { .init("input", $0) } + (map.map { [.init("--map", $0)] } ?? []))
        if inPlace, let map, files.contains(where: { OutputPath.sameFile($0, map) }) {
            throw UsageError("--in-place: \(map) is the --map file; refusing to overwrite it")
        }

        // Check every input against the list before writing anything: one bad file must not leave the
        // others half done.
        var rawInputs = Set<String>()
        var largest: (need: MemoryNeed, file: String, info: ImageInfo)?
        for (file, target) in zip(files, outputs) {
            let info = try reading.info(file)
            let need = reading.decodeMemory(file, info: info)
            if need > largest?.need ?? .zero || largest == nil { largest = (need, file, info) }
            try checkSites(sites, source: source, against: info, file: file, layout: layout)
            // The block repair keeps the file's own quantization: a quality asked for would be silently ignored.
            if let quality = writing.quality, !reencode, info.format == .jpeg, ImageFormat(pathExtensionOf: target) == .jpeg {
                throw UsageError("--quality \(quality): applies only with --reencode (the JPEG repair of \(file) copies the file's own quantization)")
            }
            if info.format == .raw {
                if radius > 0 {
                    throw UsageError("--radius \(radius): \(file) is a camera RAW mosaic, where a defect stays in its photosite; repair it without --radius")
                }
                rawInputs.insert(file)
            }
        }
        if let largest {
            // Files are repaired several at once (one per core); a JPEG written back by recoding only the changed
            // blocks keeps its decoded original beside the repaired copy.
            let recodes = !reencode && zip(files, outputs).contains { file, target in
                (try? ImageFile.format(of: file)) == .jpeg && (writing.writeOptions.format ?? ImageFormat(pathExtensionOf: target)) == .jpeg
            }
            // Encoding counted as PNG's, the worst (its whole compressed stream is held), whatever the outputs.
            let need = FixJob.memoryNeed(largestImage: largest.need,
                                         encoding: ImageFile.encodeMemory("", samples: largest.need, format: .png),
                                         concurrentFiles: Swift.min(Parallel.coreCount, files.count), keepsOriginal: recodes)
            try reading.check(need, job: "hotpixels fix", path: largest.file, info: largest.info)
        }
        if sites.isEmpty {
            Standard.error("pixelwise: warning: \(source): no pixels listed; images are written unchanged")
        }

        if let outputDir, !FileManager.default.fileExists(atPath: outputDir) {
            do {
                try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            } catch {
                throw UsageError("--output-dir \(outputDir): cannot create the folder")
            }
        }

        let selection: DefectCorrection.ChannelSelection = listedChannelOnly ? .listedChannelOnly : .allColourChannels
        // Files are independent: several at once on all cores (each worker holds one decoded image).
        // Every output is written atomically, so a failure in one file leaves no partial output anywhere;
        // the first error (in input order) is reported after the others have finished.
        let progress = ProgressLine("hotpixels fix", total: files.count, unit: "files")
        let job = FixJob(sites: sites, layout: layout, selection: selection, radius: radius)
        let readOptions = reading.readOptions
        let writeOptions = writing.writeOptions
        let skipWriting = inPlace && sites.isEmpty
        let files = self.files
        let cameraRawInputs = rawInputs
        let results = Parallel.mapChunks(count: files.count) { range -> [FileResult] in
            range.map { index in
                let result = Self.fix(files[index], to: outputs[index], job: job, source: source,
                                      readOptions: readOptions, writeOptions: writeOptions, write: !skipWriting,
                                      cameraRaw: cameraRawInputs.contains(files[index]), reencode: reencode,
                                      keepMetadata: !writing.stripMetadata)
                progress.advance()
                return result
            }
        }.flatMap { $0 }
        progress.finish()
        for (file, result) in zip(files, results) {
            for site in result.unrepaired {
                Standard.error("pixelwise: warning: \(file): pixel (\(site.x), \(site.y)) left as it was: "
                               + "all its neighbours are listed or outside the image")
            }
        }
        if let failure = results.lazy.compactMap(\.failure).first { throw UsageError(failure.message) }
    }

    /// What happened to one file.
    struct FileResult: Sendable {
        var unrepaired: [DefectCorrection.Site] = []
        var failure: UsageErrorBox?
    }

    /// Reads, repairs and writes one file; errors are returned, not thrown, to cross the worker boundary.
    static func fix(_ file: String, to target: String, job: FixJob, source: String, readOptions: ImageReadOptions,
                    writeOptions: ImageWriteOptions, write: Bool, cameraRaw: Bool, reencode: Bool = false,
                    keepMetadata: Bool = true) -> FileResult {
        do {
            var job = job
            var image: AnyImage
            if cameraRaw, job.layout == .pixels {
                // A camera RAW is a mosaic whose pattern the file knows: repair with same-colour neighbours.
                let mosaic = try CameraRaw.readMosaic(file, options: readOptions)
                guard let pattern = CFAPattern(name: mosaic.cfa) else {
                    return FileResult(failure: UsageErrorBox(message: "\(file): unsupported colour filter pattern \(mosaic.cfa)"))
                }
                job.layout = .mosaic(pattern)
                image = .uint16(mosaic.image)
            } else {
                image = try ImageFile.read(file, options: readOptions)
            }
            // JPEG to JPEG: keep the decoded pixels to recode only the blocks the repair changes.
            let jpegToJPEG = try !cameraRaw && ImageFile.format(of: file) == .jpeg
                && (writeOptions.format ?? ImageFormat(pathExtensionOf: target)) == .jpeg
            let original = write && !reencode && jpegToJPEG ? image : nil
            let outcome: DefectCorrection.Outcome
            do {
                outcome = try job.repair(&image)
            } catch {
                return FileResult(failure: UsageErrorBox(message: "\(source): \(error) in \(file)"))
            }
            if let original {
                try JPEG.writeEdited(image, original: original, source: file, to: target, keepingMarkers: keepMetadata)
            } else if write {
                try ImageFile.write(image, to: target, options: writeOptions,
                                    metadata: keepMetadata ? ImageFile.readMetadata(file, page: readOptions.page) : .none)
            }
            return FileResult(unrepaired: outcome.unrepaired)
        } catch {
            return FileResult(failure: UsageErrorBox(message: "\(error)"))
        }
    }

    /// `--cfa` parsed.
    func parseLayout() throws -> DefectCorrection.Layout {
        guard let cfa else { return .pixels }
        return .mosaic(cfa)
    }

    /// The pixels to repair and where they came from (for messages).
    func listedSites() throws -> ([DefectCorrection.Site], String) {
        switch (map, pixels.isEmpty) {
        case (nil, true): throw UsageError("hotpixels fix: give the pixels with --pixel X,Y or --map FILE")
        case (_?, false): throw UsageError("hotpixels fix: give either --pixel or --map, not both")
        case (let map?, true):
            return (try DefectMapFile.read(map, format: mapFormat).map(DefectCorrection.Site.init), map)
        case (nil, false):
            if mapFormat != nil { throw UsageError("--map-format: only with --map") }
            let sites = try pixels.map { text -> DefectCorrection.Site in
                let parts = text.split(separator: ",", omittingEmptySubsequences: false)
                    .map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 2 || parts.count == 3, parts.allSatisfy({ $0 != nil }) else {
                    throw UsageError("--pixel \(text): expected X,Y or X,Y,CHANNEL (whole numbers)")
                }
                guard parts[0]! >= 0, parts[1]! >= 0, (parts.count == 2 || parts[2]! >= 0) else {
                    throw UsageError("--pixel \(text): coordinates and channel must not be negative")
                }
                return DefectCorrection.Site(x: parts[0]!, y: parts[1]!, channel: parts.count == 3 ? parts[2]! : nil)
            }
            return (sites, "--pixel")
        }
    }

    /// One output path per input, checked: known format, no input overwritten unless --in-place.
    func outputPaths() throws -> [String] {
        let chosen = [output != nil, outputDir != nil, inPlace].filter { $0 }.count
        guard chosen == 1 else {
            throw UsageError("hotpixels fix: give exactly one of -o FILE, --output-dir DIR or --in-place")
        }
        if inPlace {
            for file in files where ImageFormat(pathExtensionOf: file) == nil {
                throw UsageError("--in-place: cannot write \(file) back in its format (we write .png, .jpg, .tif, .npy, .pgm, .ppm); use -o with one of those")
            }
            return files
        }
        if let output {
            guard files.count == 1 else {
                throw UsageError("-o \(output): one output for \(files.count) inputs; use --output-dir DIR or --in-place")
            }
            try OutputPath.check(output, inputs: files)
            return [output]
        }
        let folder = outputDir!
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
            throw UsageError("--output-dir \(folder): not a folder")
        }
        var seen = [String: String]()
        return try files.map { file in
            let name = (file as NSString).lastPathComponent
            let target = (folder as NSString).appendingPathComponent(name)
            guard ImageFormat(pathExtensionOf: name) != nil else {
                throw UsageError("--output-dir: cannot write \(file) in its format (we write .png, .jpg, .tif, .npy, .pgm, .ppm); use -o with one of those")
            }
            if let other = seen[name] {
                throw UsageError("--output-dir \(folder): \(other) and \(file) would both be written to \(target)")
            }
            seen[name] = file
            if files.contains(where: { OutputPath.sameFile($0, target) }) {
                throw UsageError("--output-dir \(folder): \(target) is an input; refusing to overwrite it (use --in-place to mean it)")
            }
            return target
        }
    }

    /// The same checks the kernel makes, from the header alone, naming the file.
    func checkSites(_ sites: [DefectCorrection.Site], source: String, against info: ImageInfo, file: String,
                    layout: DefectCorrection.Layout) throws {
        if case .mosaic = layout, info.channels != 1 {
            throw UsageError("--cfa \(cfa?.rawValue ?? ""): \(file) has \(info.channels) channels; a CFA mosaic has one")
        }
        for site in sites {
            guard site.x < info.width, site.y < info.height else {
                throw UsageError("\(source): pixel (\(site.x), \(site.y)) is outside the \(info.width)×\(info.height) image \(file)")
            }
            // A channel out of range is an error even when all colour channels are repaired (it is a typo,
            // or a map made for another image).
            if layout == .pixels, let channel = site.channel {
                let colourChannels = (info.channels == 2 || info.channels == 4) ? info.channels - 1 : info.channels
                guard channel < colourChannels else {
                    throw UsageError("\(source): pixel (\(site.x), \(site.y)) channel \(channel): \(file) has colour channels 0...\(colourChannels - 1)")
                }
            }
        }
    }
}

extension HotPixelsFixCommand {
    /// The largest `--radius`: a 65×65 square, far past any demosaicing or JPEG smear.
    static let maximumRadius = 32
}

/// An error met by a worker, carried back as its one-line message.
struct UsageErrorBox: Error, Sendable, CustomStringConvertible {
    let message: String
    var description: String { message }
}

