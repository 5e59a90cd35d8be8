import ArgumentParser
import PixelwiseIO

/// Options every command that reads images shares.
struct ImageReadingOptions: ParsableArguments {
    @Option(name: .long, help: "Refuse files whose header declares more pixels than this (guard against decompression bombs).")
    var maxPixels: Int = ImageReadOptions.defaultMaxPixels

    var readOptions: ImageReadOptions { ImageReadOptions(maxPixels: maxPixels) }
}
