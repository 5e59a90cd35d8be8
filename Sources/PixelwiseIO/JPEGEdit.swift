import CJPEG
import Pixelwise

/// What ``JPEG/writeEdited(_:original:source:to:)`` changed.
public struct JPEGEditSummary: Sendable, Equatable {
    /// Blocks (8×8 coefficients of one component) whose coefficients were recomputed.
    public var blocks: Int
    /// Quantized coefficients that differ from the source's.
    public var coefficients: Int
}

/// A JPEG file's quantized DCT coefficients, as libjpeg's coefficient API reads them (for tests and tools
/// that check what an edit changed).
public struct JPEGCoefficients: Sendable, Equatable {
    public struct Component: Sendable, Equatable {
        public var horizontalSampling: Int
        public var verticalSampling: Int
        public var widthInBlocks: Int
        public var heightInBlocks: Int
        /// The quantization table, natural order.
        public var quantization: [UInt16]
        /// 64 coefficients per block, natural order, blocks in raster order (widthInBlocks × heightInBlocks).
        public var coefficients: [Int16]

        /// The 64 coefficients of block (x, y).
        public func block(x: Int, y: Int) -> ArraySlice<Int16> {
            let start = (y * widthInBlocks + x) * 64
            return coefficients[start..<start + 64]
        }
    }
    public var width: Int
    public var height: Int
    public var progressive: Bool
    public var components: [Component]
    /// The APPn and COM markers, in file order: (marker code, payload).
    public var markers: [Marker]

    public struct Marker: Sendable, Equatable {
        public var code: Int
        public var data: [UInt8]
    }
}

