import ArgumentParser
import Foundation
import PixelwiseIO

/// `pixelwise info`: what each file's header says.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print width, height, channels, sample type and format of image files.")

    @Argument(help: "Image files.")
    var files: [String]

    @Flag(help: "Print JSON (an object for one file, a list for several).")
    var json = false

    func run() throws {
        guard !files.isEmpty else { throw UsageError("info: no file given") }
        let infos = try files.map { try ImageFile.info($0) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = infos.count == 1 ? try encoder.encode(infos[0]) : try encoder.encode(infos)
            Standard.output(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            for (file, info) in zip(files, infos) {
                Standard.output("\(file): \(info.width)×\(info.height), \(info.channels) channel\(info.channels == 1 ? "" : "s"), \(info.sampleType.rawValue), \(info.format.displayName)\(info.cfaPattern.map { " (\($0) mosaic)" } ?? "")\n")
            }
        }
    }
}
