import Foundation
import Pixelwise
import PixelwiseIO
import Testing

/// `pixelwise hotpixels fix` through the real binary, on NPY files (every format goes through the same
/// ImageFile calls).
@Suite("CLI: hotpixels fix")
struct HotPixelsFixCLITests {
    let folder: TemporaryFolder
    let rgbPath: String
    let rgb: Image<UInt8>

    init() throws {
        folder = try TemporaryFolder()
        rgbPath = folder.path("photo.npy")
        var image = Image<UInt8>(width: 8, height: 6, channels: 3, samples: (0..<144).map { UInt8(($0 * 37) % 200) })
        image[3, 2, 0] = 255
        image[3, 2, 1] = 255
        image[3, 2, 2] = 255
        rgb = image
        try ImageFile.write(.uint8(image), to: rgbPath)
    }

    func repaired(_ image: Image<UInt8>, _ sites: [DefectCorrection.Site]) throws -> Image<UInt8> {
        var copy = image
        try DefectCorrection.apply(to: &copy, sites: sites)
        return copy
    }

    func read(_ path: String) throws -> Image<UInt8>? {
        try ImageFile.read(path).typed(as: UInt8.self)
    }

    @Test func fixesListedPixelsToANewFile() throws {
        let out = folder.path("fixed.npy")
        let result = try CLI.run("hotpixels", "fix", rgbPath, "--pixel", "3,2", "--pixel", "0,0", "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try read(out) == repaired(rgb, [.init(x: 3, y: 2), .init(x: 0, y: 0)]))
        #expect(try read(rgbPath) == rgb)
    }

    @Test(arguments: ["map.json", "map.csv", "map.txt", "CAM.badpixels"])
    func readsEveryMapFormat(name: String) throws {
        let map = folder.path(name)
        try DefectMapFile.write([DefectCandidate(x: 3, y: 2, channel: 1, kind: .hot, score: 5),
                                 DefectCandidate(x: 7, y: 5, channel: 0, kind: .dead, score: 2)], to: map)
        let out = folder.path("fixed-\(name).npy")
        let result = try CLI.run("hotpixels", "fix", rgbPath, "--map", map, "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try read(out) == repaired(rgb, [.init(x: 3, y: 2), .init(x: 7, y: 5)]))
    }

    @Test func aScanResultIsAMapAndListedChannelOnlyKeepsTheOthers() throws {
        let scan = folder.path("scan.json")
        try Data("""
            {"frames": 30, "width": 8, "height": 6, "skipped": [],
             "candidates": [{"x": 3, "y": 2, "channel": 0, "kind": "hot", "score": 9.5}]}
            """.utf8).write(to: URL(fileURLWithPath: scan))
        let out = folder.path("one-channel.npy")
        let result = try CLI.run("hotpixels", "fix", rgbPath, "--map", scan, "--listed-channel-only", "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        var expected = rgb
        try DefectCorrection.apply(to: &expected, sites: [.init(x: 3, y: 2, channel: 0)], channels: .listedChannelOnly)
        #expect(try read(out) == expected)
        #expect(try read(out)?[3, 2, 1] == 255)
    }

    @Test func outputDirAndInPlace() throws {
        let second = folder.path("second.npy")
        try ImageFile.write(.uint8(rgb), to: second)
        let dir = folder.path("fixed")
        var result = try CLI.run("hotpixels", "fix", rgbPath, second, "--pixel", "3,2", "--output-dir", dir)
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try repaired(rgb, [.init(x: 3, y: 2)])
        #expect(try read(folder.path("fixed/photo.npy")) == expected)
        #expect(try read(folder.path("fixed/second.npy")) == expected)
        #expect(try read(second) == rgb)
        result = try CLI.run("hotpixels", "fix", second, "--pixel", "3,2", "--in-place")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try read(second) == expected)
    }

    @Test func alphaAnd16BitAndMosaic() throws {
        let rgbaPath = folder.path("rgba.npy")
        let rgba = Image<UInt16>(width: 5, height: 4, channels: 4, samples: (0..<80).map { UInt16($0 * 800) })
        try ImageFile.write(.uint16(rgba), to: rgbaPath)
        var result = try CLI.run("hotpixels", "fix", rgbaPath, "--pixel", "0,3", "-o", folder.path("rgba-fixed.npy"))
        #expect(result.status == 0, "\(result.stderr)")
        var expected = rgba
        try DefectCorrection.apply(to: &expected, sites: [.init(x: 0, y: 3)])
        let fixed = try ImageFile.read(folder.path("rgba-fixed.npy")).typed(as: UInt16.self)
        #expect(fixed == expected)
        #expect(fixed?[0, 3, 3] == rgba[0, 3, 3])

        let mosaicPath = folder.path("mosaic.npy")
        var mosaic = Image<UInt16>(width: 6, height: 6, channels: 1)
        for y in 0..<6 { for x in 0..<6 { mosaic[x, y] = [1000, 2000, 2000, 3000][(y % 2) * 2 + x % 2] } }
        let flat = mosaic
        mosaic[2, 2] = 65535
        try ImageFile.write(.uint16(mosaic), to: mosaicPath)
        result = try CLI.run("hotpixels", "fix", mosaicPath, "--cfa", "rggb", "--pixel", "2,2", "-o", folder.path("mosaic-fixed.npy"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ImageFile.read(folder.path("mosaic-fixed.npy")).typed(as: UInt16.self) == flat)
    }

    @Test func manyFilesInParallelAndATruncatedOneLeavesNoPartialOutput() throws {
        var inputs = [String]()
        var images = [Image<UInt8>]()
        for i in 0..<12 {
            let image = Image<UInt8>(width: 9, height: 7, channels: 3, samples: (0..<189).map { UInt8(($0 * (i + 3)) % 251) })
            let path = folder.path("frame\(i).npy")
            try ImageFile.write(.uint8(image), to: path)
            inputs.append(path)
            images.append(image)
        }
        let dir = folder.path("batch")
        var result = try CLI.run(["hotpixels", "fix"] + inputs + ["--pixel", "4,3", "--pixel", "8,6", "--output-dir", dir])
        #expect(result.status == 0, "\(result.stderr)")
        for (i, image) in images.enumerated() {
            #expect(try read(folder.path("batch/frame\(i).npy")) == repaired(image, [.init(x: 4, y: 3), .init(x: 8, y: 6)]))
        }
        // A file cut short: the error names it and, as NPY's header check already sees the missing bytes,
        // nothing at all is written. (A codec that only finds out while decoding fails that file alone: the
        // others are written whole, each through a temporary file and a rename.)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: inputs[5]))
        try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: inputs[5]))
        let dir2 = folder.path("batch2")
        result = try CLI.run(["hotpixels", "fix"] + inputs + ["--pixel", "4,3", "--output-dir", dir2])
        #expect(result.status != 0)
        #expect(result.errorLines.count == 1 && result.stderr.contains("frame5.npy"), "\(result.stderr)")
        let written = (try? FileManager.default.contentsOfDirectory(atPath: dir2)) ?? []
        #expect(written.isEmpty || written.sorted() == (0..<12).filter { $0 != 5 }.map { "frame\($0).npy" }.sorted())
    }

    @Test func palettePNGIsWrittenBackAsRGBAndJPEGAtTheGivenQuality() throws {
        // A 6×5 palette PNG (red, green, blue, near-white), the near-white entry at (2, 2) only.
        let palette = folder.path("palette.png")
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAYAAAAFAgMAAAAbNnV1AAAADFBMVEX/AAAA/wAAAP/6+vrw1qLXAAAAF0lEQVR4nGOU8GDxlGfoE2CU8GDxlAcAENoCOVff1yYAAAAASUVORK5CYII="
        try Data(base64Encoded: png)!.write(to: URL(fileURLWithPath: palette))
        let original = try #require(try read(palette))
        #expect(original.channels == 3 && original.pixel(x: 2, y: 2) == [250, 250, 250])
        let out = folder.path("palette-fixed.png")
        var result = try CLI.run("hotpixels", "fix", palette, "--pixel", "2,2", "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ImageFile.info(out).channels == 3)
        #expect(try read(out) == repaired(original, [.init(x: 2, y: 2)]))

        // With --reencode, JPEG outputs are re-encoded at --quality: a lower quality makes a smaller file.
        let photo = Image<UInt8>(width: 64, height: 48, channels: 3, samples: (0..<(64 * 48 * 3)).map { UInt8(($0 * 7919) % 256) })
        let jpeg = folder.path("photo.jpg")
        try ImageFile.write(.uint8(photo), to: jpeg)
        result = try CLI.run("hotpixels", "fix", jpeg, "--pixel", "5,5", "--reencode", "--quality", "40", "-o", folder.path("q40.jpg"))
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run("hotpixels", "fix", jpeg, "--pixel", "5,5", "--reencode", "-o", folder.path("q95.jpg"))
        #expect(result.status == 0, "\(result.stderr)")
        let size40 = try FileManager.default.attributesOfItem(atPath: folder.path("q40.jpg"))[.size] as? Int ?? 0
        let size95 = try FileManager.default.attributesOfItem(atPath: folder.path("q95.jpg"))[.size] as? Int ?? 0
        #expect(size40 > 0 && size40 < size95)
    }

    // MARK: Bad input: one line, non-zero exit, nothing written

    func expectFailure(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = folder.contents
        let result = try CLI.run(arguments)
        #expect(result.status != 0, sourceLocation: sourceLocation)
        #expect(result.errorLines.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(folder.contents == before, sourceLocation: sourceLocation)
    }

    @Test func aJPEGRepairRecodesOnlyTheRepairedBlocks() throws {
        let samples: [UInt8] = (0..<(64 * 48 * 3)).map { (index: Int) -> UInt8 in
            let x = index / 3 % 64, channel = index % 3
            return UInt8(100 + x + channel * 20)
        }
        var photo = Image<UInt8>(width: 64, height: 48, channels: 3, samples: samples)
        for c in 0..<3 { photo[20, 20, c] = 255 }
        let jpeg = folder.path("photo.jpg"), out = folder.path("fixed.jpg")
        try ImageFile.write(.uint8(photo), to: jpeg, options: .init(jpegQuality: 90))
        let result = try CLI.run("hotpixels", "fix", jpeg, "--pixel", "20,20", "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        let before = try JPEG.readCoefficients(jpeg), after = try JPEG.readCoefficients(out)
        // 4:4:4 at quality 90: 8×8 MCUs; the repair of (20, 20) and its neighbours' weights stay in MCU (2, 2).
        for (old, new) in zip(before.components, after.components) {
            for y in 0..<old.heightInBlocks {
                for x in 0..<old.widthInBlocks where !(x == 2 && y == 2) {
                    #expect(old.block(x: x, y: y) == new.block(x: x, y: y), "block (\(x), \(y))")
                }
            }
        }
        #expect(before.components[0].block(x: 2, y: 2) != after.components[0].block(x: 2, y: 2))
        let decoded = try #require(try read(jpeg)), fixed = try #require(try read(out))
        let target = try repaired(decoded, [.init(x: 20, y: 20)])
        #expect((0..<3).allSatisfy { abs(Int(fixed[20, 20, $0]) - Int(target[20, 20, $0])) < 24 })
        #expect(decoded[20, 20, 0] > 200)
    }

    @Test func qualityWithoutReencodeIsRefusedOnAJPEGRepair() throws {
        let jpeg = folder.path("q.jpg")
        try ImageFile.write(.uint8(Image<UInt8>(width: 16, height: 16, channels: 3, repeating: 80)), to: jpeg)
        // The block repair copies the file's own quantization: a --quality would be silently ignored.
        try expectFailure(["hotpixels", "fix", jpeg, "--pixel", "3,3", "--quality", "90", "-o", folder.path("q-out.jpg")],
                          "--quality 90: applies only with --reencode (the JPEG repair of \(jpeg) copies the file's own quantization)")
        try expectFailure(["hotpixels", "fix", jpeg, "--pixel", "3,3", "--quality", "90", "--in-place"], "--quality 90: applies only with --reencode")
        // Elsewhere it is no error: with --reencode and for a JPEG from another format it is the quality
        // written; for another output format it means nothing, as for every command.
        var result = try CLI.run("hotpixels", "fix", jpeg, "--pixel", "3,3", "--quality", "90", "--reencode", "-o", folder.path("r.jpg"))
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run("hotpixels", "fix", rgbPath, "--pixel", "1,1", "--quality", "90", "-o", folder.path("from-npy.jpg"))
        #expect(result.status == 0, "\(result.stderr)")
        result = try CLI.run("hotpixels", "fix", jpeg, "--pixel", "3,3", "--quality", "90", "-o", folder.path("to.png"))
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func aPixelOutsideAnyImageWritesNothing() throws {
        let small = folder.path("small.npy")
        try ImageFile.write(.uint8(Image<UInt8>(width: 3, height: 3, channels: 3)), to: small)
        let dir = folder.path("out")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // The first file would be fine; the second is too small: nothing at all is written.
        try expectFailure(["hotpixels", "fix", rgbPath, small, "--pixel", "5,1", "--output-dir", dir],
                          "--pixel: pixel (5, 1) is outside the 3×3 image \(small)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "8,0", "-o", folder.path("x.npy")],
                          "pixel (8, 0) is outside the 8×6 image \(rgbPath)")
    }

    @Test func argumentErrors() throws {
        let out = folder.path("o.npy")
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "1,1", "-o", rgbPath], "is also an input; refusing to overwrite it")
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "1,1"], "give exactly one of -o FILE, --output-dir DIR or --in-place")
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "1", "-o", out], "--pixel 1: expected X,Y or X,Y,CHANNEL")
        try expectFailure(["hotpixels", "fix", rgbPath, "-o", out], "give the pixels with --pixel X,Y or --map FILE")
        try expectFailure(["hotpixels", "fix", rgbPath, rgbPath, "--pixel", "1,1", "-o", out], "one output for 2 inputs")
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "1,1", "--cfa", "RGGB", "-o", out], "has 3 channels; a CFA mosaic has one")
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "1,1", "--cfa", "XYZW", "-o", out], "'XYZW' is invalid for '--cfa <cfa>'")
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "1,1,3", "--listed-channel-only", "-o", out],
                          "pixel (1, 1) channel 3: \(rgbPath) has colour channels 0...2")
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "1,1", "--quality", "0", "-o", folder.path("o.jpg")], "--quality 0")
        let badMap = folder.path("bad.csv")
        try Data("x,y\n1,2\n1,two\n".utf8).write(to: URL(fileURLWithPath: badMap))
        try expectFailure(["hotpixels", "fix", rgbPath, "--map", badMap, "-o", out], "\(badMap) line 3: y 'two' is not a whole number")
        try expectFailure(["hotpixels", "fix", folder.path("absent.npy"), "--pixel", "1,1", "-o", out], "absent.npy")
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "1,1", "--radius=-1", "-o", out], "--radius -1: expected 0 to 32")
        try expectFailure(["hotpixels", "fix", rgbPath, "--pixel", "1,1", "--radius", "33", "-o", out], "--radius 33: expected 0 to 32")
        let mosaicPath = folder.path("mosaic-radius.npy")
        try ImageFile.write(.uint16(Image<UInt16>(width: 6, height: 6, channels: 1, repeating: 9)), to: mosaicPath)
        try expectFailure(["hotpixels", "fix", mosaicPath, "--pixel", "2,2", "--cfa", "RGGB", "--radius", "1", "-o", out],
                          "--radius 1: a repair radius applies to demosaiced images, not with --cfa")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func radiusRepairsTheSquareAroundEachListedPixel() throws {
        let out = folder.path("square.npy")
        let result = try CLI.run("hotpixels", "fix", rgbPath, "--pixel", "3,2", "--pixel", "7,5", "--radius", "1", "-o", out)
        #expect(result.status == 0, "\(result.stderr)")
        var expected = rgb
        try DefectCorrection.apply(to: &expected, sites: [.init(x: 3, y: 2), .init(x: 7, y: 5)], radius: 1)
        #expect(try read(out) == expected)
        #expect(expected != (try repaired(rgb, [.init(x: 3, y: 2), .init(x: 7, y: 5)])))
    }

    @Test func aPixelWithNoUsableNeighbourWarnsAndIsKept() throws {
        let one = folder.path("one.npy")
        try ImageFile.write(.uint8(Image<UInt8>(width: 1, height: 1, channels: 1, samples: [200])), to: one)
        let result = try CLI.run("hotpixels", "fix", one, "--pixel", "0,0", "-o", folder.path("one-fixed.npy"))
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning: \(one): pixel (0, 0) left as it was"))
        #expect(try read(folder.path("one-fixed.npy"))?.samples == [200])
    }
}
