import Foundation
import Pixelwise
import PixelwiseIO
import Testing

/// End-to-end checks of `info`, `sample` and `crop` through the real binary: the public command lines and
/// the promise of one-line errors with nothing written.
@Suite("CLI: info, sample, crop")
struct FoundationCLITests {
    let folder: TemporaryFolder
    let imagePath: String

    init() throws {
        folder = try TemporaryFolder()
        imagePath = folder.path("image.npy")
        let image = Image<UInt8>(width: 30, height: 20, channels: 3, samples: (0..<1800).map { UInt8($0 % 251) })
        try ImageFile.write(.uint8(image), to: imagePath)
    }

    @Test func infoPrintsJSONKeys() throws {
        let result = try CLI.run("info", imagePath, "--json")
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["width"] as? Int == 30)
        #expect(object?["height"] as? Int == 20)
        #expect(object?["channels"] as? Int == 3)
        #expect(object?["sample_type"] as? String == "uint8")
        #expect(object?["format"] as? String == "npy")
        #expect(object?["file"] as? String == imagePath)
        let two = try CLI.run("info", imagePath, imagePath, "--json")
        #expect((try JSONSerialization.jsonObject(with: Data(two.stdout.utf8)) as? [Any])?.count == 2)
    }

    @Test func infoOnSeveralFilesListsEachAndAMissingOneHidesNothing() throws {
        let missing = folder.path("nope.png")
        let result = try CLI.run("info", imagePath, missing, imagePath, "--json")
        #expect(result.status == 1)
        #expect(result.errorLines.count == 1 && result.stderr.contains("nope.png"), "\(result.stderr)")
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        #expect(list?.map { $0["file"] as? String } == [imagePath, missing, imagePath])
        #expect(list?[0]["width"] as? Int == 30 && list?[2]["width"] as? Int == 30)
        #expect(list?[1]["error"] is String && list?[1]["width"] == nil)
        let text = try CLI.run("info", missing, imagePath)
        #expect(text.status == 1 && text.stdout.hasPrefix("\(imagePath): 30×20"), "\(text.stdout)")
    }

    @Test func anOutputBelowAFileSaysSo() throws {
        expectOneLineError(try CLI.run("crop", imagePath, "--region", "0,0,2,2", "-o", imagePath + "/c.png"),
                           mentioning: ["\(imagePath) is a file, not a folder"])
    }

    @Test func negativeNumbersAfterOptionsAreValues() throws {
        // Parsed as values, not as options: the errors are about the values.
        expectOneLineError(try CLI.run("sample", imagePath, "--at", "-5,3"), mentioning: ["(x=-5, y=3) is outside"])
        expectOneLineError(try CLI.run("crop", imagePath, "--region", "-1,0,2,2", "-o", folder.path("c.npy")),
                           mentioning: ["--region -1,0,2,2: reaches outside"])
        expectOneLineError(try CLI.run("hotpixels", "fix", imagePath, "--pixel", "-1,2", "-o", folder.path("f.npy")),
                           mentioning: ["--pixel -1,2: coordinates and channel must not be negative"])
    }

    @Test func sampleAtPointsPrintsCSV() throws {
        let result = try CLI.run("sample", imagePath, "--at", "0,0", "--at", "29,19")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines == ["x,y,c0,c1,c2", "0,0,0,1,2", "29,19,\(1797 % 251),\(1798 % 251),\(1799 % 251)"])
    }

    @Test func sampleWritesJSON() throws {
        let out = folder.path("v.json")
        #expect(try CLI.run("sample", imagePath, "--at", "1,0", "-o", out).status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any]
        let points = object?["points"] as? [[String: Any]]
        #expect(points?.first?["values"] as? [Int] == [3, 4, 5])
    }

    @Test func missingFile() throws {
        expectOneLineError(try CLI.run("info", folder.path("nope.png")), mentioning: ["nope.png", "no such file"])
    }

    @Test func emptyFile() throws {
        FileManager.default.createFile(atPath: folder.path("empty.npy"), contents: Data())
        expectOneLineError(try CLI.run("sample", folder.path("empty.npy"), "--at", "0,0"), mentioning: ["empty.npy", "empty"])
    }

    @Test func truncatedNPY() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: imagePath))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: folder.path("cut.npy")))
        expectOneLineError(try CLI.run("crop", folder.path("cut.npy"), "--region", "0,0,2,2", "-o", folder.path("c.npy")),
                           mentioning: ["cut.npy", "truncated"])
        #expect(!folder.contents.contains("c.npy"))
    }

    @Test func corruptNPYHeader() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: imagePath)))
        bytes[6] = 9  // version 9
        try Data(bytes).write(to: URL(fileURLWithPath: folder.path("bad.npy")))
        expectOneLineError(try CLI.run("info", folder.path("bad.npy")), mentioning: ["bad.npy", "corrupt"])
    }

    @Test func unknownFormat() throws {
        try Data("hello world, not an image".utf8).write(to: URL(fileURLWithPath: folder.path("text.png")))
        expectOneLineError(try CLI.run("info", folder.path("text.png")), mentioning: ["text.png", "not an image"])
    }

    @Test func unsupportedSampleType() throws {
        // int8/16/32 and uint32 are read as exact floats; int64 does not fit one.
        var header = NPY.header(dataType: .init(kind: .int, size: 8), shape: [2, 2])
        header += [UInt8](repeating: 0, count: 32)
        try Data(header).write(to: URL(fileURLWithPath: folder.path("int64.npy")))
        expectOneLineError(try CLI.run("sample", folder.path("int64.npy"), "--at", "0,0"), mentioning: ["int64.npy", "int64"])
    }

    @Test func pointOutsideIsNamed() throws {
        let result = try CLI.run("sample", imagePath, "--at", "1,1", "--at", "30,5", "-o", folder.path("o.csv"))
        expectOneLineError(result, mentioning: ["point 2", "x=30", "outside", "30×20"])
        #expect(!folder.contents.contains("o.csv"))
    }

    @Test func nonNumericPoint() throws {
        try "x,y\n1,2\n3,abc\n".write(toFile: folder.path("p.csv"), atomically: true, encoding: .utf8)
        expectOneLineError(try CLI.run("sample", imagePath, "--points", folder.path("p.csv")),
                           mentioning: ["p.csv", "line 3", "abc", "not a number"])
        expectOneLineError(try CLI.run("sample", imagePath, "--at", "1,x"), mentioning: ["--at", "x"])
    }

    @Test func regionOutside() throws {
        let result = try CLI.run("crop", imagePath, "--region", "25,0,10,5", "-o", folder.path("c.npy"))
        expectOneLineError(result, mentioning: ["--region", "outside", "30×20"])
        expectOneLineError(try CLI.run("crop", imagePath, "--region", "1,2,3", "-o", folder.path("c.npy")),
                           mentioning: ["--region", "X,Y,W,H"])
    }

    @Test func pixelLimitGuardsAgainstBombs() throws {
        let result = try CLI.run("crop", imagePath, "--region", "0,0,1,1", "-o", folder.path("c.npy"), "--max-pixels", "100")
        expectOneLineError(result, mentioning: ["image.npy", "600", "limit of 100"])
    }

    @Test func cropNeverOverwritesItsInput() throws {
        let result = try CLI.run("crop", imagePath, "--region", "0,0,2,2", "-o", imagePath)
        expectOneLineError(result, mentioning: ["image.npy", "input"])
    }

    @Test func noTemporaryFilesAreLeft() throws {
        #expect(try CLI.run("crop", imagePath, "--region", "0,0,5,5", "-o", folder.path("ok.npy")).status == 0)
        _ = try CLI.run("crop", imagePath, "--region", "0,0,50,5", "-o", folder.path("bad.npy"))
        #expect(folder.contents == ["image.npy", "ok.npy"])
    }

    @Test func unknownOutputExtension() throws {
        expectOneLineError(try CLI.run("crop", imagePath, "--region", "0,0,2,2", "-o", folder.path("c.xyz")),
                           mentioning: ["c.xyz", "extension"])
    }

    @Test func usageErrorsAreOneLine() throws {
        let result = try CLI.run("crop", imagePath)
        expectOneLineError(result, mentioning: ["--region"])
        #expect(result.status == 2)
    }
}
