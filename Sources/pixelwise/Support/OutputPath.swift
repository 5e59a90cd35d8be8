import Foundation
import PixelwiseIO

/// Checks on output paths, made before any work so that a long run does not fail at its end.
enum OutputPath {
    /// Refuses an output that would overwrite one of the inputs, or whose format is unknown. Messages name the
    /// output's option, `flag`.
    static func check(_ output: String, inputs: [String], allowOverwritingInputs: Bool = false, flag: String = "-o") throws {
        guard ImageFormat(pathExtensionOf: output) != nil else {
            throw UsageError("\(flag) \(output): cannot tell the output format from the extension (use .png, .jpg, .tif, .npy, .pgm or .ppm)")
        }
        if !allowOverwritingInputs, inputs.contains(where: { sameFile($0, output) }) {
            throw UsageError("\(flag) \(output): is also an input; refusing to overwrite it")
        }
    }

    /// Whether two paths name the same existing file.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        let manager = FileManager.default
        guard let first = try? manager.attributesOfItem(atPath: a), let second = try? manager.attributesOfItem(atPath: b) else {
            return false
        }
        return (first[.systemFileNumber] as? NSNumber) == (second[.systemFileNumber] as? NSNumber)
            && (first[.systemNumber] as? NSNumber) == (second[.systemNumber] as? NSNumber)
    }
}
