// swift-tools-version:6.0
// libFuzzer targets for Pixelwise's readers: a separate package, so that nothing here is in the normal build.
// Build and run with scripts/fuzz.sh (it passes --sanitize fuzzer --sanitize address).
import PackageDescription

let root = "Pixelwise"

let targets: [(name: String, comment: String)] = [
    ("FuzzPNG", "PNG reader (libspng): header, then full decode"),
    ("FuzzJPEG", "JPEG reader (TurboJPEG)"),
    ("FuzzTIFF", "TIFF reader (libtiff)"),
    ("FuzzNPY", "NPY reader (ours)"),
    ("FuzzPNM", "PGM/PPM reader (ours)"),
    ("FuzzRAW", "camera RAW reader (LibRaw)"),
    ("FuzzState", "hot-pixel state reader (ours)"),
    ("FuzzDefectMap", "defect-map readers: JSON, CSV, dcraw, RawTherapee (ours)"),
    ("FuzzPoints", "points reader: CSV and NPY (ours)"),
    ("FuzzCABI", "the C ABI (PixelwiseC): random shapes, strides, codes and parameters over real memory"),
]

let package = Package(
    name: "PixelwiseFuzz",
    dependencies: [.package(name: "Pixelwise", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "PixelwiseIO", package: root), .product(name: "Pixelwise", package: root)]),
    ] + targets.map { target in
        .executableTarget(
            name: target.name,
            dependencies: ["FuzzSupport",
                           .product(name: "PixelwiseIO", package: root),
                           .product(name: "Pixelwise", package: root)]
                + (target.name == "FuzzCABI" ? [.product(name: "PixelwiseC", package: root)] : []),
            swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    },
    swiftLanguageModes: [.v6]
)
