import Foundation
import Pixelwise
import PixelwiseIO
import Testing

/// End-to-end checks of `pixelwise quantize` through the real binary: the public command line, the JSON
/// report, the outputs' types, and one-line errors with nothing written.
@Suite("CLI: quantize")
struct QuantizeCLITests {
    let folder: TemporaryFolder
    let greyPath: String
    let floatPath: String

    init() throws {
        folder = try TemporaryFolder()
        greyPath = folder.path("grey.npy")
        floatPath = folder.path("float.npy")
        var generator = SplitMix64(seed: 12)
        let grey = Image<UInt16>(width: 37, height: 23, samples: (0..<(37 * 23)).map { _ in UInt16.random(in: 0...4000, using: &generator) })
        try ImageFile.write(.uint16(grey), to: greyPath)
        let float = Image<Double>(width: 19, height: 11, samples: (0..<(19 * 11)).map { _ in Double.random(in: -1...1, using: &generator) })
        try ImageFile.write(.float64(float), to: floatPath)
    }

    func json(_ result: CLI.Result) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func clustersWritesLabelsAndQuantizedImage() throws {
        let labels = folder.path("labels.npy"), output = folder.path("q.npy")
        let result = try CLI.run("quantize", greyPath, "-k", "5", "--labels", labels, "-o", output, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try json(result)
        let centers = try #require(report["centers"] as? [Double])
        #expect(centers.count == 5 && centers == centers.sorted())
        #expect((report["counts"] as? [Int])?.reduce(0, +) == 37 * 23)
        #expect(report["k"] as? Int == 5)
        #expect((report["levels"] as? [[String: Any]])?.count == 5)
        guard case .uint8(let labelImage)? = try? ImageFile.read(labels) else { Issue.record("labels not uint8"); return }
        guard case .uint16(let quantized)? = try? ImageFile.read(output) else { Issue.record("output not uint16"); return }
        guard case .uint16(let source) = try ImageFile.read(greyPath) else { return }
        for (index, sample) in source.samples.enumerated() {
            let expected = bruteForceNearest(Double(sample), centers)
            #expect(Int(labelImage.samples[index]) == expected)
            #expect(quantized.samples[index] == UInt16(roundingClamping: centers[expected]))
        }
        // The objective is the exact optimum over the distinct values.
        let data = WeightedValues(values: Set(source.samples).sorted().map { Double($0) })
        let objective = try #require(report["objective"] as? Double)
        #expect(abs(objective - OptimalKMeans.cluster(data, k: 5).objective) <= 1e-9 * objective)
    }

    @Test func givenCentersAndFloat64Output() throws {
        let output = folder.path("q.npy")
        let result = try CLI.run("quantize", floatPath, "--centers", "-0.5,0.5,0", "-o", output, "--dtype", "float64")
        #expect(result.status == 0, "\(result.stderr)")
        guard case .float64(let quantized) = try ImageFile.read(output) else { Issue.record("not float64"); return }
        guard case .float64(let source) = try ImageFile.read(floatPath) else { return }
        let centers = [-0.5, 0, 0.5]
        #expect(quantized.samples == source.samples.map { centers[bruteForceNearest($0, centers)] })
    }

    @Test("streamed NPY outputs mixed with an image-encoded PNG give the same labels and values")
    func mixedOutputFormats() throws {
        let centers = "0.5,-0.5,0,0.9"
        let npyLabels = folder.path("l.npy"), npyValues = folder.path("v.npy"), pngLabels = folder.path("l.png")
        let streamed = try CLI.run("quantize", floatPath, "--centers", centers, "--labels", npyLabels, "-o", npyValues)
        #expect(streamed.status == 0, "\(streamed.stderr)")
        let mixed = try CLI.run("quantize", floatPath, "--centers", centers, "--labels", pngLabels, "-o", folder.path("v2.npy"))
        #expect(mixed.status == 0, "\(mixed.stderr)")
        #expect(try ImageFile.read(npyLabels) == ImageFile.read(pngLabels))
        #expect(try ImageFile.read(npyValues) == ImageFile.read(folder.path("v2.npy")))
        guard case .uint8(let labels) = try ImageFile.read(npyLabels), case .float64(let source) = try ImageFile.read(floatPath) else {
            Issue.record("unexpected types"); return
        }
        let sorted = [-0.5, 0, 0.5, 0.9]
        #expect(labels.samples.map(Int.init) == source.samples.map { bruteForceNearest($0, sorted) })
    }

    @Test func autoKAndLloydReport() throws {
        let auto = try json(try CLI.run("quantize", greyPath, "-k", "auto", "--json"))
        #expect((auto["bic"] as? [Any])?.count == 9)
        let lloyd = try json(try CLI.run("quantize", greyPath, "-k", "4", "--method", "lloyd", "--seed", "3", "--json"))
        let optimal = try json(try CLI.run("quantize", greyPath, "-k", "4", "--json"))
        #expect((optimal["objective"] as! Double) <= (lloyd["objective"] as! Double) * (1 + 1e-12))
        let more = try json(try CLI.run("quantize", greyPath, "-k", "65536", "--json", "--weighting", "pixels"))
        #expect(more["k"] as? Int == more["distinct_values"] as? Int)
        #expect(more["k_requested"] as? Int == 65536)
    }

    @Test func colourNeedsAChannel() throws {
        let rgb = folder.path("rgb.npy")
        try ImageFile.write(.uint8(Image<UInt8>(width: 4, height: 3, channels: 3, samples: (0..<36).map { UInt8($0) })), to: rgb)
        expectOneLineError(try CLI.run("quantize", rgb, "-k", "2", "-o", folder.path("x.npy")), mentioning: ["rgb.npy", "--channel"])
        let result = try CLI.run("quantize", rgb, "-k", "2", "--channel", "2", "--json")
        #expect(result.status == 0)
        #expect((try json(result)["counts"] as? [Int])?.reduce(0, +) == 12)
        expectOneLineError(try CLI.run("quantize", rgb, "-k", "2", "--channel", "3"), mentioning: ["--channel 3"])
    }

    @Test(arguments: [
        (["-k", "0"], "-k 0"), (["-k", "abc"], "-k abc"), (["-k", "-3"], "-k -3"), (["-k=-3"], "-k -3"), (["-k", "70000"], "65536"),
        ([], "-k"), (["-k", "3", "--centers", "1,2"], "--centers"), (["--centers", "1,x"], "'x'"),
        (["--centers", "1,1"], "twice"), (["-k", "2", "--labels", "out.jpg"], "JPEG"),
    ])
    func badArgumentsWriteNothing(arguments: [String], fragment: String) throws {
        let result = try CLI.run(["quantize", greyPath] + arguments + ["-o", folder.path("never.npy")])
        expectOneLineError(result, mentioning: [fragment])
        #expect(!folder.contents.contains("never.npy"))
    }

    @Test func nanAndEmptyImagesAreRefused() throws {
        let nan = folder.path("nan.npy"), empty = folder.path("empty.npy")
        var samples = [Double](repeating: 0.25, count: 20)
        samples[13] = .nan
        try ImageFile.write(.float64(Image(width: 5, height: 4, samples: samples)), to: nan)
        try NPY.write(UnsafeBufferPointer<Double>(start: nil, count: 0), dataType: NPY.DataType(.float64), shape: [0, 7], to: empty)
        for arguments in [["-k", "2"], ["--centers", "0,1"]] {
            let result = try CLI.run(["quantize", nan] + arguments + ["--labels", folder.path("l.npy"), "-o", folder.path("q.npy")])
            expectOneLineError(result, mentioning: ["nan.npy", "NaN", "x=3, y=2"])
        }
        expectOneLineError(try CLI.run("quantize", empty, "-k", "2", "-o", folder.path("q.npy")), mentioning: ["empty"])
        #expect(!folder.contents.contains("q.npy") && !folder.contents.contains("l.npy"))
    }

    @Test func refusesToOverwriteTheInput() throws {
        expectOneLineError(try CLI.run("quantize", greyPath, "-k", "2", "-o", greyPath), mentioning: ["input"])
    }

    func bruteForceNearest(_ value: Double, _ centers: [Double]) -> Int {
        var best = 0
        for t in centers.indices where abs(value - centers[t]) < abs(value - centers[best]) { best = t }
        return best
    }
}
