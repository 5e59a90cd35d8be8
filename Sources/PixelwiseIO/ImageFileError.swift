/// Why a file could not be read or written. Every message names the file and says what is wrong, in
/// one line, so that the CLI can print it as is.
public enum ImageFileError: Error, Equatable, CustomStringConvertible {
    case notFound(path: String)
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case unknownFormat(path: String)
    case corrupt(path: String, format: ImageFormat, detail: String)
    case truncated(path: String, format: ImageFormat)
    case unsupported(path: String, detail: String)
    case tooManyPixels(path: String, width: Int, height: Int, limit: Int)
    case cannotWrite(path: String, reason: String)
    case unknownExtension(path: String)

    public var description: String {
        switch self {
        case let .notFound(path): "\(path): no such file"
        case let .unreadable(path, reason): "\(path): cannot read: \(reason)"
        case let .empty(path): "\(path): the file is empty"
        case let .unknownFormat(path):
            "\(path): not an image file we read (expected PNG, JPEG, TIFF, NPY, PGM/PPM or a camera RAW)"
        case let .corrupt(path, format, detail): "\(path): corrupt \(format.displayName) file: \(detail)"
        case let .truncated(path, format): "\(path): truncated \(format.displayName) file (it ends before the image does)"
        case let .unsupported(path, detail): "\(path): unsupported: \(detail)"
        case let .tooManyPixels(path, width, height, limit):
            "\(path): declares \(width)×\(height) = \(width.multipliedReportingOverflow(by: height).partialValue) pixels, more than the limit of \(limit) (raise it with --max-pixels if the file is trusted)"
        case let .cannotWrite(path, reason): "\(path): cannot write: \(reason)"
        case let .unknownExtension(path):
            "\(path): cannot tell the output format from the extension (use .png, .jpg, .tif, .npy, .pgm or .ppm)"
        }
    }
}
