import Foundation
import Pixelwise
import PixelwiseIO
import Testing

/// The codecs end to end through the binary: every format in and out, and broken files of every format giving
/// exactly one line on stderr — which also shows that libspng, libjpeg, libtiff and LibRaw print nothing.
@Suite("Codecs through the CLI")
struct CodecCLITests {
    /// A small RGB test image with a ramp, so crops are easy to check.
    private func ramp(width: Int, height: Int, channels: Int) -> Image<UInt8> {
        var samples = [UInt8]()
        for y in 0..<height { for x in 0..<width { for c in 0..<channels { samples.append(UInt8((x * 7 + y * 13 + c * 50) & 0xFF)) } } }
        return Image(width: width, height: height, channels: channels, samples: samples)
    }

    @Test("crop converts between every pair of lossless formats, exactly",
          arguments: ["png", "tif", "ppm", "npy"], ["png", "tif", "ppm", "npy"])
    func cropConverts(from source: String, to target: String) throws {
        let folder = try TemporaryFolder()
        let input = folder.path("in.\(source)"), output = folder.path("out.\(target)")
        let image = ramp(width: 37, height: 23, channels: 3)
        try ImageFile.write(.uint8(image), to: input)
        let result = try CLI.run("crop", input, "--region", "5,3,17,9", "-o", output)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        #expect(try ImageFile.read(output) == .uint8(image.region(x: 5, y: 3, width: 17, height: 9).compacted()))
    }

    @Test("--png-level and --tiff-compression change the file, never the pixels; out-of-range levels are refused")
    func compressionOptions() throws {
        let folder = try TemporaryFolder()
        let input = folder.path("in.npy")
        let image = ramp(width: 64, height: 48, channels: 3)
        try ImageFile.write(.uint8(image), to: input)
        var sizes = [Int]()
        for (level, name) in [("0", "l0.png"), ("9", "l9.png")] {
            let result = try CLI.run("crop", input, "--region", "0,0,64,48", "--png-level", level, "-o", folder.path(name))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try ImageFile.read(folder.path(name)) == .uint8(image))
            sizes.append(try FileManager.default.attributesOfItem(atPath: folder.path(name))[.size] as! Int)
        }
        #expect(sizes[0] > sizes[1], "level 0 stores, level 9 compresses: \(sizes)")
        for compression in ["none", "lzw"] {
            let output = folder.path("\(compression).tif")
            #expect(try CLI.run("crop", input, "--region", "0,0,64,48", "--tiff-compression", compression, "-o", output).status == 0)
            #expect(try ImageFile.read(output) == .uint8(image))
        }
        expectOneLineError(try CLI.run("crop", input, "--region", "0,0,4,4", "--png-level", "10", "-o", folder.path("x.png")),
                           mentioning: ["--png-level 10"])
        expectOneLineError(try CLI.run("crop", input, "--region", "0,0,4,4", "--quality", "0", "-o", folder.path("x.jpg")),
                           mentioning: ["--quality 0"])
        #expect(!FileManager.default.fileExists(atPath: folder.path("x.png")))
    }

    @Test("info names the format from the content, and JPEG output decodes close to its input")
    func infoAndJPEG() throws {
        let folder = try TemporaryFolder()
        let input = folder.path("in.png"), output = folder.path("out.jpg"), misnamed = folder.path("really-a-jpeg.png")
        try ImageFile.write(.uint8(ramp(width: 64, height: 32, channels: 3)), to: input)
        #expect(try CLI.run("crop", input, "--region", "0,0,64,32", "-o", output).status == 0)
        try FileManager.default.copyItem(atPath: output, toPath: misnamed)
        let info = try CLI.run("info", misnamed, "--json")
        #expect(info.status == 0)
        #expect(info.stdout.contains("\"format\"") && info.stdout.contains("jpeg"), "\(info.stdout)")
        let decoded = try #require(try ImageFile.read(misnamed).typed(as: UInt8.self))
        let original = ramp(width: 64, height: 32, channels: 3)
        let meanError = zip(decoded.samples, original.samples).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(original.sampleCount)
        #expect(meanError < 3)
    }

    @Test("truncated and corrupt files of every format: one line, the file's name, no library noise",
          arguments: ["png", "jpg", "tif", "ppm", "npy"], ["truncated", "corrupt"])
    func brokenFiles(format: String, damage: String) throws {
        let folder = try TemporaryFolder()
        let whole = folder.path("whole.\(format)"), broken = folder.path("broken.\(format)")
        try ImageFile.write(.uint8(ramp(width: 96, height: 64, channels: 3)), to: whole)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: whole)))
        if damage == "truncated" {
            bytes = Array(bytes.prefix(bytes.count / 2))
        } else {
            switch format {
            case "png": bytes[20] ^= 0xFF                         // IHDR height: its CRC no longer matches
            case "jpg":
                let middle = bytes.count * 2 / 3                   // a marker inside the entropy-coded data
                bytes.replaceSubrange(middle..<(middle + 2), with: [0xFF, 0xC4])
            case "tif": bytes.replaceSubrange(4..<8, with: [1, 0, 0, 0])  // first directory at offset 1
            case "ppm": bytes.replaceSubrange(3..<5, with: Array("x#".utf8)) // width is not a number
            default: bytes.replaceSubrange(8..<10, with: [0xFF, 0xFF])      // NPY header length past the end
            }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: broken))
        let result = try CLI.run("crop", broken, "--region", "0,0,4,4", "-o", folder.path("out.npy"))
        expectOneLineError(result, mentioning: [broken])
        #expect(result.stderr.contains("truncated") || result.stderr.contains("corrupt"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("out.npy")))
    }

    @Test("a RAW-named file that is not a RAW: one line, no LibRaw noise")
    func notRaw() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("photo.nef")
        try Data("definitely not a raw file".utf8).write(to: URL(fileURLWithPath: path))
        expectOneLineError(try CLI.run("info", path), mentioning: [path, "camera RAW"])
    }

    @Test("writing floats to PNG or JPEG says which formats keep them", arguments: ["png", "jpg"])
    func floatsToIntegerFormats(format: String) throws {
        let folder = try TemporaryFolder()
        let input = folder.path("float.npy")
        try ImageFile.write(.float32(Image(width: 4, height: 4, channels: 1, repeating: 0.5)), to: input)
        let output = folder.path("out.\(format)")
        expectOneLineError(try CLI.run("crop", input, "--region", "0,0,2,2", "-o", output), mentioning: [output, ".tif"])
        #expect(folder.contents == ["float.npy"])
    }
}
