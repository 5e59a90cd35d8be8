import Pixelwise

/// What a file says about its pixels besides the pixels, carried from an input to the outputs derived from
/// it (`hotpixels fix`, `blur`, `quantize -o`, `crop`): EXIF, XMP, the ICC profile, and TIFF's resolution
/// and GeoTIFF/GDAL tags. Read with ``ImageFile/readMetadata(_:)``, written with
/// ``ImageFile/write(_:to:options:metadata:)`` into whatever the target format can hold (docs/FORMATS.md).
///
/// The payloads are kept as the files store them, never reinterpreted: EXIF is the TIFF-structured block
/// (what follows `Exif\0\0` in a JPEG APP1, a PNG `eXIf` chunk), so its orientation, date, camera and GPS
/// travel as they were. The pixels are never rotated by pixelwise, so the orientation stays true.
public struct ImageMetadata: Sendable, Equatable {
    /// The EXIF block (starts with `II*\0` or `MM\0*`).
    public var exif: [UInt8]?
    /// The XMP packet (UTF-8 XML).
    public var xmp: [UInt8]?
    /// The ICC colour profile.
    public var iccProfile: [UInt8]?
    /// TIFF XResolution, YResolution and ResolutionUnit (1 none, 2 inch, 3 centimetre).
    public var resolution: Resolution?
    /// GeoTIFF and GDAL tags of a TIFF, as stored (see ``TIFFTag/geoTags``).
    public var tiffTags: [TIFFTag] = []

    public struct Resolution: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public var unit: UInt16
        public init(x: Double, y: Double, unit: UInt16) {
            self.x = x
            self.y = y
            self.unit = unit
        }
    }

    /// One TIFF tag's values in host byte order: `type` is the TIFF field type (2 ASCII, 3 SHORT, 12 DOUBLE…).
    public struct TIFFTag: Sendable, Equatable {
        public var tag: UInt16
        public var type: UInt16
        public var count: Int
        public var bytes: [UInt8]

        public init(tag: UInt16, type: UInt16, count: Int, bytes: [UInt8]) {
            self.tag = tag
            self.type = type
            self.count = count
            self.bytes = bytes
        }

        /// ModelPixelScale, ModelTiepoint, ModelTransformation, GeoKeyDirectory, GeoDoubleParams,
        /// GeoAsciiParams, GDAL_METADATA, GDAL_NODATA.
        public static let geoTags: [UInt16] = [33550, 33922, 34264, 34735, 34736, 34737, 42112, 42113]
        public static let modelTiepoint: UInt16 = 33922
        public static let modelTransformation: UInt16 = 34264

        /// The values of a DOUBLE (type 12) tag.
        public var doubles: [Double]? {
            guard type == 12, bytes.count == count * 8 else { return nil }
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        }

        /// A DOUBLE tag with these values.
        public static func doubles(_ tag: UInt16, _ values: [Double]) -> TIFFTag {
            TIFFTag(tag: tag, type: 12, count: values.count, bytes: values.withUnsafeBytes { Array($0) })
        }
    }

    public init(exif: [UInt8]? = nil, xmp: [UInt8]? = nil, iccProfile: [UInt8]? = nil, resolution: Resolution? = nil,
                tiffTags: [TIFFTag] = []) {
        self.exif = exif
        self.xmp = xmp
        self.iccProfile = iccProfile
        self.resolution = resolution
        self.tiffTags = tiffTags
    }

    /// Nothing at all.
    public static let none = ImageMetadata()
    public var isEmpty: Bool { self == .none }

    /// The tag `tag`, if present.
    public func tiffTag(_ tag: UInt16) -> TIFFTag? { tiffTags.first { $0.tag == tag } }

    /// The metadata of the region of this image whose top-left pixel is (`x`, `y`): the georeference moves
    /// with it so that the crop lands on the same ground. Every tiepoint's raster position (I, J) becomes
    /// (I − x, J − y); a ModelTransformation's translation gains the model offset of (x, y).
    public func cropped(x: Int, y: Int) -> ImageMetadata {
        var copy = self
        copy.tiffTags = tiffTags.map { tag in
            guard var values = tag.doubles else { return tag }
            switch tag.tag {
            case Self.TIFFTag.modelTiepoint:
                for start in stride(from: 0, to: values.count - 5, by: 6) {
                    values[start] -= Double(x)
                    values[start + 1] -= Double(y)
                }
            case Self.TIFFTag.modelTransformation where values.count == 16:
                values[3] += values[0] * Double(x) + values[1] * Double(y)
                values[7] += values[4] * Double(x) + values[5] * Double(y)
                values[11] += values[8] * Double(x) + values[9] * Double(y)
            default: return tag
            }
            return .doubles(tag.tag, values)
        }
        return copy
    }
}

extension ImageFile {
    /// The metadata of the file at `path` (``ImageMetadata``); formats without any (NPY, PNM, camera RAW)
    /// give ``ImageMetadata/none``.
    public static func readMetadata(_ path: String) throws -> ImageMetadata {
        try readMetadata(path, page: nil)
    }

    /// The metadata of page `page` of the file at `path` (0 is the first; nil: the first): a multi-page
    /// TIFF's pages each have their own. Other formats have one image, whose metadata this is.
    public static func readMetadata(_ path: String, page: Int?) throws -> ImageMetadata {
        switch try format(of: path) {
        case .jpeg: try JPEG.readMetadata(path)
        case .png: try PNG.readMetadata(path)
        case .tiff: try TIFF.readMetadata(path, page: page)
        case .npy, .pnm, .raw: .none
        }
    }

    /// Encodes `image` to `path` atomically with `metadata`, as much of it as the format holds.
    public static func write(_ image: AnyImage, to path: String, options: ImageWriteOptions = .init(),
                             metadata: ImageMetadata) throws {
        var options = options
        options.metadata = metadata
        try write(image, to: path, options: options)
    }
}
