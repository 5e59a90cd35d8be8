import Pixelwise

/// The defect map formats `pixelwise hotpixels` reads and writes.
///
/// | format | extension | one line (or object) per defect |
/// | --- | --- | --- |
/// | ``json`` | `.json` | `{"x": 10, "y": 20, "channel": 0, "kind": "hot", "score": 12.5}` in `"candidates"` |
/// | ``csv`` | `.csv` | `x,y,channel,kind,score` (header line first; channel empty when unknown) |
/// | ``dcraw`` | `.txt`, `.dcraw`, or a file named exactly `.badpixels` | `col row time` (dcraw `-P`; time 0 = always) |
/// | ``rawTherapee`` | `.badpixels` (e.g. `NIKON D80.badpixels`) | `x y` |
///
/// dcraw's own default map is a file named `.badpixels` in dcraw's format, while RawTherapee reads
/// `<MAKE> <MODEL>.badpixels` files of `x y` lines; so a name that is exactly `.badpixels` means dcraw and
/// any other `*.badpixels` means RawTherapee.
public enum DefectMapFormat: String, Sendable, CaseIterable, Equatable {
    case json, csv, dcraw
    case rawTherapee = "badpixels"

    /// The name used in messages and accepted by `--map-format` (`json`, `csv`, `dcraw`, `badpixels`).
    public var displayName: String {
        switch self {
        case .json: "JSON"
        case .csv: "CSV"
        case .dcraw: "dcraw -P"
        case .rawTherapee: "RawTherapee .badpixels"
        }
    }

    /// The format a path names by its extension, if any (case-insensitive).
    public init?(pathExtensionOf path: String) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name.lowercased() == ".badpixels" {
            self = .dcraw
            return
        }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "json": self = .json
        case "csv": self = .csv
        case "txt", "dcraw": self = .dcraw
        case "badpixels": self = .rawTherapee
        default: return nil
        }
    }

    /// Parses a `--map-format` value: a case name or `rawtherapee`.
    public init?(name: String) {
        switch name.lowercased() {
        case "json": self = .json
        case "csv": self = .csv
        case "dcraw", "txt": self = .dcraw
        case "badpixels", "rawtherapee": self = .rawTherapee
        default: return nil
        }
    }
}

/// Why a defect map cannot be read or written. One line, naming the file (and line) and what is wrong.
public enum DefectMapError: Error, Equatable, CustomStringConvertible {
    case badLine(path: String, line: Int, detail: String)
    case unknownExtension(path: String)
    case invalid(path: String, detail: String)

    public var description: String {
        switch self {
        case let .badLine(path, line, detail): "\(path) line \(line): \(detail)"
        case let .unknownExtension(path):
            "\(path): cannot tell the defect map format from the name (use .json, .csv, .txt/.dcraw for dcraw, .badpixels for RawTherapee, or give the format)"
        case let .invalid(path, detail): "\(path): \(detail)"
        }
    }
}

/// Reading and writing defect maps (lists of ``DefectCandidate``) in the formats of ``DefectMapFormat``.
///
/// Formats without a channel, kind or score (dcraw, RawTherapee) read as `channel: nil`, `kind: .hot`,
/// `score: 0`; writing them keeps one line per pixel (the first of several channels at the same pixel).
/// Writes are atomic (``AtomicFile``).
public enum DefectMapFile {
    /// Reads the map at `path`, in `format` or the one its name gives.
    public static func read(_ path: String, format: DefectMapFormat? = nil) throws -> [DefectCandidate] {
        guard let format = format ?? DefectMapFormat(pathExtensionOf: path) else {
            throw DefectMapError.unknownExtension(path: path)
        }
        let bytes = try FileSystem.readAll(path)
        return try decode(bytes, format: format, source: path)
    }

    /// Writes `candidates` to `path` atomically, in `format` or the one its name gives.
    public static func write(_ candidates: [DefectCandidate], to path: String, format: DefectMapFormat? = nil) throws {
        guard let format = format ?? DefectMapFormat(pathExtensionOf: path) else {
            throw DefectMapError.unknownExtension(path: path)
        }
        try AtomicFile.write(bytes: Array(encode(candidates, format: format).utf8), to: path)
    }

    /// The text of a map.
    public static func encode(_ candidates: [DefectCandidate], format: DefectMapFormat) -> String {
        var text = ""
        switch format {
        case .json:
            text = "{\"candidates\": ["
            for (index, c) in candidates.enumerated() {
                text += index == 0 ? "\n" : ",\n"
                text += " " + jsonObject(c)
            }
            text += candidates.isEmpty ? "]}\n" : "\n]}\n"
        case .csv:
            text = "x,y,channel,kind,score\n"
            for c in candidates {
                text += "\(c.x),\(c.y),\(c.channel.map(String.init) ?? ""),\(c.kind.rawValue),\(numberText(c.score, json: false))\n"
            }
        case .dcraw:
            text = "# Defect map written by pixelwise: column row time (time 0 = defective in every photo)\n"
            for c in onePerPixel(candidates) { text += "\(c.x) \(c.y) 0\n" }
        case .rawTherapee:
            // RawTherapee reads the first line as an offset when it holds one number, and has no comments.
            for c in onePerPixel(candidates) { text += "\(c.x) \(c.y)\n" }
        }
        return text
    }

