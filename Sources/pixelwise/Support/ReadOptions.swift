import ArgumentParser
import Foundation
import Pixelwise
import PixelwiseIO

/// Options every command that reads images shares.
struct ImageReadingOptions: ParsableArguments {
    @Option(name: .long, help: "Refuse files whose header declares more pixels than this (guard against decompression bombs).")
    var maxPixels: Int = ImageReadOptions.defaultMaxPixels

    @OptionGroup var memory: MemoryLimitOptions

    @Option(name: .long, help: "The page of a multi-page TIFF to read, 0 being the first (default: the first, with a warning naming the page count).")
    var page: Int?

    var readOptions: ImageReadOptions {
        var options = ImageReadOptions(maxPixels: maxPixels)
        options.page = page
        options.warn = { Standard.error("pixelwise: warning: \($0)") }
        return options
    }

    /// The header of `path`, checked against `--max-pixels` (the size estimates trust it from here on).
    func info(_ path: String) throws -> ImageInfo {
        let info = try ImageFile.info(path, options: readOptions)
        try readOptions.checkPixelCount(width: info.width, height: info.height, path: path)
        return info
    }

    /// What decoding `path` allocates (nothing for an NPY read in place).
    func decodeMemory(_ path: String, info: ImageInfo) -> MemoryNeed {
        ImageFile.decodeMemory(path, info: info, options: readOptions)
    }

    /// Refuses `need` when it is more than `--max-memory`, naming the job and its input: "blur of big.tif
    /// (40000×40000×3 uint8) needs about …".
    func check(_ need: MemoryNeed, job: String, path: String, info: ImageInfo) throws {
        let shape = "\(info.width)×\(info.height)×\(info.channels) \(info.sampleType.rawValue)"
        try memory.check(need, job: "\(job) of \(path) (\(shape))")
    }
}

/// `--max-memory`: every command that reads or makes images checks its estimated peak against it first.
struct MemoryLimitOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Refuse a job whose estimated peak memory is more than this: bytes, or with K, M, G or T (1K = 1024; e.g. 8G, 512M, 1.5GB).",
        discussion: "Default: this machine's physical memory (sysconf _SC_PHYS_PAGES, the MemTotal of /proc/meminfo), or a lower memory cgroup (container) limit. "
            + "The estimate is made from the image headers and options, before anything is decoded or allocated.",
        valueName: "size"))
    var maxMemory: String?

    func validate() throws {
        _ = try limit()
    }

    /// `--max-memory` read, or the machine's memory.
    func limit() throws -> MemoryLimit {
        guard let maxMemory else { return .physical }
        guard let bytes = MemoryLimit.parseSize(maxMemory) else {
            throw ValidationError("--max-memory \(maxMemory): expected a positive size such as 8G, 512M, 1.5GB or a number of bytes")
        }
        return MemoryLimit(bytes: bytes)
    }

    /// Refuses `need` for `job` (which names the job and its input) when it is more than the limit.
    func check(_ need: MemoryNeed, job: String) throws {
        // How docs/reliability.md compares the estimates with the peak RSS measured.
        if ProcessInfo.processInfo.environment["PIXELWISE_MEMORY_NOTE"] != nil {
            Standard.error("pixelwise: note: \(job): estimated \(need.bytes) bytes (\(need))")
        }
        try limit().check(need, job: job)
    }
}
