import Foundation
import Pixelwise
import PixelwiseIO
import Testing

/// Issue 15's resource limits: every command that reads images estimates its peak memory from the headers
/// and refuses, in one line naming the need and --max-memory, before decoding; plus the small fixes found
/// beside them (outputs that cannot hold the samples, a huge --per-pixel, an empty --centers).
@Suite("CLI: resource limits (issue 15)")
struct ResourceLimitsCLITests {
    let folder: TemporaryFolder

    init() throws {
        folder = try TemporaryFolder()
        let image = Image<UInt8>(width: 23, height: 17, channels: 1, samples: (0..<(23 * 17)).map { UInt8(($0 * 7) % 251) })
        try ImageFile.write(.uint8(image), to: folder.path("gray.png"))
        // About 100 bytes declaring 32768 × 32768 uint8: 1 GiB, under the default --max-pixels.
        try Data("P5\n32768 32768\n255\n".utf8 + [UInt8](repeating: 0, count: 80)).write(to: URL(fileURLWithPath: folder.path("gig.pgm")))
    }

    /// The commands that read images, each on `image`, with outputs in the folder.
    func commands(_ image: String) -> [String: [String]] {
        [
            "crop": ["crop", image, "--region", "0,0,2,2", "-o", folder.path("out.png")],
            "blur": ["blur", image, "--radius", "2", "-o", folder.path("out.png")],
            "gaussian": ["blur", image, "--kernel", "gaussian", "--radius", "2", "-o", folder.path("out.tif")],
            "sample": ["sample", image, "--at", "1,1", "-o", folder.path("out.csv")],
            "quantize": ["quantize", image, "-k", "2", "--labels", folder.path("labels.png")],
            "fix": ["hotpixels", "fix", image, "--pixel", "1,1", "-o", folder.path("out.png")],
            "scan": ["hotpixels", "scan", image, image, "--map", folder.path("out.json")],
        ]
    }

    func expectRefused(_ arguments: [String], _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = folder.contents
        let result = try CLI.run(arguments)
        expectOneLineError(result, mentioning: fragments, sourceLocation: sourceLocation)
        #expect(folder.contents == before, "an output was left", sourceLocation: sourceLocation)
    }

    @Test func hugeDeclaredImageIsRefusedFromItsHeader() throws {
        for (name, arguments) in commands(folder.path("gig.pgm")) {
            try expectRefused(arguments + ["--max-memory", "512M"], ["gig.pgm", "32768×32768×1 uint8", "needs about", "--max-memory 512.0 MiB"])
            #expect(!name.isEmpty)
        }
    }

    @Test func smallLimitRefusesAndSufficientLimitRuns() throws {
        for (name, arguments) in commands(folder.path("gray.png")) {
            // The image alone is 391 bytes.
            try expectRefused(arguments + ["--max-memory", "100"], ["gray.png", "needs about", "--max-memory 100 bytes"])
            let result = try CLI.run(arguments + ["--max-memory", "1G"])
            #expect(result.status == 0, "\(name): \(result.stderr)")
            for output in ["out.png", "out.tif", "out.csv", "labels.png", "out.json"] { try? FileManager.default.removeItem(atPath: folder.path(output)) }
        }
    }

    @Test func defaultLimitIsThisMachinesMemory() throws {
        // A scan of 32768² RGB uint16 frames holds 12 bytes of statistics a sample: about 36 GiB. A machine
        // with more memory lets it through to the truncated-file error, which names the file too.
        try Data("P6\n32768 32768\n65535\n".utf8 + [UInt8](repeating: 0, count: 80)).write(to: URL(fileURLWithPath: folder.path("big.ppm")))
        let result = try CLI.run(commands(folder.path("big.ppm"))["scan"]!)
        expectOneLineError(result, mentioning: ["big.ppm"])
        if MemoryLimit.physical.bytes < 36 << 30 {
            #expect(result.stderr.contains("more than --max-memory"), "\(result.stderr)")
            #expect(result.stderr.contains("(this machine's memory)"), "\(result.stderr)")
        }
    }

