import Foundation
import PixelwiseIO
#if canImport(Glibc)
import Glibc
#endif

/// Checks on output paths, made before any work so that a long run does not fail at its end.
enum OutputPath {
    /// A path a command reads or writes, with the flag that named it (`-o`, `--map`, `--points`, "input").
    struct Named {
        var flag: String
        var path: String
        init(_ flag: String, _ path: String) { self.flag = flag; self.path = path }
    }

    /// The one check every command makes on all of its outputs: no output is the same file as an input or as
    /// another output. "The same file" is decided on the resolved path (symbolic links, `..`, relative paths)
    /// and, for files that exist, on device and inode (hard links). The error names the output's flag and
    /// the input's or other output's flag. `allowed` lists (output flag, input flag) pairs that may name the
    /// same file (an in-place update such as `--save-state S --resume S`).
    static func checkDistinct(outputs: [Named], inputs: [Named], allowed: [(output: String, input: String)] = []) throws {
        let inputIDs = inputs.map { FileIdentity($0.path) }
        var seen: [(Named, FileIdentity)] = []
        for output in outputs {
            let id = FileIdentity(output.path)
            for (input, inputID) in zip(inputs, inputIDs) where id.matches(inputID) {
                if allowed.contains(where: { $0.output == output.flag && $0.input == input.flag }) { continue }
                let what = input.flag == "input" ? "an input" : "the \(input.flag) file"
                throw UsageError("\(output.flag) \(output.path): is also \(what)\(input.path == output.path ? "" : " (\(input.path))"); refusing to overwrite it")
            }
            if let (other, _) = seen.first(where: { $0.1.matches(id) }) {
                throw UsageError("\(output.flag) \(output.path): is also the \(other.flag) output\(other.path == output.path ? "" : " (\(other.path))"); give each output its own file")
            }
            seen.append((output, id))
        }
    }

    /// Refuses an output that would overwrite one of the inputs, or whose format is unknown.
    static func check(_ output: String, inputs: [String], allowOverwritingInputs: Bool = false, flag: String = "-o") throws {
        guard ImageFormat(pathExtensionOf: output) != nil else {
            throw UsageError("\(flag) \(output): cannot tell the output format from the extension (use .png, .jpg, .tif, .npy, .pgm or .ppm)")
        }
        if !allowOverwritingInputs {
            try checkDistinct(outputs: [Named(flag, output)], inputs: inputs.map { Named("input", $0) })
        }
    }

    /// Whether two paths name the same file (same resolved path, or same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        FileIdentity(a).matches(FileIdentity(b))
    }
}

/// What identifies a file for ``OutputPath``: its resolved absolute path (the folder resolved when the file
/// does not exist yet) and, when it exists, its device and inode (following symbolic links).
struct FileIdentity {
    let resolved: String
    let node: (device: UInt64, inode: UInt64)?

    init(_ path: String) {
        var info = stat()
        node = stat(path, &info) == 0 ? (UInt64(info.st_dev), UInt64(info.st_ino)) : nil
        resolved = Self.resolve(path)
    }

    func matches(_ other: FileIdentity) -> Bool {
        if let a = node, let b = other.node { return a.device == b.device && a.inode == b.inode }
        return resolved == other.resolved
    }

    /// `realpath` of the path, or of its folder plus its last component when it does not exist.
    static func resolve(_ path: String) -> String {
        if let full = realPath(path) { return full }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        return ((realPath(folder) ?? URL(fileURLWithPath: folder).standardizedFileURL.path) as NSString).appendingPathComponent(name)
    }

    private static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
