import ArgumentParser
import PixelwiseIO

extension TIFFCompression: ExpressibleByArgument {}

/// Options every command that writes images shares: how each format compresses.
struct ImageWritingOptions: ParsableArguments {
    /// Optional so that a command can tell a --quality given from the default (`hotpixels fix` refuses one
    /// that would not apply).
    @Option(help: "JPEG quality of JPEG outputs, 1–100 (default 95).")
    var quality: Int?

    @Option(help: "zlib level of PNG outputs: 0 (none, fastest) to 9 (smallest, slowest).")
    var pngLevel: Int = PNG.defaultCompressionLevel

    @Option(help: "Compression of TIFF outputs: none, lzw or deflate.")
    var tiffCompression: TIFFCompression = .deflate

    @Flag(help: "Write outputs without the input's metadata (EXIF, XMP, ICC profile, TIFF resolution, GeoTIFF tags).")
    var stripMetadata = false

    func validate() throws {
        if let quality, !(1...100).contains(quality) { throw UsageError("--quality \(quality): must be 1 to 100") }
        guard (0...9).contains(pngLevel) else { throw UsageError("--png-level \(pngLevel): must be 0 to 9") }
    }

    var writeOptions: ImageWriteOptions {
        ImageWriteOptions(jpegQuality: quality ?? ImageWriteOptions().jpegQuality, tiffCompression: tiffCompression, pngCompressionLevel: pngLevel)
    }

    /// The options for an output derived from `input` (its page `page` when a multi-page TIFF: each page has
    /// its own metadata): its metadata carried (unless --strip-metadata), with the georeference moved to
    /// `offset` for a region of it (docs/FORMATS.md).
    func writeOptions(like input: String, page: Int?, offset: (x: Int, y: Int)? = nil) throws -> ImageWriteOptions {
        var options = writeOptions
        if !stripMetadata {
            let metadata = try ImageFile.readMetadata(input, page: page)
            options.metadata = offset.map { metadata.cropped(x: $0.x, y: $0.y) } ?? metadata
        }
        return options
    }
}
