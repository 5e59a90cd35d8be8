import ArgumentParser
import Foundation
import PixelwiseIO

/// `pixelwise info`: what each file's header says.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print width, height, channels, sample type and format of image files.",
        discussion: """
        Reads headers only. Width and height are in pixels. A file that cannot be read is reported (an error \
        line on stderr; with --json an object with "file" and "error") and the others are still listed; the exit \
        status is then 1.

        Examples:
          pixelwise info photo.jpg
          pixelwise info photo.jpg big.npy --json
        """)

    @Argument(help: "Image files.")
    var files: [String]

    @Flag(help: "Print JSON (an object for one file, a list for several), snake_case keys, each object naming its file.")
    var json = false

    func run() throws {
        guard !files.isEmpty else { throw UsageError("info: no file given") }
        let entries = files.map { file in
            do {
                return InfoEntry(file: file, info: try ImageFile.info(file), error: nil)
            } catch {
                return InfoEntry(file: file, info: nil, error: String(describing: error))
            }
        }
        // A single file keeps the usual one-line error (and no output).
        if entries.count == 1, let failure = entries[0].error { throw UsageErrorBox(message: failure) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            let data = entries.count == 1 ? try encoder.encode(entries[0]) : try encoder.encode(entries)
            Standard.output(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            for entry in entries {
                guard let info = entry.info else { continue }
                Standard.output("\(entry.file): \(info.width)×\(info.height), \(info.channels) channel\(info.channels == 1 ? "" : "s"), \(info.sampleType.rawValue), \(info.format.displayName)\(info.cfaPattern.map { " (\($0) mosaic)" } ?? "")\n")
            }
        }
        let failures = entries.compactMap(\.error)
        guard !failures.isEmpty else { return }
        for failure in failures { Standard.error("pixelwise: error: \(failure)") }
        throw ExitCode(1)
    }
}

/// One file of `info`: its header, or why it could not be read. JSON: `file`, then the header's fields
/// (`width`, `height`, `channels`, `sample_type`, `format`, `cfa_pattern` for camera RAW) or `error`.
private struct InfoEntry: Encodable {
    let file: String
    let info: ImageInfo?
    let error: String?

    private enum CodingKeys: String, CodingKey {
        case file, width, height, channels, sampleType, format, cfaPattern, error
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        if let info {
            try container.encode(info.width, forKey: .width)
            try container.encode(info.height, forKey: .height)
            try container.encode(info.channels, forKey: .channels)
            try container.encode(info.sampleType, forKey: .sampleType)
            try container.encode(info.format, forKey: .format)
            try container.encodeIfPresent(info.cfaPattern, forKey: .cfaPattern)
        }
        try container.encodeIfPresent(error, forKey: .error)
    }
}