extension JPEG {
    /// Rewrites the JPEG at `source` as `path` with only the blocks that hold an edited pixel changed:
    /// `original` is the file's decoded image (as ``read(_:options:reusing:)`` gives it) and `edited` that
    /// image after an edit in place (same shape). Every other DCT coefficient is copied unchanged, with the
    /// file's own quantization tables, sampling factors, colour space, mode (baseline, progressive or
    /// arithmetic), restart interval and, with `keepingMarkers`, every APPn/COM marker (EXIF, XMP, ICC,
    /// comments). See
    /// ``Pixelwise/JPEGBlockEdit`` for how a pixel change becomes a coefficient change.
    /// The output is written atomically.
    @discardableResult
    public static func writeEdited(_ edited: AnyImage, original: AnyImage, source: String,
                                   to path: String, keepingMarkers: Bool = true) throws -> JPEGEditSummary {
        guard let after = edited.typed(as: UInt8.self), let before = original.typed(as: UInt8.self),
              after.width == before.width, after.height == before.height, after.channels == before.channels else {
            throw ImageFileError.cannotWrite(path: path, reason: "the edited image is not \(source)'s decoded pixels (shape or sample type differ)")
        }
        let session = try CoefficientSession(source)
        let src = session.decompress
        guard Int(src.pointee.image_width) == after.width, Int(src.pointee.image_height) == after.height else {
            throw ImageFileError.cannotWrite(path: path, reason: "the edited image is \(after.width)×\(after.height), \(source) is \(src.pointee.image_width)×\(src.pointee.image_height)")
        }
        let count = Int(src.pointee.num_components)
        guard (count == 1) == (after.channels == 1) else {
            throw ImageFileError.cannotWrite(path: path, reason: "the edited image has \(after.channels) channels, \(source) has \(count) components")
        }
        let kinds: [JPEGBlockEdit.Component]
        switch (src.pointee.jpeg_color_space, count, after.channels) {
        case (JCS_GRAYSCALE, 1, 1): kinds = [.gray]
        case (JCS_YCbCr, 3, 3): kinds = [.luma, .blueChroma, .redChroma]
        case (JCS_RGB, 3, 3): kinds = [.rgb(0), .rgb(1), .rgb(2)]
        default:
            throw ImageFileError.unsupported(
                path: source,
                detail: "editing the coefficients of a JPEG with colour space \(src.pointee.jpeg_color_space.rawValue) and \(count) components (only gray, YCbCr and RGB; re-encode it instead)")
        }
        let maxH = Int(src.pointee.max_h_samp_factor), maxV = Int(src.pointee.max_v_samp_factor)
        var geometry = [(kind: JPEGBlockEdit.Component, h: Int, v: Int, quantization: [UInt16])]()
        for (index, kind) in kinds.enumerated() {
            let component = src.pointee.comp_info[index]
            let h = Int(component.h_samp_factor), v = Int(component.v_samp_factor)
            guard h > 0, v > 0, maxH % h == 0, maxV % v == 0 else {
                throw ImageFileError.unsupported(path: source, detail: "JPEG sampling factors \(h)×\(v) of \(maxH)×\(maxV) (not a whole ratio)")
            }
            geometry.append((kind, maxH / h, maxV / v, try session.quantization(of: index)))
        }
        // Adds the coefficient change that takes `from` to `to` (decoded pixels) to the blocks it reaches.
        var touched = Set<[Int]>()
        func applyChange(from: Image<UInt8>, to: Image<UInt8>) throws {
            for (index, component) in geometry.enumerated() {
                let info = src.pointee.comp_info[index]
                let changes = JPEGBlockEdit.changedBlocks(original: from, edited: to, component: component.kind,
                                                          horizontalScale: component.h, verticalScale: component.v)
                for change in changes {
                    guard change.blockX < Int(info.width_in_blocks), change.blockY < Int(info.height_in_blocks) else { continue }
                    let row = try session.blockRow(component: index, row: change.blockY, writable: true)
                    let block = UnsafeMutableRawPointer(row + change.blockX).assumingMemoryBound(to: Int16.self)
                    JPEGBlockEdit.apply(change.samples, to: block, quantization: component.quantization)
                    touched.insert([index, change.blockX, change.blockY])
                }
            }
        }
        // The first change comes from the decoded pixels, which the decoder clipped to 0...255 (a hot pixel
        // usually is): the result can miss the repaired values. So the output is decoded and what it still
        // misses at the edited pixels (and only there) is added again, a few rounds at most.
        try applyChange(from: before, to: after)
        var bytes = try session.encode(reportedPath: path, markers: keepingMarkers)
        for _ in 0..<Self.editRefinements {
            guard let current = try bytes.withUnsafeBytes({ try decode($0, path: path) }).typed(as: UInt8.self) else { break }
            var target = current, largest = 0
            target.withUnsafeMutableBuffer { goal in
                before.withUnsafeBuffer { a in
                    after.withUnsafeBuffer { b in
                        for y in 0..<goal.height {
                            for x in 0..<goal.width * goal.channels where a.rowPointer(y)[x] != b.rowPointer(y)[x] {
                                let wanted = b.rowPointer(y)[x]
                                largest = max(largest, abs(Int(goal.rowPointer(y)[x]) - Int(wanted)))
                                goal.rowPointer(y)[x] = wanted
                            }
                        }
                    }
                }
            }
            if largest <= 1 { break }
            try applyChange(from: current, to: target)
            bytes = try session.encode(reportedPath: path, markers: keepingMarkers)
        }
        let original = try CoefficientSession(source)
        var summary = JPEGEditSummary(blocks: 0, coefficients: 0)
        for key in touched {
            let index = key[0], x = key[1], y = key[2]
            let old = UnsafeRawPointer(try original.blockRow(component: index, row: y, writable: false) + x).assumingMemoryBound(to: Int16.self)
            let new = UnsafeRawPointer(try session.blockRow(component: index, row: y, writable: false) + x).assumingMemoryBound(to: Int16.self)
            let differing = (0..<64).filter { old[$0] != new[$0] }.count
            if differing > 0 {
                summary.blocks += 1
                summary.coefficients += differing
            }
        }
        try AtomicFile.write(to: path) { temporary in
            let writer = try FileWriter(path: temporary, reportedPath: path)
            try bytes.withUnsafeBytes { try writer.write($0) }
            try writer.close()
        }
        return summary
    }

    /// How many times ``writeEdited(_:original:source:to:)`` decodes its output and corrects what the edited
    /// pixels still miss.
    static let editRefinements = 3

    /// Every quantized coefficient and marker of the JPEG at `path` (libjpeg's `jpeg_read_coefficients`).
    public static func readCoefficients(_ path: String) throws -> JPEGCoefficients {
        let session = try CoefficientSession(path)
        let src = session.decompress
        var components = [JPEGCoefficients.Component]()
        for index in 0..<Int(src.pointee.num_components) {
            let info = src.pointee.comp_info[index]
            let across = Int(info.width_in_blocks), down = Int(info.height_in_blocks)
            var coefficients = [Int16]()
            coefficients.reserveCapacity(across * down * 64)
            for y in 0..<down {
                let row = try session.blockRow(component: index, row: y, writable: false)
                let first = UnsafeRawPointer(row).assumingMemoryBound(to: Int16.self)
                coefficients.append(contentsOf: UnsafeBufferPointer(start: first, count: across * 64))
            }
            components.append(.init(horizontalSampling: Int(info.h_samp_factor), verticalSampling: Int(info.v_samp_factor),
                                    widthInBlocks: across, heightInBlocks: down,
                                    quantization: try session.quantization(of: index), coefficients: coefficients))
        }
        var markers = [JPEGCoefficients.Marker]()
        var marker = src.pointee.marker_list
        while let current = marker {
            markers.append(.init(code: Int(current.pointee.marker),
                                 data: Array(UnsafeBufferPointer(start: current.pointee.data, count: Int(current.pointee.data_length)))))
            marker = current.pointee.next
        }
        return JPEGCoefficients(width: Int(src.pointee.image_width), height: Int(src.pointee.image_height),
                                progressive: src.pointee.progressive_mode != 0, components: components, markers: markers)
    }

