import CLibRaw
import Pixelwise

/// Camera RAW files through LibRaw (`libraw_r`, the thread-safe build): the sensor's colour-filter
/// mosaic, undemosaiced, for pixel-level work such as finding hot pixels.
///
/// What comes out is the *visible area* of the sensor (LibRaw's `sizes.width × sizes.height` at
/// `top_margin`, `left_margin`; masked border pixels excluded) as one channel of `UInt16` raw values —
/// no black-level subtraction, white balance, scaling or demosaicing — and the 2×2 Bayer pattern of its
/// top-left corner ("RGGB", "BGGR", "GRBG" or "GBRG"). The pixels are LibRaw's own unpacked buffer,
/// adopted without copying; it is released with the last image that uses it.
///
/// Refused with a clear message: files LibRaw does not recognise, Fuji X-Trans and other non-2×2 mosaics,
/// Foveon, and RAWs that store already demosaiced (linear) data. A file whose data ends early is an error,
/// never an image padded with garbage: LibRaw's data-error callback is turned into ``ImageFileError``.
public enum CameraRaw {
    /// Extensions of camera RAW files (lower case, no dot). Files with these names are read with LibRaw
    /// unless their leading bytes say they are PNG, JPEG, NPY or PGM/PPM.
    public static let fileExtensions: Set<String> = [
        "3fr", "ari", "arw", "bay", "cap", "cr2", "cr3", "crw", "dcr", "dcs", "dng", "drf", "eip", "erf", "fff",
        "iiq", "k25", "kdc", "mdc", "mef", "mos", "mrw", "nef", "nrw", "orf", "pef", "ptx", "pxn", "r3d", "raf",
        "raw", "rw2", "rwl", "rwz", "sr2", "srf", "srw", "x3f",
    ]

