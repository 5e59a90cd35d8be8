import CPixelwiseABI
import Pixelwise
import PixelwiseIO

// Reading and writing image files through the C ABI.

@_cdecl("pw_read")
public func pwRead(_ path: UnsafePointer<CChar>?, _ page: Int64, _ maxPixels: Int64,
                   _ buffer: UnsafeMutablePointer<OpaquePointer?>?, _ image: UnsafeMutablePointer<pw_image>?,
                   _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let path = try string(path, name: "path")
        guard let buffer, let image else { throw ABIError.value("pw_read: buffer and image must not be NULL") }
        guard maxPixels >= 0 else { throw ABIError.value("max_pixels \(maxPixels): must be ≥ 0 (0 for the default)") }
        guard page >= 0 else { throw ABIError.value("page \(page): must be ≥ 0") }
        // Decoded into memory the caller may write: an NPY file is read, not mapped read-only.
        var options = ImageReadOptions(maxPixels: maxPixels == 0 ? ImageReadOptions.defaultMaxPixels : Int(maxPixels),
                                       allowMemoryMap: false)
        // An explicit page: a multi-page TIFF is read at that page without a warning (a library prints nothing).
        options.page = Int(page)
        var decoded = try ImageFile.read(path, options: options)
        decoded = compacted(decoded)
        let owner = DecodedImage(decoded)
        switch decoded {
        case .uint8(let i): ImageViews.describe(i, into: image)
        case .uint16(let i): ImageViews.describe(i, into: image)
        case .float32(let i): ImageViews.describe(i, into: image)
        case .float64(let i): ImageViews.describe(i, into: image)
        }
        buffer.pointee = OpaquePointer(Unmanaged.passRetained(owner).toOpaque())
    }
}

/// The image with C-contiguous rows (decoders may hand back padded rows).
func compacted(_ image: AnyImage) -> AnyImage {
    switch image {
    case .uint8(let i): i.isContiguous ? image : .uint8(i.compacted())
    case .uint16(let i): i.isContiguous ? image : .uint16(i.compacted())
    case .float32(let i): i.isContiguous ? image : .float32(i.compacted())
    case .float64(let i): i.isContiguous ? image : .float64(i.compacted())
    }
}

@_cdecl("pw_write")
public func pwWrite(_ path: UnsafePointer<CChar>?, _ image: UnsafePointer<pw_image>?, _ jpegQuality: Int32,
                    _ pngLevel: Int32, _ tiffCompression: UnsafePointer<CChar>?,
                    _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    pwWriteLike(path, image, jpegQuality, pngLevel, tiffCompression, nil, 0, 0, error, errorSize)
}

@_cdecl("pw_write_like")
public func pwWriteLike(_ path: UnsafePointer<CChar>?, _ image: UnsafePointer<pw_image>?, _ jpegQuality: Int32,
                        _ pngLevel: Int32, _ tiffCompression: UnsafePointer<CChar>?, _ like: UnsafePointer<CChar>?,
                        _ offsetX: Int64, _ offsetY: Int64,
                        _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        let path = try string(path, name: "path")
        let source = try ImageViews.input(image, name: "image")
        var options = ImageWriteOptions()
        if jpegQuality != 0 {
            guard (1...100).contains(jpegQuality) else { throw ABIError.value("quality \(jpegQuality): must be 1 to 100") }
            options.jpegQuality = Int(jpegQuality)
        }
        if pngLevel != -1 {
            guard (0...9).contains(pngLevel) else { throw ABIError.value("png_level \(pngLevel): must be 0 to 9") }
            options.pngCompressionLevel = Int(pngLevel)
        }
        if let tiffCompression {
            let name = String(cString: tiffCompression)
            guard let value = TIFFCompression(rawValue: name) else {
                throw ABIError.value("tiff_compression \(name): use none, lzw or deflate")
            }
            options.tiffCompression = value
        }
        guard !source.isEmpty else { throw ABIError.value("image: is empty (\(source.width)×\(source.height)); nothing to write") }
        if let like {
            let likePath = String(cString: like)
            guard offsetX >= 0, offsetY >= 0 else { throw ABIError.value("offset \(offsetX), \(offsetY): must be ≥ 0") }
            let metadata = try ImageFile.readMetadata(likePath)
            options.metadata = offsetX == 0 && offsetY == 0 ? metadata : metadata.cropped(x: Int(offsetX), y: Int(offsetY))
        }
        try ImageFile.write(source, to: path, options: options)
    }
}
