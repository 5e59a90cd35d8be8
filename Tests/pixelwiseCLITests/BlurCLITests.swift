import Foundation
import Pixelwise
import PixelwiseIO
import Testing

/// `pixelwise blur` end to end: the public command line, every radius source, and bad input refused with
/// one line, a non-zero exit and no output file.
@Suite("CLI: blur")
struct BlurCLITests {
    let folder: TemporaryFolder
    let image: Image<UInt8>

    init() throws {
        folder = try TemporaryFolder()
        image = Image(width: 37, height: 21, channels: 3, samples: (0..<(37 * 21 * 3)).map { UInt8(($0 * 7) % 251) })
        try ImageFile.write(.uint8(image), to: folder.path("image.npy"))
        let radii = (0..<(37 * 21)).map { Double($0 % 9) * 0.75 }
        try ImageFile.write(.float64(Image(width: 37, height: 21, samples: radii)), to: folder.path("radii.npy"))
        var mask = Image<UInt8>(width: 37, height: 21)
        mask[5, 7] = 1
        try ImageFile.write(.uint8(mask), to: folder.path("mask.npy"))
    }

    func read(_ name: String) throws -> AnyImage { try ImageFile.read(folder.path(name)) }

    @Test func radiusMapMatchesTheKernel() throws {
        let result = try CLI.run("blur", folder.path("image.npy"), "--radius-map", folder.path("radii.npy"),
                                 "--dtype", "float64", "-o", folder.path("out.npy"))
        #expect(result.status == 0, "\(result.stderr)")
        let radii = try RadiusMap(try read("radii.npy").typed(as: Double.self)!)
        #expect(try read("out.npy") == .float64(try VariableBlur.boxMean(image, radii: radii, as: Double.self)))
    }

    /// A uint8 map takes the streaming kernel; an NPY output is written through its memory map, a TIFF one
    /// from an image: both equal the library's result.
    @Test func uint8MapIntoMappedNPYAndIntoTIFF() throws {
        let radii = Image<UInt8>(width: 37, height: 21, samples: (0..<(37 * 21)).map { UInt8(($0 * 13) % 30) })
        try ImageFile.write(.uint8(radii), to: folder.path("radii8.npy"))
        let expected = try VariableBlur.boxMean(image, radii: try RadiusMap(radii))
        for name in ["out8.npy", "out8.tif"] {
            let result = try CLI.run("blur", folder.path("image.npy"), "--radius-map", folder.path("radii8.npy"), "-o", folder.path(name))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try read(name) == .uint8(expected), "\(name)")
        }
    }

    @Test func distanceFromMaskSavesTheRadiusMap() throws {
        let result = try CLI.run("blur", folder.path("image.npy"), "--distance-from", folder.path("mask.npy"),
                                 "--per-pixel", "0.5", "--max-radius", "6", "--kernel", "gaussian",
                                 "--save-radius-map", folder.path("sigma.npy"), "-o", folder.path("out.npy"))
        #expect(result.status == 0, "\(result.stderr)")
        guard case .float64(let sigma) = try read("sigma.npy") else { Issue.record("radius map not float64"); return }
        #expect(sigma[5, 7] == 0 && sigma[8, 11] == 2.5 && sigma[36, 20] == 6)
        guard case .uint8(let out) = try read("out.npy") else { Issue.record("output not uint8"); return }
        #expect(out[5, 7, 0] == image[5, 7, 0])  // σ = 0 keeps the pixel
    }

    @Test func severalImagesGoToAnOutputFolder() throws {
        try FileManager.default.createDirectory(atPath: folder.path("a"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder.path("out"), withIntermediateDirectories: true)
        try ImageFile.write(.uint8(image), to: folder.path("a/second.npy"))
        let result = try CLI.run("blur", folder.path("image.npy"), folder.path("a/second.npy"), "--radius", "2",
                                 "--output-dir", folder.path("out"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try read("out/image.npy") == read("out/second.npy"))
    }

    @Test(arguments: [
        (["--radius-map", "small.npy"], "is 5×4 but the image is 37×21"),
        (["--radius-map", "negative.npy"], "is negative"),
        (["--radius-map", "nan.npy"], "is NaN"),
        (["--radius-map", "infinite.npy"], "is infinite"),
        (["--distance-from", "empty-mask.npy", "--per-pixel", "1"], "no nonzero (region) pixel"),
        (["--radius=-1"], "--radius -1.0: must be finite"),
        (["--radius", "-1"], "--radius -1.0: must be finite"),
        (["--distance-from", "mask.npy", "--per-pixel", "-2"], "--per-pixel"),
        (["--radius", "1", "--radius-map", "radii.npy"], "only one of"),
        (["--distance-from", "mask.npy"], "needs --per-pixel"),
    ])
    func badInputLeavesNoOutput(arguments: [String], message: String) throws {
        try ImageFile.write(.uint8(Image(width: 5, height: 4)), to: folder.path("small.npy"))
        for (name, value) in [("negative", -0.5), ("nan", Double.nan), ("infinite", Double.infinity)] {
            var values = [Double](repeating: 1, count: 37 * 21)
            values[40] = value
            try ImageFile.write(.float64(Image(width: 37, height: 21, samples: values)), to: folder.path("\(name).npy"))
        }
        try ImageFile.write(.uint8(Image(width: 37, height: 21)), to: folder.path("empty-mask.npy"))
        let before = folder.contents
        let resolved = arguments.map { $0.hasSuffix(".npy") ? folder.path($0) : $0 }
        let result = try CLI.run(["blur", folder.path("image.npy")] + resolved + ["-o", folder.path("out.npy")])
        #expect(result.status != 0)
        #expect(result.errorLines.count == 1 && result.stderr.contains(message), "\(result.stderr)")
        #expect(folder.contents == before)
    }

    @Test func emptyImageIsRefused() throws {
        try ImageFile.write(.uint8(Image(width: 0, height: 3)), to: folder.path("empty.npy"))
        let result = try CLI.run("blur", folder.path("empty.npy"), "--radius", "1", "-o", folder.path("out.npy"))
        #expect(result.status != 0 && result.stderr.contains("the image is empty"))
        #expect(!FileManager.default.fileExists(atPath: folder.path("out.npy")))
    }
}