    /// Whether `path`'s extension is a camera RAW one.
    public static func hasRawExtension(_ path: String) -> Bool {
        let name = Codecs.fileName(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return fileExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// The size of the visible mosaic, from the file's metadata (nothing is unpacked).
    public static func readInfo(_ path: String) throws -> ImageInfo {
        let raw = try Session(path: path)
        try raw.open()
        let size = raw.visibleSize
        return ImageInfo(width: size.width, height: size.height, channels: 1, sampleType: .uint16, format: .raw,
                         cfaPattern: try raw.pattern())
    }

    /// The mosaic as an image, for ``ImageFile``.
    public static func read(_ path: String, options: ImageReadOptions = .init()) throws -> AnyImage {
        .uint16(try readMosaic(path, options: options).image)
    }

    /// The raw colour-filter mosaic of the visible area and its 2×2 pattern, e.g. `"RGGB"`: the colours of
    /// pixels (0, 0), (1, 0), (0, 1), (1, 1) — x first, as everywhere in Pixelwise.
    public static func readMosaic(_ path: String, options: ImageReadOptions = .init()) throws
        -> (image: Image<UInt16>, cfa: String) {
        let raw = try Session(path: path)
        try raw.open()
        let size = raw.visibleSize
        try options.checkPixelCount(width: size.width, height: size.height, path: path)
        let cfa = try raw.pattern()
        return (try raw.unpack(), cfa)
    }

    /// One LibRaw instance working on one file.
    private final class Session: @unchecked Sendable {
        let path: String
        let data: UnsafeMutablePointer<libraw_data_t>
        /// Whether LibRaw reported bad or missing data through its callback.
        var dataError = false
        /// Set once the pixel buffer has been handed to an image, which then owns `data`.
        var adopted = false

        init(path: String) throws {
            try FileSystem.checkReadable(path)
            guard let data = libraw_init(0) else { throw ImageFileError.unreadable(path: path, reason: "cannot start LibRaw") }
            self.path = path
            self.data = data
            // LibRaw's default callbacks print to stderr; ours record the problem instead.
            let me = Unmanaged.passUnretained(self).toOpaque()
            libraw_set_dataerror_handler(data, { context, _, _ in
                guard let context else { return }
                Unmanaged<Session>.fromOpaque(context).takeUnretainedValue().dataError = true
            }, me)
            libraw_set_memerror_handler(data, { _, _, _ in }, nil)
        }

        deinit { if !adopted { libraw_close(data) } }

        func fail(_ code: Int32, stage: String) -> ImageFileError {
            switch code {
            case LIBRAW_FILE_UNSUPPORTED.rawValue:
                return .unsupported(path: path, detail: "not a camera RAW file LibRaw recognises")
            case LIBRAW_IO_ERROR.rawValue:
                return .truncated(path: path, format: .raw)
            case LIBRAW_TOO_BIG.rawValue, LIBRAW_UNSUFFICIENT_MEMORY.rawValue, LIBRAW_MEMPOOL_OVERFLOW.rawValue:
                return .unsupported(path: path, detail: "LibRaw cannot hold this image (\(String(cString: libraw_strerror(code))))")
            default:
                return .corrupt(path: path, format: .raw, detail: "\(stage): \(String(cString: libraw_strerror(code)))")
            }
        }

        /// Reads the metadata (`libraw_open_file`).
        func open() throws {
            let code = libraw_open_file(data, path)
            // Running out of bytes before LibRaw has identified the camera says nothing certain about the
            // file: it may be a RAW cut inside its metadata, or (more often) no RAW at all.
            if code == LIBRAW_IO_ERROR.rawValue || (code == LIBRAW_SUCCESS.rawValue && dataError) {
                throw ImageFileError.unsupported(
                    path: path, detail: "not a camera RAW file LibRaw recognises (or one cut short inside its metadata)")
            }
            if code != LIBRAW_SUCCESS.rawValue { throw fail(code, stage: "reading the metadata") }
            let parameters = data.pointee.idata
            if parameters.is_foveon != 0 {
                throw ImageFileError.unsupported(path: path, detail: "Foveon RAW (it has no colour-filter mosaic)")
            }
            switch parameters.filters {
            case 0: throw ImageFileError.unsupported(path: path, detail: "RAW without a colour-filter mosaic (linear or already demosaiced data)")
            case 9: throw ImageFileError.unsupported(path: path, detail: "Fuji X-Trans RAW (a 6×6 mosaic; we read 2×2 Bayer mosaics)")
            case 1..<1000: throw ImageFileError.unsupported(path: path, detail: "RAW with a non-Bayer colour-filter layout")
            default: break
            }
        }

        var visibleSize: (width: Int, height: Int) {
            (Int(data.pointee.sizes.width), Int(data.pointee.sizes.height))
        }

        /// The colours of the visible area's top-left 2×2 pixels as a pattern name.
        func pattern() throws -> String {
            let descriptions = withUnsafeBytes(of: data.pointee.idata.cdesc) { Array($0.prefix(4)) }
            var letters = ""
            for (row, column) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let index = Int(libraw_COLOR(data, Int32(row), Int32(column)))
                guard (0..<4).contains(index), descriptions[index] != 0 else {
                    throw ImageFileError.unsupported(path: path, detail: "RAW with an unknown colour-filter layout")
                }
                letters.append(Character(Unicode.Scalar(descriptions[index])))
            }
            guard ["RGGB", "BGGR", "GRBG", "GBRG"].contains(letters) else {
                throw ImageFileError.unsupported(path: path, detail: "RAW with colour-filter pattern \(letters) (we read RGGB, BGGR, GRBG and GBRG)")
            }
            return letters
        }

        /// Decodes the sensor data (`libraw_unpack`) and wraps its visible area as an image, without copying.
        func unpack() throws -> Image<UInt16> {
            let code = libraw_unpack(data)
            if code != LIBRAW_SUCCESS.rawValue { throw fail(code, stage: "decoding the sensor data") }
            if dataError { throw ImageFileError.truncated(path: path, format: .raw) }
            let raw = data.pointee.rawdata
            guard let pixels = raw.raw_image else {
                throw ImageFileError.unsupported(path: path, detail: "RAW whose sensor data is not a single-channel mosaic")
            }
            let sizes = raw.sizes
            let rowStride = Int(sizes.raw_pitch) / MemoryLayout<UInt16>.stride
            let width = Int(sizes.width), height = Int(sizes.height)
            let top = Int(sizes.top_margin), left = Int(sizes.left_margin)
            let rawWidth = Int(sizes.raw_width), rawHeight = Int(sizes.raw_height)
            guard rowStride >= rawWidth, top + height <= rawHeight, left + width <= rawWidth else {
                throw ImageFileError.corrupt(path: path, format: .raw, detail: "the visible area does not fit the sensor data")
            }
            let owner = LibRawHandle(data: data)
            adopted = true
            let storage = PixelStorage<UInt16>(adopting: pixels, count: rowStride * rawHeight, isWritable: true,
                                               release: { owner.close() })
            return Image(storage: storage, origin: top * rowStride + left, width: width, height: height, channels: 1,
                         rowStride: rowStride)
        }
    }

    /// Keeps a LibRaw instance alive for as long as an image uses its buffer.
    private struct LibRawHandle: @unchecked Sendable {
        let data: UnsafeMutablePointer<libraw_data_t>
        func close() {
            // The data-error callback points at the Session, which may be gone by now.
            libraw_set_dataerror_handler(data, nil, nil)
            libraw_close(data)
        }
    }
}