    /// The EXIF (APP1 `Exif`), XMP (APP1 `http://ns.adobe.com/xap/1.0/`) and ICC profile (APP2, reassembled
    /// by libjpeg) of the JPEG at `path`, from its header only.
    public static func readMetadata(_ path: String) throws -> ImageMetadata {
        let session = try CoefficientSession(path, headerOnly: true)
        var metadata = ImageMetadata()
        var marker = session.decompress.pointee.marker_list
        while let current = marker {
            let data = UnsafeBufferPointer(start: current.pointee.data, count: Int(current.pointee.data_length))
            if current.pointee.marker == 0xE1 {
                if data.starts(with: exifPrefix), metadata.exif == nil {
                    metadata.exif = Array(data.dropFirst(exifPrefix.count))
                } else if data.starts(with: xmpPrefix), metadata.xmp == nil {
                    metadata.xmp = Array(data.dropFirst(xmpPrefix.count))
                }
            }
            marker = current.pointee.next
        }
        var length: UInt32 = 0
        if let profile = pw_jpeg_icc_profile(session.decompress, session.error, &length) {
            metadata.iccProfile = Array(UnsafeBufferPointer(start: profile, count: Int(length)))
            free(profile)
        }
        return metadata
    }

    static let exifPrefix = Array("Exif\0\0".utf8)
    static let xmpPrefix = Array("http://ns.adobe.com/xap/1.0/\0".utf8)
    static let iccPrefix = Array("ICC_PROFILE\0".utf8)

