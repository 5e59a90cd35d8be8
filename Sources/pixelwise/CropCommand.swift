import ArgumentParser
import Pixelwise
import PixelwiseIO

/// `pixelwise crop`: a rectangle of an image, to any format we write.
struct CropCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crop",
        abstract: "Copy a rectangular region of an image to a new file.",
        discussion: """
        The output format follows -o's extension (.png, .jpg, .tif, .npy, .pgm, .ppm). The region is in pixels \
        and must lie inside the image.

        Examples:
          pixelwise crop big.tif --region 1000,2000,512,512 -o tile.png
          pixelwise crop photo.jpg --region 0,0,64,64 -o corner.npy
        """)

    @Argument(help: "The source image.")
    var image: String

    @Option(parsing: .unconditional, help: "The region X,Y,W,H in pixels: top-left column and row, width and height.")
    var region: String

    @Option(name: .shortAndLong, help: "Output file.")
    var output: String

    @OptionGroup var reading: ImageReadingOptions
    @OptionGroup var writing: ImageWritingOptions

    func run() throws {
        let parts = region.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4, let x = parts[0], let y = parts[1], let w = parts[2], let h = parts[3] else {
            throw UsageError("--region \(region): expected X,Y,W,H (four integers)")
        }
        guard w > 0, h > 0 else { throw UsageError("--region \(region): width and height must be positive") }
        try OutputPath.check(output, inputs: [image])
        let info = try reading.info(image)
        // Subtractions, not sums: a region of 2⁶³ − 1 must not overflow.
        guard x >= 0, y >= 0, x <= info.width, y <= info.height, w <= info.width - x, h <= info.height - y else {
            throw UsageError("--region \(region): reaches outside the \(info.width)×\(info.height) image \(image)")
        }
        let region = MemoryNeed.image(width: w, height: h, channels: info.channels, sampleType: info.sampleType)
        try reading.check(reading.decodeMemory(image, info: info) + region + ImageFile.encodeMemory(output, samples: region),
                          job: "crop", path: image, info: info)
        let source = try ImageFile.read(image, options: reading.readOptions)
        try ImageFile.write(source.region(x: x, y: y, width: w, height: h), to: output,
                           options: writing.writeOptions(like: image, page: reading.page, offset: (x, y)))
    }
}
