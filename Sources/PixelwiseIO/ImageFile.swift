import Pixelwise

/// Reading and writing image files of any supported format: the one entry point the CLI uses.
///
/// On read the format comes from the file's leading bytes, never its name; on write from the target's
/// extension (or ``ImageWriteOptions/format``). Every write goes through ``AtomicFile``.
public enum ImageFile {
    /// The format of the file at `path`, from its signature.
    public static func format(of path: String) throws -> ImageFormat {
        let prefix = try FileSystem.readPrefix(path, count: 16)
        if let format = ImageFormat(signature: prefix) { return format }
        throw ImageFileError.unknownFormat(path: path)
    }

    /// Width, height, channels, sample type and format, from the header only.
    public static func info(_ path: String) throws -> ImageInfo {
        switch try format(of: path) {
        case .npy: try NPY.readInfo(path)
        case let other: try codec(for: other, path: path).readInfo(path)
        }
    }

    /// Decodes the whole image at `path`.
    public static func read(_ path: String, options: ImageReadOptions = .init()) throws -> AnyImage {
        switch try format(of: path) {
        case .npy: try NPY.readImage(path, options: options)
        case let other: try codec(for: other, path: path).read(path, options)
        }
    }

    /// Encodes `image` to `path` atomically, in the format its extension names.
    public static func write(_ image: AnyImage, to path: String, options: ImageWriteOptions = .init()) throws {
        guard let format = options.format ?? ImageFormat(pathExtensionOf: path) else {
            throw ImageFileError.unknownExtension(path: path)
        }
        try AtomicFile.write(to: path) { temporary in
            switch format {
            case .npy: try NPY.write(image, toTemporary: temporary, reportedPath: path)
            case let other: try codec(for: other, path: path).write(image, temporary, path, options)
            }
        }
    }

    /// The C-backed codecs, as function values so that each format lives in its own file.
    struct Codec {
        var readInfo: (String) throws -> ImageInfo
        var read: (String, ImageReadOptions) throws -> AnyImage
        /// image, temporary path, reported path, options
        var write: (AnyImage, String, String, ImageWriteOptions) throws -> Void
    }

    static func codec(for format: ImageFormat, path: String) throws -> Codec {
        switch format {
        default:
            throw ImageFileError.unsupported(path: path, detail: "\(format.displayName) files")
        }
    }
}