    /// The candidate objects exactly as the scan's `--json` prints them.
    public static func jsonObject(_ c: DefectCandidate) -> String {
        "{\"x\": \(c.x), \"y\": \(c.y), \"channel\": \(c.channel.map(String.init) ?? "null"), "
            + "\"kind\": \"\(c.kind.rawValue)\", \"score\": \(numberText(c.score, json: true))}"
    }

    /// Parses a map's bytes; `source` names the file in errors.
    public static func decode(_ bytes: [UInt8], format: DefectMapFormat, source: String) throws -> [DefectCandidate] {
        switch format {
        case .json: return try decodeJSON(bytes, source: source)
        case .csv: return try decodeCSV(bytes, source: source)
        case .dcraw, .rawTherapee: return try decodeColumns(bytes, format: format, source: source)
        }
    }

    // MARK: - Text helpers

    /// Shortest round-trip text of a double; JSON has no infinities or NaN, so those become null there.
    static func numberText(_ value: Double, json: Bool) -> String {
        guard value.isFinite else { return json ? "null" : "\(value)" }
        if value == value.rounded(), value.magnitude < 1e15 { return String(Int(value)) }
        return "\(value)"
    }

    static func onePerPixel(_ candidates: [DefectCandidate]) -> [DefectCandidate] {
        var seen = Set<[Int]>()
        return candidates.filter { seen.insert([$0.x, $0.y]).inserted }
    }

