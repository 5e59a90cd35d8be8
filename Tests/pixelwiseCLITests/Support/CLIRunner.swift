import Foundation
import Testing

/// Runs the built `pixelwise` binary (SwiftPM builds it beside the test bundle, since this target depends on it).
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The stderr lines, without empty ones.
        var errorLines: [Substring] { stderr.split(separator: "\n") }
    }

    static let binary: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("pixelwise")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        // Fallback: the package's default debug build folder.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/pixelwise")
    }()

    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so that a large output cannot block the child on a full pipe.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func run(_ arguments: String...) throws -> Result { try run(arguments) }
}

/// A fresh temporary folder, removed when the value dies.
final class TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("pixelwise-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// Every file in the folder (hidden temporaries included).
    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path))?.sorted() ?? [] }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Expects a failed run with exactly one stderr line that contains every fragment.
func expectOneLineError(_ result: CLI.Result, mentioning fragments: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status != 0, "expected a non-zero exit", sourceLocation: sourceLocation)
    #expect(result.errorLines.count == 1, "expected one line, got: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("pixelwise: error: "), "got: \(result.stderr)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(result.stderr.contains(fragment), "'\(fragment)' missing from: \(result.stderr)", sourceLocation: sourceLocation)
    }
}
