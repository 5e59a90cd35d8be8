// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Pixelwise",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Pixelwise", targets: ["Pixelwise"]),
        .library(name: "PixelwiseIO", targets: ["PixelwiseIO"]),
        .executable(name: "pixelwise", targets: ["pixelwise"]),
        // The C ABI (include/pixelwise.h) as a shared library, for C, Python (ctypes) and other languages.
        .library(name: "PixelwiseC", type: .dynamic, targets: ["PixelwiseC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries: a module map and a shim header each, nothing else.
        .systemLibrary(name: "CSPNG", pkgConfig: "spng", providers: [.apt(["libspng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        // libjpeg's coefficient API, for JPEG edits without generation loss (TurboJPEG has no such access).
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CLibRaw", pkgConfig: "libraw_r", providers: [.apt(["libraw-dev"])]),

        // Pure Swift: the image model and every kernel. No C, no files.
        .target(name: "Pixelwise"),
        // Files: codecs over well-kept C libraries, plus NPY and PNM written here.
        .target(
            name: "PixelwiseIO",
            dependencies: ["Pixelwise", "CSPNG", "CTurboJPEG", "CJPEG", "CTIFF", "CLibRaw"]
        ),
        // The C ABI's hand-written header, include/pixelwise.h, as a module: the Swift side uses its types.
        .systemLibrary(name: "CPixelwiseABI"),
        // The C ABI: exported functions over caller memory, calling the same job entry points as the CLI.
        .target(name: "PixelwiseC", dependencies: ["Pixelwise", "PixelwiseIO", "CPixelwiseABI"]),
        // The command line: parsing, progress, output formatting. No kernels here.
        .executableTarget(
            name: "pixelwise",
            dependencies: [
                "Pixelwise", "PixelwiseIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PixelwiseTests", dependencies: ["Pixelwise"]),
        // The IO tests build odd files (palette PNGs, tiled or planar TIFFs) with the C libraries directly.
        .testTarget(name: "PixelwiseIOTests",
                    dependencies: ["Pixelwise", "PixelwiseIO", "CSPNG", "CTIFF", "CTurboJPEG", "CJPEG"]),
        .testTarget(name: "pixelwiseCLITests", dependencies: ["pixelwise", "PixelwiseIO", "Pixelwise", "CTIFF"]),
    ],
    swiftLanguageModes: [.v6]
)
