#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Pixelwise

/// An `.npy` image file written in blocks of rows with positional writes (`pwrite`), from any number of
/// threads at once and in any order: kernels compute a block into a small buffer that stays in cache and
/// hand it here, so the image never exists whole in memory.
///
/// Against ``MappedNPYOutput`` (measured on 12000² float64 outputs, 1.3 GB): no page of the output is
/// zeroed, faulted or unmapped — `pwrite` copies each block straight into fresh page-cache pages, on
/// every core — where a prefaulted map zeroes every page first, in one thread, inside `mmap`. The space
/// is reserved up front with `posix_fallocate`, so a full disk is a named error at creation; later write
/// errors are ordinary `write` errors, never a `SIGBUS`.
///
/// The guarantees are those of ``AtomicFile``: the data goes to a hidden temporary file beside the
/// target, which appears only on ``commit()`` (by `rename(2)`); ``discard()`` or dropping the object
/// uncommitted removes the temporary file. The file is byte-for-byte what ``NPY/write(_:to:)`` writes.
///
/// ```swift
/// let output = try NPYBlockOutput<UInt8>(path: "labels.npy", width: w, height: h)
/// try output.write(rows: 0..<16, from: block)   // any thread, any order; every row exactly once
/// try output.commit()
/// ```
public final class NPYBlockOutput<Sample: PixelSample>: @unchecked Sendable {
    /// The target path (what the user named; errors name it).
    public let path: String
    /// Where the data is written until ``commit()``.
    public let temporaryPath: String
    public let width: Int
    public let height: Int
    public let channels: Int

    /// Open until commit or discard (only `pwrite` is used meanwhile, which is safe from any thread).
    private var descriptor: Int32
    private let dataOffset: Int

    /// Creates the temporary file for a `height × width` (× `channels` when more than one) array of
    /// `Sample` and writes its header.
    public init(path: String, width: Int, height: Int, channels: Int = 1) throws {
        precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "bad output geometry")
        self.path = path
        self.width = width
        self.height = height
        self.channels = channels
        let temporary = try AtomicFile.temporaryPath(for: path)
        temporaryPath = temporary
        let shape = channels == 1 ? [height, width] : [height, width, channels]
        let header = NPY.header(dataType: NPY.DataType(Sample.sampleType), shape: shape)
        dataOffset = header.count
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw ImageFileError.cannotWrite(path: path, reason: FileSystem.lastErrorText) }
        descriptor = fd
        do {
            // Reserve (allocate) every block now: a full disk is a named error before any computing, and
            // — measured — ext4 then has no delayed allocation to force when the file is renamed over an
            // existing target (its "replace via rename" heuristic flushed the 1.15 GB output inside
            // rename(2): 0.9 s of waiting per run without this).
            let (dataBytes, overflow) = (width * channels).multipliedReportingOverflow(by: height * MemoryLayout<Sample>.stride)
            guard !overflow else { throw ImageFileError.cannotWrite(path: path, reason: "the image is too large") }
            let reserved = posix_fallocate(fd, 0, off_t(header.count + dataBytes))
            if reserved != 0 && reserved != EOPNOTSUPP && reserved != EINVAL {
                throw ImageFileError.cannotWrite(path: path, reason: String(cString: strerror(reserved)))
            }
            try header.withUnsafeBytes { try writeFully($0, at: 0) }
        } catch {
            discard()
            throw error
        }
    }

    /// Writes rows `rows` of the image from `buffer` (its height must be `rows.count`; its width and
    /// channels the image's). Safe to call from several threads at once for different rows.
    public func write(rows: Range<Int>, from buffer: ImageBuffer<Sample>) throws {
        precondition(buffer.width == width && buffer.channels == channels && buffer.height == rows.count
                     && rows.lowerBound >= 0 && rows.upperBound <= height, "block outside the image")
        let rowBytes = width * channels * MemoryLayout<Sample>.stride
        let offset = dataOffset + rows.lowerBound * rowBytes
        if buffer.rowStride == width * channels {
            // Contiguous rows: one write for the whole block.
            try writeFully(UnsafeRawBufferPointer(start: buffer.base, count: rowBytes * rows.count), at: offset)
        } else {
            for y in 0..<rows.count {
                try writeFully(UnsafeRawBufferPointer(start: buffer.rowPointer(y), count: rowBytes), at: offset + y * rowBytes)
            }
        }
    }

    /// Closes the file and renames it over the target. On failure the temporary file is removed and the
    /// error names the target. Every row must have been written; committing twice, or after
    /// ``discard()``, is a programming error.
    public func commit() throws {
        precondition(descriptor >= 0, "\(path): block output already committed or discarded")
        let fd = descriptor
        descriptor = -1
        // No fsync: like write(2) elsewhere, the data is in the page cache, which every reader sees.
        guard close(fd) == 0 else {
            let reason = FileSystem.lastErrorText
            unlink(temporaryPath)
            throw ImageFileError.cannotWrite(path: path, reason: reason)
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = FileSystem.lastErrorText
            unlink(temporaryPath)
            throw ImageFileError.cannotWrite(path: path, reason: reason)
        }
    }

    /// Drops the data: closes and removes the temporary file; the target is untouched. Does nothing
    /// after ``commit()``.
    public func discard() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(temporaryPath)
    }

    deinit { discard() }

    /// `pwrite` until every byte is written (short writes and EINTR are retried).
    private func writeFully(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            let written = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if written < 0 {
                if errno == EINTR { continue }
                throw ImageFileError.cannotWrite(path: path, reason: FileSystem.lastErrorText)
            }
            guard written > 0 else { throw ImageFileError.cannotWrite(path: path, reason: "nothing written (disk full?)") }
            done += written
        }
    }
}
