import Foundation
import Pixelwise
import PixelwiseIO
import Testing

/// Defect maps: every format round-trips through a file, bad lines fail with the file and line named.
@Suite("Defect maps")
struct DefectMapTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("pixelwise-defectmap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func write(_ text: String, to name: String) throws -> String {
        let target = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    static let candidates = [
        DefectCandidate(x: 1500, y: 1271, channel: 0, kind: .hot, score: 41.25),
        DefectCandidate(x: 0, y: 0, channel: nil, kind: .stuck, score: 7),
        DefectCandidate(x: 3871, y: 2591, channel: 2, kind: .dead, score: 1e-7),
        DefectCandidate(x: 12, y: 3, channel: 1, kind: .warm, score: 0.1 + 0.2),
        DefectCandidate(x: 12, y: 3, channel: 2, kind: .flickering, score: -3.5),
    ]

    static func randomCandidates(count: Int, seed: UInt64) -> [DefectCandidate] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return (0..<count).map { _ in
            DefectCandidate(x: Int(next() % 20000), y: Int(next() % 20000),
                            channel: next() % 4 == 0 ? nil : Int(next() % 4),
                            kind: DefectKind.allCases[Int(next() % UInt64(DefectKind.allCases.count))],
                            score: Double(Int64(bitPattern: next())) / Double(1 << 40))
        }
    }

    // MARK: Round trips

    @Test(arguments: [("map.json", DefectMapFormat.json), ("map.csv", .csv)])
    func fullFormatsRoundTripExactly(name: String, format: DefectMapFormat) throws {
        for list in [Self.candidates, Self.randomCandidates(count: 500, seed: 1), []] {
            let target = path(name)
            try DefectMapFile.write(list, to: target)
            #expect(try DefectMapFile.read(target) == list)
            #expect(try DefectMapFile.read(target, format: format) == list)
        }
    }

    @Test(arguments: [("map.txt", DefectMapFormat.dcraw), ("map.dcraw", .dcraw), (".badpixels", .dcraw),
                      ("NIKON D80.badpixels", .rawTherapee)])
    func positionFormatsKeepOnePositionPerPixel(name: String, format: DefectMapFormat) throws {
        #expect(DefectMapFormat(pathExtensionOf: name) == format)
        let target = path(name)
        try DefectMapFile.write(Self.candidates, to: target)
        let read = try DefectMapFile.read(target)
        // (12, 3) is listed in two channels: one line.
        #expect(read.map { [$0.x, $0.y] } == [[1500, 1271], [0, 0], [3871, 2591], [12, 3]])
        #expect(read.allSatisfy { $0.channel == nil && $0.kind == .hot && $0.score == 0 })
        let random = Self.randomCandidates(count: 300, seed: 2)
        try DefectMapFile.write(random, to: target)
        var seen = Set<[Int]>()
        #expect(try DefectMapFile.read(target).map { [$0.x, $0.y] } == random.map { [$0.x, $0.y] }.filter { seen.insert($0).inserted })
    }

    @Test func writtenTextLooksLikeEachToolExpects() {
        let two = Array(Self.candidates.prefix(2))
        #expect(DefectMapFile.encode(two, format: .csv) == "x,y,channel,kind,score\n1500,1271,0,hot,41.25\n0,0,,stuck,7\n")
        #expect(DefectMapFile.encode(two, format: .rawTherapee) == "1500 1271\n0 0\n")
        #expect(DefectMapFile.encode(two, format: .dcraw).hasSuffix("\n1500 1271 0\n0 0 0\n"))
        #expect(DefectMapFile.encode(two, format: .json) == """
            {"candidates": [
             {"x": 1500, "y": 1271, "channel": 0, "kind": "hot", "score": 41.25},
             {"x": 0, "y": 0, "channel": null, "kind": "stuck", "score": 7}
            ]}

            """)
        #expect(DefectMapFile.encode([], format: .json) == "{\"candidates\": []}\n")
    }

    @Test func aWholeScanResultIsAMap() throws {
        let scan = """
            {"frames": 40, "width": 3872, "height": 2592,
             "skipped": [{"file": "a.jpg", "reason": "truncated \\"JPEG\\" file"}],
             "candidates": [{"x": 1500, "y": 1271, "channel": 1, "kind": "hot", "score": 12.5e0},
                            {"score": 3, "kind": "dead", "y": 4, "x": 5}]}
            """
        let read = try DefectMapFile.read(try write(scan, to: "scan.json"))
        #expect(read == [DefectCandidate(x: 1500, y: 1271, channel: 1, kind: .hot, score: 12.5),
                         DefectCandidate(x: 5, y: 4, channel: nil, kind: .dead, score: 3)])
        let bare = try DefectMapFile.read(try write("[{\"x\": 1, \"y\": 2}]", to: "bare.json"))
        #expect(bare == [DefectCandidate(x: 1, y: 2, kind: .hot, score: 0)])
    }

    @Test func toolFilesAsTheToolsWriteThem() throws {
        let dcraw = """
            # .badpixels file for my Canon PowerShot G2
            # Format is: pixel column, pixel row, UNIX time of death
             962   91 1028350000
            \t621  943 0
            1285 1067 0\t# low light

            """
        #expect(try DefectMapFile.read(try write(dcraw, to: "dead.txt")).map { [$0.x, $0.y] } == [[962, 91], [621, 943], [1285, 1067]])
        // RawTherapee: a first line with one number is an offset added to every coordinate.
        let rawTherapee = "1\n10 20\n30 40\n"
        #expect(try DefectMapFile.read(try write(rawTherapee, to: "CANON EOS 5D.badpixels")).map { [$0.x, $0.y] } == [[11, 21], [31, 41]])
        let csvReordered = "kind,score,y,x\nhot,2,5,6\n"
        #expect(try DefectMapFile.read(try write(csvReordered, to: "r.csv")) == [DefectCandidate(x: 6, y: 5, kind: .hot, score: 2)])
        let csvNoHeader = "3,4\n5,6,2,dead,1.5\r\n"
        #expect(try DefectMapFile.read(try write(csvNoHeader, to: "n.csv"))
                == [DefectCandidate(x: 3, y: 4, kind: .hot, score: 0), DefectCandidate(x: 5, y: 6, channel: 2, kind: .dead, score: 1.5)])
    }

    @Test func writesAreAtomicAndReplaceTheTarget() throws {
        let target = path("map.csv")
        try DefectMapFile.write(Self.candidates, to: target)
        try DefectMapFile.write(Array(Self.candidates.prefix(1)), to: target)
        #expect(try DefectMapFile.read(target).count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["map.csv"])
        #expect(throws: (any Error).self) { try DefectMapFile.write(Self.candidates, to: path("missing/map.csv")) }
    }

    // MARK: Errors name the file and line

    func expectError(_ text: String, name: String, format: DefectMapFormat? = nil, _ message: String,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let target = try write(text, to: name)
        do {
            _ = try DefectMapFile.read(target, format: format)
            Issue.record("no error for \(name)", sourceLocation: sourceLocation)
        } catch let error as DefectMapError {
            #expect(error.description == "\(target)\(message)", sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        }
    }

    @Test func badLinesAreNamed() throws {
        try expectError("x,y\n1,2\n3,b\n", name: "a.csv", " line 3: y 'b' is not a whole number")
        try expectError("x,y\n1,2\n-3,4\n", name: "b.csv", " line 3: x -3 is negative")
        try expectError("x,y,channel\n1,2,7\n", name: "c.csv", " line 2: channel '7' is not 0, 1, 2 or 3")
        try expectError("x,y,kind\n1,2,sparkly\n", name: "d.csv", " line 2: kind 'sparkly' is not one of hot, warm, dead, stuck, flickering")
        try expectError("x,y,score\n1,2,high\n", name: "e.csv", " line 2: score 'high' is not a number")
        try expectError("col,row\n1,2\n", name: "f.csv", " line 1: the header must name columns x and y (x,y,channel,kind,score)")
        try expectError("x,y\n1\n", name: "g.csv", " line 2: expected x,y,channel,kind,score; x or y is missing")
        try expectError("# map\n10 20 0\n\n10 20 0 5\n", name: "h.txt", " line 4: expected 'column row time' (dcraw -P format), got 4 fields")
        try expectError("10 20 soon\n", name: "i.txt", " line 1: time 'soon' is not a whole number (expected 'column row time' (dcraw -P format))")
        try expectError("10 20\n7\n", name: "j.badpixels", " line 2: expected 'x y' (RawTherapee .badpixels format), got 1 field")
        try expectError("1.5 2\n", name: "k.txt", " line 1: column '1.5' is not a whole number")
        try expectError("-5\n1 1\n", name: "l.badpixels", " line 2: offset -5 makes the pixel negative")
    }

    @Test func badJSONIsNamedWithItsLine() throws {
        try expectError("{\"candidates\": [\n {\"x\": 1, \"y\": 2},\n {\"x\": 1.5, \"y\": 2}\n]}", name: "a.json",
                        " line 3: candidate 2: \"x\" must be a whole number")
        try expectError("{\"candidates\": [\n {\"x\": 1, \"y\": 2},\n {\"y\": 2}\n]}", name: "b.json",
                        " line 3: candidate 2: \"x\" and \"y\" are required")
        try expectError("[\n{\"x\": 1, \"y\": 2,\n \"kind\": \"purple\"}]", name: "c.json",
                        " line 3: candidate 1: \"kind\" must be one of hot, warm, dead, stuck, flickering")
        try expectError("{\"candidates\": [\n {\"x\": 1, \"y\": 2}\n", name: "d.json",
                        " line 3: invalid JSON: the file ends inside an array, expected ',' or ']'")
        try expectError("{\"candidates\": [{\"x\": 1 \"y\": 2}]}", name: "e.json",
                        " line 1: invalid JSON: expected ',' or '}' after \"x\"")
        try expectError("{\"frames\": 3}", name: "f.json", ": a JSON object map needs a \"candidates\" array")
        try expectError("{\"candidates\": 3}", name: "g.json", " line 1: \"candidates\" must be an array")
        try expectError("\n\n[{\"x\": 01, \"y\": 2}]", name: "h.json", " line 3: invalid JSON: '01' is not a number")
        try expectError("[{\"x\": 1, \"y\": 2, \"channel\": 4}]", name: "i.json", " line 1: candidate 1: \"channel\" 4 is not 0, 1, 2 or 3")
        try expectError("[] []", name: "j.json", " line 1: invalid JSON: unexpected text after the JSON document")
    }

    @Test func formatsByName() throws {
        #expect(DefectMapFormat(pathExtensionOf: "out/MAP.JSON") == .json)
        #expect(DefectMapFormat(pathExtensionOf: "a/.badpixels") == .dcraw)
        #expect(DefectMapFormat(pathExtensionOf: "a/x.badpixels") == .rawTherapee)
        #expect(DefectMapFormat(pathExtensionOf: "map") == nil)
        #expect(DefectMapFormat(name: "RawTherapee") == .rawTherapee)
        #expect(DefectMapFormat(name: "dcraw") == .dcraw)
        let target = try write("1 2 0\n", to: "map.list")
        #expect(throws: DefectMapError.unknownExtension(path: target)) { try DefectMapFile.read(target) }
        #expect(try DefectMapFile.read(target, format: .dcraw) == [DefectCandidate(x: 1, y: 2, kind: .hot, score: 0)])
        #expect(throws: (any Error).self) { try DefectMapFile.read(path("absent.json")) }
    }
}