    @Test func mergeChecksItsStateBeforeReadingIt() throws {
        // Two states of 23×17 uint8 (10 bytes a sample: 3910 bytes each): the merge holds one in memory and
        // reads the other from its mapped file.
        let states = [folder.path("a.state"), folder.path("b.state")]
        for (index, path) in states.enumerated() {
            let result = try CLI.run(["hotpixels", "scan", folder.path("gray.png"), folder.path("gray.png"), "--save-state", path])
            #expect(result.status == 0, "\(index): \(result.stderr)")
        }
        try expectRefused(["hotpixels", "merge"] + states + ["--max-memory", "1000", "--map", folder.path("m.json")],
                          ["hotpixels merge of", "a.state", "23×17×1 uint8", "needs about", "--max-memory 1000 bytes"])
        let merged = try CLI.run(["hotpixels", "merge"] + states + ["--max-memory", "1M", "--json"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stdout.contains("\"frames\" : 4") || merged.stdout.contains("\"frames\": 4"), "\(merged.stdout)")
    }

    @Test func generateChecksTheSizeAskedFor() throws {
        for kind in ["scene", "mask"] {
            try expectRefused(["generate", kind, "--size", "100000x100000", "-o", folder.path("g.png"), "--max-memory", "4G"],
                              ["generate \(kind) 100000x100000", "needs about", "--max-memory 4.0 GiB"])
        }
        try expectRefused(["generate", "stack", "--size", "100000x100000", "--output-dir", folder.path("stack"), "--max-memory", "16G"],
                          ["generate stack", "--max-memory"])
    }

    @Test(arguments: ["0", "-1", "abc", "1e400", "1.5.5", "inf", ""])
    func badMaxMemoryNamesTheOption(_ value: String) throws {
        try expectRefused(commands(folder.path("gray.png"))["crop"]! + ["--max-memory=\(value)"], ["--max-memory"])
    }

    @Test func radiusMapOutputIsCheckedBeforeTheBlur() throws {
        // A NaN in the map stops the blur itself, so reaching the format error proves nothing was computed.
        var map = Image<Float>(width: 23, height: 17, samples: Array(repeating: 2, count: 23 * 17))
        map[4, 3] = .nan
        try ImageFile.write(.float32(map), to: folder.path("radii.npy"))
        let blur = ["blur", folder.path("gray.png"), "--radius-map", folder.path("radii.npy")]
        try expectRefused(blur + ["--save-radius-map", folder.path("map.png"), "-o", folder.path("out.tif")], ["map.png", "float32"])
        try expectRefused(blur + ["--dtype", "float64", "-o", folder.path("out.png")], ["out.png", "float64"])
    }

    @Test func hugePerPixelRatioIsClampedLikeHugeRadii() throws {
        var mask = Image<UInt8>(width: 23, height: 17)
        mask[5, 7] = 1
        try ImageFile.write(.uint8(mask), to: folder.path("mask.png"))
        var outputs: [Data] = []
        for ratio in ["1e20", "1e308", "1.7976931348623157e308"] {
            let result = try CLI.run("blur", folder.path("gray.png"), "--distance-from", folder.path("mask.png"), "--per-pixel", ratio,
                                     "--dtype", "float64", "-o", folder.path("d.npy"))
            #expect(result.status == 0, "\(ratio): \(result.stderr)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: folder.path("d.npy"))))
        }
        #expect(Set(outputs).count == 1)
    }

    @Test func emptyCentersNameTheOption() throws {
        let quantize = ["quantize", folder.path("gray.png")]
        try expectRefused(quantize + ["--centers=", "-o", folder.path("q.png")], ["--centers"])
        try expectRefused(quantize + ["-o", folder.path("q.png"), "--centers="], ["--centers"])
        try expectRefused(quantize + ["--centers", "", "-o", folder.path("q.png")], ["--centers"])
    }
}
