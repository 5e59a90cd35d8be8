import ArgumentParser
import PixelwiseIO

/// Options every command that reads images shares.
struct ImageReadingOptions: ParsableArguments {
    @Option(name: .long, help: "Refuse files whose header declares more pixels than this (guard against decompression bombs).")
    var maxPixels: Int = ImageReadOptions.defaultMaxPixels

    @Option(name: .long, help: "The page of a multi-page TIFF to read, 0 being the first (default: the first, with a warning naming the page count).")
    var page: Int?

    var readOptions: ImageReadOptions {
        var options = ImageReadOptions(maxPixels: maxPixels)
        options.page = page
        options.warn = { Standard.error("pixelwise: warning: \($0)") }
        return options
    }
}