    /// The APP1/APP2 segments that hold `metadata` in a JPEG (EXIF first, then XMP, then the ICC profile in
    /// as many APP2 chunks as it needs). An EXIF block or XMP packet too large for one segment (64 KB) is
    /// left out.
    static func metadataSegments(_ metadata: ImageMetadata) -> [UInt8] {
        var out = [UInt8]()
        func segment(_ marker: UInt8, _ payload: [UInt8]) {
            out += [0xFF, marker, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        }
        if let exif = metadata.exif, exif.count + exifPrefix.count + 2 <= 65535 { segment(0xE1, exifPrefix + exif) }
        if let xmp = metadata.xmp, xmp.count + xmpPrefix.count + 2 <= 65535 { segment(0xE1, xmpPrefix + xmp) }
        if let icc = metadata.iccProfile, !icc.isEmpty {
            let chunk = 65535 - 2 - iccPrefix.count - 2
            let chunks = (icc.count + chunk - 1) / chunk
            if chunks <= 255 {
                for index in 0..<chunks {
                    let part = icc[(index * chunk)..<min(icc.count, (index + 1) * chunk)]
                    segment(0xE2, iccPrefix + [UInt8(index + 1), UInt8(chunks)] + part)
                }
            }
        }
        return out
    }

    /// `encoded` (a JPEG as TurboJPEG writes it) with `metadata`'s segments after SOI and the JFIF APP0.
    static func inserting(_ metadata: ImageMetadata, into encoded: UnsafeRawBufferPointer) -> [UInt8] {
        let segments = metadataSegments(metadata)
        var position = 2
        if encoded.count > 6, encoded[2] == 0xFF, encoded[3] == 0xE0 {
            position = 4 + (Int(encoded[4]) << 8 | Int(encoded[5]))
        }
        position = min(position, encoded.count)
        return Array(encoded[0..<position]) + segments + Array(encoded[position...])
    }

    /// A libjpeg decompressor that has read a whole file's coefficients (and a compressor to write them
    /// back), destroyed with this object.
    final class CoefficientSession {
        let path: String
        let file: MappedFile
        let error: UnsafeMutablePointer<pw_jpeg_error>
        let decompress: UnsafeMutablePointer<jpeg_decompress_struct>
        let coefficients: UnsafeMutablePointer<jvirt_barray_ptr?>
        /// A header-only session has no coefficient arrays (a placeholder pointer of ours).
        let ownsArrays: Bool
        /// The file without junk after SOI, when it had some (``JPEG/withoutJunkAfterSOI(_:_:)``).
        let cleaned: UnsafeMutableRawBufferPointer?

        init(_ path: String, headerOnly: Bool = false) throws {
            self.path = path
            file = try MappedFile(path: path)
            error = .allocate(capacity: 1)
            pw_jpeg_init_error(error)
            decompress = .allocate(capacity: 1)
            UnsafeMutableRawPointer(decompress).initializeMemory(as: UInt8.self, repeating: 0,
                                                                 count: MemoryLayout<jpeg_decompress_struct>.size)
            guard pw_jpeg_create_decompress(decompress, error) != 0 else {
                decompress.deallocate()
                error.deallocate()
                throw ImageFileError.unreadable(path: path, reason: "cannot start the JPEG decoder")
            }
            // libjpeg reads from this memory until the session ends: keep a cleaned copy alive with it.
            var copy: UnsafeMutableRawBufferPointer? = nil
            let mapped = UnsafeRawBufferPointer(file.bytes)
            JPEG.withoutJunkAfterSOI(mapped) { bytes in
                guard bytes.baseAddress != mapped.baseAddress else { return }
                let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
                memory.copyMemory(from: bytes)
                copy = memory
            }
            cleaned = copy
            let source = copy.map { UnsafeRawBufferPointer($0) } ?? mapped
            let base = source.baseAddress?.assumingMemoryBound(to: UInt8.self), count = source.count
            let arrays = headerOnly
                ? (pw_jpeg_read_markers(decompress, error, base, UInt(count)) != 0 ? .allocate(capacity: 1) : nil)
                : pw_jpeg_read_coefficients(decompress, error, base, UInt(count))
            ownsArrays = headerOnly && arrays != nil
            guard let arrays else {
                let message = Self.message(error)
                cleaned?.deallocate()
                pw_jpeg_destroy_decompress(decompress)
                decompress.deallocate()
                error.deallocate()
                if message.contains("Premature end") || message.contains("empty input") {
                    throw ImageFileError.truncated(path: path, format: .jpeg)
                }
                throw ImageFileError.corrupt(path: path, format: .jpeg, detail: message)
            }
            coefficients = arrays
        }

        deinit {
            if ownsArrays { coefficients.deallocate() }
            cleaned?.deallocate()
            pw_jpeg_destroy_decompress(decompress)
            decompress.deallocate()
            error.deallocate()
        }

        static func message(_ error: UnsafeMutablePointer<pw_jpeg_error>) -> String {
            withUnsafeBytes(of: &error.pointee.message) { raw in
                let text = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                return text.isEmpty ? "unknown libjpeg error" : text
            }
        }

        var common: UnsafeMutablePointer<jpeg_common_struct> {
            UnsafeMutableRawPointer(decompress).assumingMemoryBound(to: jpeg_common_struct.self)
        }

        /// The quantization table component `index` was coded with, natural order.
        func quantization(of index: Int) throws -> [UInt16] {
            let component = decompress.pointee.comp_info[index]
            let table = component.quant_table ?? {
                let number = Int(component.quant_tbl_no)
                guard (0..<4).contains(number) else { return nil }
                return withUnsafeBytes(of: decompress.pointee.quant_tbl_ptrs) { raw in
                    raw.bindMemory(to: UnsafeMutablePointer<JQUANT_TBL>?.self)[number]
                }
            }()
            guard let table else {
                throw ImageFileError.corrupt(path: path, format: .jpeg, detail: "component \(index) has no quantization table")
            }
            return withUnsafeBytes(of: table.pointee.quantval) { Array($0.bindMemory(to: UInt16.self)) }
        }

        /// Row `row` of component `index`'s blocks.
        func blockRow(component index: Int, row: Int, writable: Bool) throws -> UnsafeMutablePointer<JBLOCK> {
            guard let array = coefficients[index],
                  let pointer = pw_jpeg_block_row(common, error, array, JDIMENSION(row), writable ? 1 : 0) else {
                throw ImageFileError.corrupt(path: path, format: .jpeg, detail: Self.message(error))
            }
            return pointer
        }

        /// The (possibly edited) coefficients written as a new JPEG in memory.
        func encode(reportedPath: String, markers: Bool = true) throws -> [UInt8] {
            let compress = UnsafeMutablePointer<jpeg_compress_struct>.allocate(capacity: 1)
            UnsafeMutableRawPointer(compress).initializeMemory(as: UInt8.self, repeating: 0,
                                                               count: MemoryLayout<jpeg_compress_struct>.size)
            defer { compress.deallocate() }
            guard pw_jpeg_create_compress(compress, error) != 0 else {
                throw ImageFileError.cannotWrite(path: reportedPath, reason: "cannot start the JPEG encoder")
            }
            defer { pw_jpeg_destroy_compress(compress) }
            var output: UnsafeMutablePointer<UInt8>? = nil
            var size: UInt = 0
            defer { if output != nil { free(output) } }
            guard pw_jpeg_write_coefficients(decompress, compress, error, coefficients, markers ? 1 : 0, &output, &size) != 0,
                  let output else {
                throw ImageFileError.cannotWrite(path: reportedPath, reason: Self.message(error))
            }
            return Array(UnsafeBufferPointer(start: output, count: Int(size)))
        }
    }
}
