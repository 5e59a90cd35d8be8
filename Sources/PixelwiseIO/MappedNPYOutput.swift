#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Pixelwise

/// An `.npy` image file written in place through a shared memory map: kernels store their results
/// straight into the file's pages instead of into an image that is then copied out with `write(2)`.
///
/// For a 12000² float64 output this saves a 1.15 GB heap allocation (and its page faults) plus the copy
/// into the page cache. The guarantees are those of ``AtomicFile``:
///
/// - the data goes to a hidden temporary file beside the target; the target appears (or is replaced)
///   only on ``commit()``, by `rename(2)`, so readers never see a half-written file;
/// - ``discard()``, a thrown error in ``NPY/writeMapped(to:width:height:channels:as:_:)`` or simply
///   dropping the object without committing removes the temporary file and leaves the target untouched;
/// - the space is reserved up front with `posix_fallocate`, so a full disk is a named error at creation
///   rather than a `SIGBUS` in the middle of a kernel.
///
/// The file is byte-for-byte what ``NPY/write(_:to:)`` writes for the same image (same header, C order,
/// little-endian). Use it like this:
///
/// ```swift
/// let output = try MappedNPYOutput<UInt8>(path: "labels.npy", width: w, height: h)
/// fill(output.buffer)          // any kernel writing a MutableImageBuffer, in parallel if it likes
/// try output.commit()
/// ```
///
/// ``buffer`` is valid until ``commit()`` or ``discard()``; do not keep it past them.
public final class MappedNPYOutput<Sample: PixelSample>: @unchecked Sendable {
    /// The target path (what the user named; errors name it).
    public let path: String
    /// Where the data is written until ``commit()``.
    public let temporaryPath: String
    /// The image's samples inside the map (row stride `width × channels`).
    public let buffer: MutableImageBuffer<Sample>

    private var map: UnsafeMutableRawPointer?
    private let mapLength: Int

    /// Creates the temporary file for a `height × width` (× `channels` when more than one) array of
    /// `Sample`, writes its header, reserves its space and maps it. The samples start uninitialised
    /// (zero, in fact): the caller must write every one before ``commit()``.
    ///
    /// - Parameter prefault: map every page now instead of on first write: `MADV_POPULATE_WRITE` on 2 MiB
    ///   blocks from every core (Linux ≥ 5.14; `MAP_POPULATE` did it in one thread, 0.10 s for a 225 MB output,
    ///   a twentieth of the blur's whole run), else `MAP_POPULATE`.
    public init(path: String, width: Int, height: Int, channels: Int = 1, prefault: Bool = true) throws {
        precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "bad output geometry")
        self.path = path
        let temporary = try AtomicFile.temporaryPath(for: path)
        temporaryPath = temporary
        let shape = channels == 1 ? [height, width] : [height, width, channels]
        let header = NPY.header(dataType: NPY.DataType(Sample.sampleType), shape: shape)
        let (dataBytes, overflow) = (width * channels).multipliedReportingOverflow(by: height * MemoryLayout<Sample>.stride)
        guard !overflow else { throw ImageFileError.cannotWrite(path: path, reason: "the image is too large") }
        let length = header.count + dataBytes
        mapLength = length

        let fd = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw ImageFileError.cannotWrite(path: path, reason: FileSystem.lastErrorText) }
        defer { close(fd) }  // the map keeps the file open
        func fail(_ code: Int32) -> ImageFileError {
            unlink(temporary)
            return ImageFileError.cannotWrite(path: path, reason: String(cString: strerror(code)))
        }
        // Reserve the blocks now: writing through a map into a sparse file on a full disk kills the
        // process with SIGBUS, where write(2) would have returned ENOSPC.
        let reserved = posix_fallocate(fd, 0, off_t(length))
        if reserved != 0 {
            // File systems without fallocate get a plain size (the SIGBUS risk is theirs, as for any mmap).
            guard reserved == EOPNOTSUPP || reserved == EINVAL else { throw fail(reserved) }
            guard ftruncate(fd, off_t(length)) == 0 else { throw fail(errno) }
        }
        var flags = MAP_SHARED
        #if os(Linux)
        let parallelPrefault = prefault && ParallelPrefault.isAvailable
        if prefault && !parallelPrefault { flags |= MAP_POPULATE }
        #endif
        guard let base = mmap(nil, length, PROT_READ | PROT_WRITE, flags, fd, 0), base != MAP_FAILED else {
            throw fail(errno)
        }
        #if os(Linux)
        if parallelPrefault {
            let block = 2 << 20
            let address = Int(bitPattern: base)
            Parallel.forEachChunk(count: (length + block - 1) / block, minimumChunk: 8) { blocks in
                let start = blocks.lowerBound * block, end = Swift.min(length, blocks.upperBound * block)
                // Best effort: a page left unmapped is simply faulted in on its first write.
                _ = madvise(UnsafeMutableRawPointer(bitPattern: address + start), end - start, MADV_POPULATE_WRITE)
            }
        }
        #endif
        map = base
        header.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: header.count) }
        buffer = MutableImageBuffer(base: (base + header.count).assumingMemoryBound(to: Sample.self),
                                    width: width, height: height, channels: channels, rowStride: width * channels)
    }

    /// Unmaps the file and renames it over the target. On failure the temporary file is removed and
    /// the error names the target. Calling it twice, or after ``discard()``, is a programming error.
    public func commit() throws {
        guard let base = map else { preconditionFailure("\(path): mapped output already committed or discarded") }
        map = nil
        // No msync: the pages are the page cache, which every reader sees; write(2) does not sync either.
        munmap(base, mapLength)
        guard rename(temporaryPath, path) == 0 else {
            let reason = FileSystem.lastErrorText
            unlink(temporaryPath)
            throw ImageFileError.cannotWrite(path: path, reason: reason)
        }
    }

    /// Drops the data: unmaps and removes the temporary file; the target is untouched. Does nothing
    /// after ``commit()``.
    public func discard() {
        guard let base = map else { return }
        map = nil
        munmap(base, mapLength)
        unlink(temporaryPath)
    }

    deinit { discard() }
}

#if os(Linux)
/// Whether this kernel knows `MADV_POPULATE_WRITE` (5.14 and later): asked once, on one anonymous page.
private enum ParallelPrefault {
    static let isAvailable: Bool = {
        guard let page = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), page != MAP_FAILED else {
            return false
        }
        defer { munmap(page, 4096) }
        return madvise(page, 4096, MADV_POPULATE_WRITE) == 0
    }()
}
#endif

extension NPY {
    /// Writes an image of `Sample` to `path` by letting `fill` store every sample straight into the
    /// file's memory map (see ``MappedNPYOutput``): atomic, and nothing is left behind if `fill` throws.
    public static func writeMapped<Sample: PixelSample, R>(
        to path: String, width: Int, height: Int, channels: Int = 1, as type: Sample.Type = Sample.self,
        _ fill: (MutableImageBuffer<Sample>) throws -> R
    ) throws -> R {
        let output = try MappedNPYOutput<Sample>(path: path, width: width, height: height, channels: channels)
        do {
            let result = try fill(output.buffer)
            try output.commit()
            return result
        } catch {
            output.discard()
            throw error
        }
    }
}