    /// Lines of text with their 1-based numbers, comments (`#` to the end) and surrounding blanks removed,
    /// empty lines skipped.
    static func contentLines(_ bytes: [UInt8], comments: Bool) -> [(number: Int, text: String)] {
        var result = [(number: Int, text: String)]()
        var number = 0
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var line = String(decoding: raw, as: UTF8.self)
            if comments, let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
            line = line.trimming(" \t\r\u{FEFF}")
            if !line.isEmpty { result.append((number, line)) }
        }
        return result
    }

    static func coordinate(_ text: String, name: String, path: String, line: Int) throws -> Int {
        guard let value = Int(text) else {
            throw DefectMapError.badLine(path: path, line: line, detail: "\(name) '\(text)' is not a whole number")
        }
        guard value >= 0 else {
            throw DefectMapError.badLine(path: path, line: line, detail: "\(name) \(value) is negative")
        }
        return value
    }

    // MARK: - dcraw and RawTherapee

    static func decodeColumns(_ bytes: [UInt8], format: DefectMapFormat, source: String) throws -> [DefectCandidate] {
        var result = [DefectCandidate]()
        var offset = 0
        let expected = format == .dcraw ? "'column row time' (dcraw -P format)" : "'x y' (RawTherapee .badpixels format)"
        for (index, line) in contentLines(bytes, comments: true).enumerated() {
            let fields = line.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            // RawTherapee: a first line holding one number is an offset added to every coordinate.
            if format == .rawTherapee, index == 0, fields.count == 1, let value = Int(fields[0]) {
                offset = value
                continue
            }
            guard fields.count == 2 || fields.count == 3 else {
                throw DefectMapError.badLine(path: source, line: line.number,
                                             detail: "expected \(expected), got \(fields.count) field\(fields.count == 1 ? "" : "s")")
            }
            if fields.count == 3, Int(fields[2]) == nil {
                throw DefectMapError.badLine(path: source, line: line.number,
                                             detail: "time '\(fields[2])' is not a whole number (expected \(expected))")
            }
            let x = try coordinate(fields[0], name: "column", path: source, line: line.number) + offset
            let y = try coordinate(fields[1], name: "row", path: source, line: line.number) + offset
            guard x >= 0, y >= 0 else {
                throw DefectMapError.badLine(path: source, line: line.number, detail: "offset \(offset) makes the pixel negative")
            }
            result.append(DefectCandidate(x: x, y: y, channel: nil, kind: .hot, score: 0))
        }
        return result
    }

    // MARK: - CSV

    static func decodeCSV(_ bytes: [UInt8], source: String) throws -> [DefectCandidate] {
        var columns = (x: 0, y: 1, channel: Optional(2), kind: Optional(3), score: Optional(4))
        var result = [DefectCandidate]()
        for (index, line) in contentLines(bytes, comments: true).enumerated() {
            let fields = line.text.split(separator: ",", omittingEmptySubsequences: false).map {
                String($0).trimming(" \t\"")
            }
            if index == 0, Int(fields[0]) == nil {
                // A header: columns by name.
                let names = fields.map { $0.lowercased() }
                guard let x = names.firstIndex(of: "x"), let y = names.firstIndex(of: "y") else {
                    throw DefectMapError.badLine(path: source, line: line.number,
                                                 detail: "the header must name columns x and y (x,y,channel,kind,score)")
                }
                columns = (x, y, names.firstIndex(of: "channel"), names.firstIndex(of: "kind"), names.firstIndex(of: "score"))
                continue
            }
            func field(_ column: Int?) -> String? {
                guard let column, column < fields.count, !fields[column].isEmpty else { return nil }
                return fields[column]
            }
            guard let xText = field(columns.x), let yText = field(columns.y) else {
                throw DefectMapError.badLine(path: source, line: line.number, detail: "expected x,y,channel,kind,score; x or y is missing")
            }
            let x = try coordinate(xText, name: "x", path: source, line: line.number)
            let y = try coordinate(yText, name: "y", path: source, line: line.number)
            var channel: Int?
            if let text = field(columns.channel) {
                guard let value = Int(text), (0..<Image<UInt8>.maximumChannels).contains(value) else {
                    throw DefectMapError.badLine(path: source, line: line.number, detail: "channel '\(text)' is not 0, 1, 2 or 3")
                }
                channel = value
            }
            var kind = DefectKind.hot
            if let text = field(columns.kind) {
                guard let value = DefectKind(rawValue: text.lowercased()) else {
                    throw DefectMapError.badLine(path: source, line: line.number, detail: "kind '\(text)' is not one of \(kindList)")
                }
                kind = value
            }
            var score = 0.0
            if let text = field(columns.score) {
                guard let value = Double(text) else {
                    throw DefectMapError.badLine(path: source, line: line.number, detail: "score '\(text)' is not a number")
                }
                score = value
            }
            result.append(DefectCandidate(x: x, y: y, channel: channel, kind: kind, score: score))
        }
        return result
    }

    static var kindList: String { DefectKind.allCases.map(\.rawValue).joined(separator: ", ") }

    // MARK: - JSON

    /// A whole scan result (`{"candidates": [...], ...}`) or a bare array of candidate objects.
    static func decodeJSON(_ bytes: [UInt8], source: String) throws -> [DefectCandidate] {
        var parser = MapJSONParser(bytes: bytes, source: source)
        let root = try parser.parseDocument()
        let list: [MapJSONParser.Value]
        switch root.kind {
        case .array(let items):
            list = items
        case .object(let members):
            guard let candidates = members.first(where: { $0.key == "candidates" })?.value else {
                throw DefectMapError.invalid(path: source, detail: "a JSON object map needs a \"candidates\" array")
            }
            guard case .array(let items) = candidates.kind else {
                throw DefectMapError.badLine(path: source, line: candidates.line, detail: "\"candidates\" must be an array")
            }
            list = items
        default:
            throw DefectMapError.badLine(path: source, line: root.line,
                                         detail: "expected an array of candidates or an object with \"candidates\"")
        }
        return try list.enumerated().map { index, item in try candidate(item, index: index, source: source) }
    }

    static func candidate(_ item: MapJSONParser.Value, index: Int, source: String) throws -> DefectCandidate {
        let line = item.line
        func fail(_ detail: String, at: Int? = nil) -> DefectMapError {
            .badLine(path: source, line: at ?? line, detail: "candidate \(index + 1): \(detail)")
        }
        guard case .object(let members) = item.kind else { throw fail("expected an object {\"x\": …, \"y\": …}") }
        func member(_ name: String) -> MapJSONParser.Value? { members.first(where: { $0.key == name })?.value }
        func integer(_ name: String) throws -> Int? {
            guard let value = member(name) else { return nil }
            if case .null = value.kind { return nil }
            guard case .number(let n) = value.kind, n == n.rounded(), n.magnitude < 9e15 else {
                throw fail("\"\(name)\" must be a whole number", at: value.line)
            }
            return Int(n)
        }
        guard let x = try integer("x"), let y = try integer("y") else { throw fail("\"x\" and \"y\" are required") }
        guard x >= 0, y >= 0 else { throw fail("negative coordinates (\(x), \(y))") }
        let channel = try integer("channel")
        if let channel, !(0..<Image<UInt8>.maximumChannels).contains(channel) {
            throw fail("\"channel\" \(channel) is not 0, 1, 2 or 3", at: member("channel")?.line)
        }
        var kind = DefectKind.hot
        if let value = member("kind") {
            guard case .string(let text) = value.kind, let parsed = DefectKind(rawValue: text) else {
                throw fail("\"kind\" must be one of \(kindList)", at: value.line)
            }
            kind = parsed
        }
        var score = 0.0
        if let value = member("score") {
            switch value.kind {
            case .number(let n): score = n
            case .null: score = .nan
            default: throw fail("\"score\" must be a number", at: value.line)
            }
        }
        return DefectCandidate(x: x, y: y, channel: channel, kind: kind, score: score)
    }
}
