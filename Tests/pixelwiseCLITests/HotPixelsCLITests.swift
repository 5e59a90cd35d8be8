import Foundation
import Testing
import Pixelwise
import PixelwiseIO

@Suite("pixelwise hotpixels scan / merge (end to end)")
struct HotPixelsCLITests {
    /// 20 NPY frames of 48×40 RGB with a hot pixel at (12, 9) channel 0.
    private func stack(in folder: TemporaryFolder) throws -> [String] {
        try (0..<20).map { frame in
            var samples = [UInt8]()
            for y in 0..<40 {
                for x in 0..<48 {
                    for c in 0..<3 {
                        let v = 100 + 60 * sin(Double(x + frame * 5) * 0.15 + Double(c)) * cos(Double(y - frame * 3) * 0.11)
                        samples.append(UInt8(max(0, min(255, v + Double((x * 7 + y * 13 + frame * 3 + c) % 5)))))
                    }
                }
            }
            samples[(9 * 48 + 12) * 3] = UInt8(min(255, Int(samples[(9 * 48 + 12) * 3]) + 70))
            let path = folder.path(String(format: "frame_%02d.npy", frame))
            try ImageFile.write(.uint8(Image(width: 48, height: 40, channels: 3, samples: samples)), to: path)
            return path
        }
    }

    @Test("scan --json reports the planted hot pixel; odd-sized and broken frames are skipped and listed")
    func scanJSON() throws {
        let folder = try TemporaryFolder()
        var files = try stack(in: folder)
        try ImageFile.write(.uint8(Image(width: 10, height: 10, channels: 3)), to: folder.path("small.npy"))
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: folder.path("broken.npy")))
        files += [folder.path("small.npy"), folder.path("broken.npy")]
        let result = try CLI.run(["hotpixels", "scan", "--json"] + files)
        #expect(result.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(json["frames"] as? Int == 20 && json["width"] as? Int == 48 && json["height"] as? Int == 40)
        let skipped = json["skipped"] as! [[String: Any]]
        #expect(skipped.map { $0["file"] as! String } == [folder.path("small.npy"), folder.path("broken.npy")])
        let candidates = json["candidates"] as! [[String: Any]]
        #expect(candidates.first.map { ($0["x"] as! Int, $0["y"] as! Int, $0["channel"] as! Int, $0["kind"] as! String) }
                .map { $0 == (12, 9, 0, "hot") } == true)
        #expect(result.errorLines.filter { $0.contains("warning: skipped") }.count == 2)
    }

    @Test("Shards saved and merged report what one scan reports; bad states are clear errors")
    func shardsAndMerge() throws {
        let folder = try TemporaryFolder()
        let files = try stack(in: folder)
        let one = try CLI.run(["hotpixels", "scan", "--json"] + files)
        #expect(try CLI.run(["hotpixels", "scan", "--save-state", folder.path("a.pxhs")] + Array(files[..<7])).status == 0)
        #expect(try CLI.run(["hotpixels", "scan", "--save-state", folder.path("b.pxhs")] + Array(files[7...])).status == 0)
        let merged = try CLI.run(["hotpixels", "merge", "--json", folder.path("a.pxhs"), folder.path("b.pxhs")])
        #expect(merged.status == 0)
        #expect(merged.stdout == one.stdout)
        // Resume: the state of the first 7 plus all 20 files: the 7 are not added twice.
        let resumed = try CLI.run(["hotpixels", "scan", "--json", "--resume", folder.path("a.pxhs")] + files)
        #expect(resumed.stdout == one.stdout)
        // Corrupt state.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: folder.path("a.pxhs")))
        bytes[200] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: folder.path("bad.pxhs")))
        let bad = try CLI.run(["hotpixels", "merge", folder.path("bad.pxhs")])
        #expect(bad.status == 1)
        #expect(bad.errorLines == ["pixelwise: error: \(folder.path("bad.pxhs")): hot-pixel state checksum does not match: the file is corrupt"])
    }

    @Test("No files, nothing readable: one-line errors")
    func errors() throws {
        let folder = try TemporaryFolder()
        let none = try CLI.run("hotpixels", "scan")
        #expect(none.status != 0 && none.errorLines.count == 1 && none.stderr.contains("no input files"))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: folder.path("a.jpg")))
        let junk = try CLI.run("hotpixels", "scan", folder.path("a.jpg"))
        #expect(junk.status == 1 && junk.errorLines.last!.hasPrefix("pixelwise: error: scan: none of the 1 frames could be read"))
    }

    @Test("--heatmap writes a picture of the score, --map a defect map")
    func outputs() throws {
        let folder = try TemporaryFolder()
        let files = try stack(in: folder)
        let result = try CLI.run(["hotpixels", "scan", "--heatmap", folder.path("heat.npy"), "--map", folder.path("map.csv")] + files)
        #expect(result.status == 0)
        let heat = try NPY.open(folder.path("heat.npy"))
        #expect(heat.shape == [40, 48])
        #expect(heat.double(at: 9 * 48 + 12) >= 9)
        let map = try String(contentsOfFile: folder.path("map.csv"), encoding: .utf8)
        #expect(map.contains("12,9,0,hot"))
    }
}
