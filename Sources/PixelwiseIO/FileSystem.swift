#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over POSIX file calls: Foundation's file APIs copy where we want to map, and give
/// messages that do not name the file.
enum FileSystem {
    /// The text of `errno`.
    static var lastErrorText: String { String(cString: strerror(errno)) }

    /// Whether `path` exists and is a regular file; throws a named error otherwise.
    static func checkReadable(_ path: String) throws {
        var status = stat()
        if stat(path, &status) != 0 {
            if errno == ENOENT { throw ImageFileError.notFound(path: path) }
            throw ImageFileError.unreadable(path: path, reason: lastErrorText)
        }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw ImageFileError.unreadable(path: path, reason: "it is a folder") }
        if status.st_size == 0 { throw ImageFileError.empty(path: path) }
    }

    /// The first `count` bytes of a file (fewer if it is shorter).
    static func readPrefix(_ path: String, count: Int) throws -> [UInt8] {
        try checkReadable(path)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ImageFileError.unreadable(path: path, reason: lastErrorText) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, count) }
        guard got >= 0 else { throw ImageFileError.unreadable(path: path, reason: lastErrorText) }
        return Array(bytes.prefix(got))
    }

    /// The whole file in memory.
    static func readAll(_ path: String) throws -> [UInt8] {
        let file = try MappedFile(path: path)
        return Array(file.bytes)
    }

    /// Whether something exists at `path`.
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    /// Whether `path` is a folder.
    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }
}

/// A whole file mapped read-only into memory (private, so pages may be written without touching the file).
public final class MappedFile: @unchecked Sendable {
    /// The file's bytes.
    public let bytes: UnsafeMutableRawBufferPointer
    public let path: String

    /// Maps `path`. Throws a named error when it is missing, empty or unreadable.
    public init(path: String) throws {
        try FileSystem.checkReadable(path)
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ImageFileError.unreadable(path: path, reason: FileSystem.lastErrorText) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw ImageFileError.unreadable(path: path, reason: FileSystem.lastErrorText) }
        let size = Int(status.st_size)
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw ImageFileError.unreadable(path: path, reason: FileSystem.lastErrorText)
        }
        bytes = UnsafeMutableRawBufferPointer(start: base, count: size)
    }

    /// Asks the kernel to read ahead the whole file (large sequential or random reads follow).
    public func adviseWillNeed() {
        _ = madvise(bytes.baseAddress, bytes.count, MADV_WILLNEED)
    }

    deinit { munmap(bytes.baseAddress, bytes.count) }
}

/// Writing outputs atomically: the data goes to a hidden temporary file beside the target, which is
/// renamed over the target only when complete, so no command ever leaves a half-written file.
public enum AtomicFile {
    /// Calls `write` with a temporary path in the target's folder, then renames it to `path`.
    /// On any error the temporary file is removed and the target is untouched.
    public static func write(to path: String, _ write: (String) throws -> Void) throws {
        let temporary = try temporaryPath(for: path)
        do {
            try write(temporary)
            guard rename(temporary, path) == 0 else {
                throw ImageFileError.cannotWrite(path: path, reason: FileSystem.lastErrorText)
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// A fresh hidden temporary path in the folder of `path` (so that the final rename stays on one file
    /// system and is atomic). Throws a named error when `path` is a folder or its folder does not exist.
    static func temporaryPath(for path: String) throws -> String {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else { throw ImageFileError.cannotWrite(path: path, reason: "the path names a folder") }
        if FileSystem.isDirectory(path) { throw ImageFileError.cannotWrite(path: path, reason: "it is a folder") }
        guard FileSystem.isDirectory(folder.isEmpty ? "/" : folder) else {
            let reason = FileSystem.exists(folder) ? "\(folder) is a file, not a folder" : "folder \(folder) does not exist"
            throw ImageFileError.cannotWrite(path: path, reason: reason)
        }
        let temporary = "\(folder.isEmpty ? "" : folder)/.\(name).pixelwise-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        TemporaryFiles.register(temporary)
        return temporary
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(bytes: some Collection<UInt8>, to path: String) throws {
        try write(to: path) { temporary in
            let writer = try FileWriter(path: temporary, reportedPath: path)
            try writer.write(Array(bytes))
            try writer.close()
        }
    }
}

/// Buffered sequential writing to a file with named errors.
public final class FileWriter {
    private var file: UnsafeMutablePointer<FILE>?
    private let reportedPath: String

    /// Opens `path` for writing; errors name `reportedPath` (the user's target, not the temporary).
    public init(path: String, reportedPath: String? = nil) throws {
        self.reportedPath = reportedPath ?? path
        guard let file = fopen(path, "wb") else {
            throw ImageFileError.cannotWrite(path: self.reportedPath, reason: FileSystem.lastErrorText)
        }
        setvbuf(file, nil, _IOFBF, 1 << 20)
        self.file = file
    }

    /// Appends raw bytes.
    public func write(_ raw: UnsafeRawBufferPointer) throws {
        guard raw.count > 0 else { return }
        if fwrite(raw.baseAddress, 1, raw.count, file) != raw.count {
            throw ImageFileError.cannotWrite(path: reportedPath, reason: FileSystem.lastErrorText)
        }
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends a string as UTF-8.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Flushes and closes, reporting a failure (a full disk shows here).
    public func close() throws {
        guard let file else { return }
        self.file = nil
        if fflush(file) != 0 || fclose(file) != 0 {
            throw ImageFileError.cannotWrite(path: reportedPath, reason: FileSystem.lastErrorText)
        }
    }

    deinit { if let file { fclose(file) } }
}

/// Every temporary output path this process has made (``AtomicFile/temporaryPath(for:)``), so that an
/// interrupted command (Ctrl-C, SIGTERM) can remove them before it exits: see ``removeAll()``. Paths already
/// renamed to their target or removed are harmless to remove again (their names are unique to the process).
public enum TemporaryFiles {
    private static let lock = NSLockLike()
    nonisolated(unsafe) private static var paths: [String] = []

    static func register(_ path: String) {
        lock.withLock { paths.append(path) }
    }

    /// Unlinks every registered temporary path (from the CLI's signal-watching thread, not a signal handler).
    public static func removeAll() {
        lock.withLock {
            for path in paths { unlink(path) }
            paths.removeAll()
        }
    }
}

/// A pthread mutex (this file uses no Foundation).
private final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
