import Foundation
import Pixelwise
import PixelwiseIO
import Testing

/// Regression tests for the crashes and overwrites of issue 15: huge radii and σ, outputs equal to inputs or
/// to each other, a channel out of range, a scan with one usable frame.
@Suite("CLI: hardening (issue 15)")
struct HardeningCLITests {
    let folder: TemporaryFolder
    let image: Image<UInt8>

    init() throws {
        folder = try TemporaryFolder()
        image = Image(width: 23, height: 17, channels: 3, samples: (0..<(23 * 17 * 3)).map { UInt8(($0 * 7) % 251) })
        try ImageFile.write(.uint8(image), to: folder.path("image.npy"))
        try ImageFile.write(.uint8(image), to: folder.path("image.png"))
        var mask = Image<UInt8>(width: 23, height: 17)
        mask[5, 7] = 1
        try ImageFile.write(.uint8(mask), to: folder.path("mask.png"))
    }

    func bytes(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: folder.path(name))) }

    /// A failure with one line naming every fragment, and the folder exactly as it was (no output, inputs
    /// unchanged).
    func expectRefused(_ arguments: [String], _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = folder.contents
        let snapshot = try before.map { try bytes($0) }
        let result = try CLI.run(arguments)
        expectOneLineError(result, mentioning: fragments, sourceLocation: sourceLocation)
        #expect(folder.contents == before, sourceLocation: sourceLocation)
        if folder.contents == before {
            #expect(try before.map { try bytes($0) } == snapshot, "an input changed", sourceLocation: sourceLocation)
        }
    }

    // MARK: A1: huge radius and σ

    @Test func blurHugeBoxRadiusIsTheWholeImage() throws {
        let reference = try CLI.run("blur", folder.path("image.npy"), "--radius", "23", "--dtype", "float64", "-o", folder.path("r23.npy"))
        #expect(reference.status == 0, "\(reference.stderr)")
        for radius in ["9.3e18", "1e19", "1e300"] {
            let result = try CLI.run("blur", folder.path("image.npy"), "--radius", radius, "--dtype", "float64", "-o", folder.path("big.npy"))
            #expect(result.status == 0, "\(radius): \(result.stderr)")
            #expect(try bytes("big.npy") == bytes("r23.npy"), "\(radius)")
        }
        try ImageFile.write(.float64(Image(width: 23, height: 17, samples: Array(repeating: 1e20, count: 23 * 17))), to: folder.path("huge.npy"))
        let map = try CLI.run("blur", folder.path("image.npy"), "--radius-map", folder.path("huge.npy"), "--dtype", "float64", "-o", folder.path("map.npy"))
        #expect(map.status == 0, "\(map.stderr)")
        #expect(try bytes("map.npy") == bytes("r23.npy"))
        let distance = try CLI.run("blur", folder.path("image.npy"), "--distance-from", folder.path("mask.png"), "--per-pixel", "1e20",
                                   "-o", folder.path("d.png"))
        #expect(distance.status == 0, "\(distance.stderr)")
    }

    @Test func blurHugeGaussianSigmaIsTheImageMean() throws {
        var means = [Double](repeating: 0, count: 3)
        for y in 0..<17 { for x in 0..<23 { for c in 0..<3 { means[c] += Double(image[x, y, c]) / Double(23 * 17) } } }
        for sigma in ["1e5", "1e9", "1e300"] {
            let result = try CLI.run("blur", folder.path("image.npy"), "--kernel", "gaussian", "--radius", sigma, "--dtype", "float64",
                                     "-o", folder.path("g.npy"))
            #expect(result.status == 0, "\(sigma): \(result.stderr)")
            let out = try ImageFile.read(folder.path("g.npy")).typed(as: Double.self)!
            for y in 0..<17 { for x in 0..<23 { for c in 0..<3 { #expect(abs(out[x, y, c] - means[c]) < 1e-3) } } }
        }
        try ImageFile.write(.uint16(Image(width: 23, height: 17, samples: Array(repeating: 65535, count: 23 * 17))), to: folder.path("s16.png"))
        let map = try CLI.run("blur", folder.path("image.npy"), "--kernel", "gaussian", "--radius-map", folder.path("s16.png"), "-o", folder.path("m.png"))
        #expect(map.status == 0, "\(map.stderr)")
        let distance = try CLI.run("blur", folder.path("image.npy"), "--kernel", "gaussian", "--distance-from", folder.path("mask.png"),
                                   "--per-pixel", "1e9", "-o", folder.path("d.png"))
        #expect(distance.status == 0, "\(distance.stderr)")
    }

    // MARK: A2: outputs equal to inputs or to each other

    @Test func sampleOutputEqualToTheImageOrThePointsIsRefused() throws {
        try expectRefused(["sample", folder.path("image.npy"), "--at", "1,1", "-o", folder.path("image.npy")], ["-o", "image.npy", "input"])
        try Data("x,y\n1,1\n2,3\n".utf8).write(to: URL(fileURLWithPath: folder.path("points.csv")))
        try expectRefused(["sample", folder.path("image.npy"), "--points", folder.path("points.csv"), "-o", folder.path("points.csv")],
                          ["-o", "points.csv", "--points"])
        // Another spelling of the same path, a symbolic link and a hard link.
        try expectRefused(["sample", folder.path("image.npy"), "--at", "1,1", "-o", folder.url.path + "/./../" + folder.url.lastPathComponent + "/image.npy"],
                          ["-o", "input"])
        try FileManager.default.createSymbolicLink(atPath: folder.path("link.npy"), withDestinationPath: folder.path("image.npy"))
        try expectRefused(["sample", folder.path("image.npy"), "--at", "1,1", "-o", folder.path("link.npy")], ["-o", "link.npy", "input"])
        try FileManager.default.linkItem(atPath: folder.path("image.npy"), toPath: folder.path("hard.npy"))
        try expectRefused(["sample", folder.path("image.npy"), "--at", "1,1", "-o", folder.path("hard.npy")], ["-o", "hard.npy", "input"])
    }

    @Test func outputsEqualToEachOtherOrToASecondInputAreRefused() throws {
        try ImageFile.write(.uint8(Image(width: 23, height: 17, samples: Array(repeating: 2, count: 23 * 17))), to: folder.path("radius.png"))
        try expectRefused(["blur", folder.path("image.png"), "--radius-map", folder.path("radius.png"), "-o", folder.path("radius.png")],
                          ["-o", "radius.png"])
        try expectRefused(["blur", folder.path("image.png"), "--radius-map", folder.path("radius.png"), "--save-radius-map", folder.path("radius.png"),
                           "-o", folder.path("out.png")],
                          ["--save-radius-map", "radius.png", "--radius-map"])
        try expectRefused(["blur", folder.path("image.png"), "--radius", "2", "--save-radius-map", folder.path("same.png"), "-o", folder.path("same.png")],
                          ["--save-radius-map", "same.png", "-o"])
        try expectRefused(["blur", folder.path("image.png"), "--distance-from", folder.path("mask.png"), "--per-pixel", "1", "-o", folder.path("mask.png")],
                          ["-o", "mask.png"])
        try expectRefused(["quantize", folder.path("image.png"), "--channel", "0", "-k", "2", "--labels", folder.path("q.png"), "-o", folder.path("q.png")],
                          ["-o", "q.png", "--labels"])
        try Data("[{\"x\": 1, \"y\": 1}]".utf8).write(to: URL(fileURLWithPath: folder.path("map.json")))
        try expectRefused(["hotpixels", "fix", folder.path("image.png"), "--map", folder.path("map.json"), "-o", folder.path("map.json")],
                          ["-o", "map.json"])
    }

    /// 3 NPY frames of 16×12 (the third `size` wide when given).
    func frames(lastWidth: Int = 16) throws -> [String] {
        try (0..<3).map { i in
            let w = i == 2 ? lastWidth : 16
            let path = folder.path("f\(i).npy")
            try ImageFile.write(.uint8(Image(width: w, height: 12, samples: (0..<(w * 12)).map { UInt8(($0 * 5 + i * 17) % 200) })), to: path)
            return path
        }
    }

    @Test func scanOutputsMustDifferFromEachOtherButMayUpdateTheResumedState() throws {
        let files = try frames()
        try expectRefused(["hotpixels", "scan"] + files + ["--map", folder.path("m.json"), "--save-state", folder.path("m.json")],
                          ["--save-state", "m.json", "--map"])
        try expectRefused(["hotpixels", "scan"] + files + ["--heatmap", folder.path("h.npy"), "--save-state", folder.path("h.npy")],
                          ["--save-state", "h.npy", "--heatmap"])
        try expectRefused(["hotpixels", "scan"] + files + ["--save-state", files[0]], ["--save-state", "f0.npy", "input"])
        // --save-state S --resume S is the checkpointed scan's own way of continuing.
        #expect(try CLI.run(["hotpixels", "scan"] + Array(files[..<2]) + ["--save-state", folder.path("s.state")]).status == 0)
        let resumed = try CLI.run(["hotpixels", "scan"] + files + ["--resume", folder.path("s.state"), "--save-state", folder.path("s.state")])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // merge: an output equal to a state given.
        try expectRefused(["hotpixels", "merge", folder.path("s.state"), "--save-state", folder.path("s.state")], ["--save-state", "input"])
    }

    // MARK: A3, A4

    @Test func fixChannelOutOfRangeIsAnError() throws {
        try expectRefused(["hotpixels", "fix", folder.path("image.png"), "--pixel", "10,10,7", "-o", folder.path("fixed.png")],
                          ["--pixel", "channel 7", "image.png"])
        let ok = try CLI.run("hotpixels", "fix", folder.path("image.png"), "--pixel", "10,10,2", "-o", folder.path("fixed.png"))
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test func scanWithOneUsableFrameIsAnError() throws {
        let files = try frames(lastWidth: 9)
        try FileManager.default.removeItem(atPath: files[1])
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: files[1]))
        let result = try CLI.run(["hotpixels", "scan", "--map", folder.path("m.json")] + files)
        #expect(result.status == 1)
        #expect(result.errorLines.last.map { $0.contains("only 1 usable frame of 3") && $0.contains("at least 2") } == true, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("m.json")))
        let single = try CLI.run(["hotpixels", "scan", files[0]])
        expectOneLineError(single, mentioning: ["only 1 usable frame of 1"])
    }
}
