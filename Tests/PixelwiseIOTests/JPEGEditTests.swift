import CTurboJPEG
import Foundation
import Pixelwise
@testable import PixelwiseIO
import Testing

/// JPEG edits without generation loss: only the blocks an edit reaches are recoded.
@Suite("JPEG edit")
struct JPEGEditTests {
    struct Case: CustomStringConvertible, Sendable {
        var channels: Int
        var subsampling: TJSAMP
        var progressive: Bool
        var description: String {
            let kind = channels == 1 ? "gray" : ["4:4:4", "4:2:2", "4:2:0"][[TJSAMP_444, TJSAMP_422, TJSAMP_420].firstIndex(of: subsampling)!]
            return "\(kind) \(progressive ? "progressive" : "baseline")"
        }
    }

    static let cases: [Case] = [false, true].flatMap { progressive in
        [Case(channels: 1, subsampling: TJSAMP_GRAY, progressive: progressive)]
            + [TJSAMP_444, TJSAMP_422, TJSAMP_420].map { Case(channels: 3, subsampling: $0, progressive: progressive) }
    }

    /// Encodes with TurboJPEG (standard Huffman tables when baseline, optimized ones when progressive) and
    /// inserts an EXIF-like APP1, an APP2 and a comment after SOI.
    static func encode(_ image: Image<UInt8>, subsampling: TJSAMP, progressive: Bool, quality: Int) throws -> [UInt8] {
        let handle = try #require(tjInitCompress())
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let samples = image.compacted().samples
        let status = tjCompress2(handle, samples, Int32(image.width), 0, Int32(image.height),
                                 (image.channels == 1 ? TJPF_GRAY : TJPF_RGB).rawValue, &output, &size,
                                 Int32(subsampling.rawValue), Int32(quality),
                                 TJFLAG_ACCURATEDCT | (progressive ? TJFLAG_PROGRESSIVE : 0))
        #expect(status == 0)
        defer { tjFree(output) }
        let encoded = Array(UnsafeBufferPointer(start: output, count: Int(size)))
        func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [0xFF, marker, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        }
        let exif = Array("Exif\0\0".utf8) + (0..<300).map { UInt8($0 % 251) }
        let icc = Array("ICC_PROFILE\0".utf8) + [1, 1] + (0..<64).map { UInt8($0) }
        // After TurboJPEG's JFIF APP0 (SOI, then APP0 of 2 + 16 bytes), as cameras' files have them.
        #expect(encoded[2] == 0xFF && encoded[3] == 0xE0 && encoded[4] == 0 && encoded[5] == 16)
        return Array(encoded[0..<20]) + segment(0xE1, exif) + segment(0xE2, icc) + segment(0xFE, Array("a comment".utf8))
            + Array(encoded[20...])
    }

    /// The defects of every case: corners, both sides of MCU edges, adjacent MCUs.
    static func sites(width: Int, height: Int) -> [DefectCorrection.Site] {
        [(0, 0), (width - 1, height - 1), (width - 1, 0), (15, 15), (16, 16), (31, 40), (100, 7), (8, 100)]
            .map { DefectCorrection.Site(x: $0.0, y: $0.1) }
    }

    @Test("coefficients outside the repaired MCUs stay identical; pixels too, past a one-pixel border", arguments: cases)
    func repairKeepsTheRest(_ testCase: Case) throws {
        let folder = TemporaryFolder()
        let width = 203, height = 157
        var planted = photoLikeImage(width: width, height: height, channels: testCase.channels, seed: 17)
        let sites = Self.sites(width: width, height: height)
        planted.withUnsafeMutableBuffer { buffer in
            for site in sites { for c in 0..<buffer.channels { buffer[site.x, site.y, c] = 255 } }
        }
        let source = folder.file("in.jpg"), target = folder.file("out.jpg")
        writeBytes(try Self.encode(planted, subsampling: testCase.subsampling, progressive: testCase.progressive, quality: 90),
                   to: source)
        let decoded = try #require(try ImageFile.read(source).typed(as: UInt8.self))
        var repaired = decoded
        try DefectCorrection.apply(to: &repaired, sites: sites, radius: 1)
        let summary = try JPEG.writeEdited(.uint8(repaired), original: .uint8(decoded), source: source, to: target)
        #expect(summary.blocks > 0 && summary.coefficients > 0)

        let before = try JPEG.readCoefficients(source), after = try JPEG.readCoefficients(target)
        #expect(after.progressive == testCase.progressive)
        #expect(after.markers == before.markers, "APPn and COM markers kept")
        #expect(before.markers.map(\.code).contains(0xE1))
        #expect(after.components.count == before.components.count)
        let maxH = before.components.map(\.horizontalSampling).max()!, maxV = before.components.map(\.verticalSampling).max()!
        let mcuWidth = 8 * maxH, mcuHeight = 8 * maxV
        // The MCUs holding a repaired pixel.
        var repairedMCUs = Set<[Int]>()
        for y in 0..<height {
            for x in 0..<width where decoded.pixel(x: x, y: y) != repaired.pixel(x: x, y: y) {
                repairedMCUs.insert([x / mcuWidth, y / mcuHeight])
            }
        }
        var changedInside = 0
        for (old, new) in zip(before.components, after.components) {
            #expect(old.quantization == new.quantization)
            #expect(old.horizontalSampling == new.horizontalSampling && old.verticalSampling == new.verticalSampling)
            #expect(old.widthInBlocks == new.widthInBlocks && old.heightInBlocks == new.heightInBlocks)
            // A gray file is coded one block per MCU, with factors 1×1.
            let h = before.components.count == 1 ? 1 : old.horizontalSampling
            let v = before.components.count == 1 ? 1 : old.verticalSampling
            for by in 0..<old.heightInBlocks {
                for bx in 0..<old.widthInBlocks {
                    if repairedMCUs.contains([bx / h, by / v]) {
                        if old.block(x: bx, y: by) != new.block(x: bx, y: by) { changedInside += 1 }
                    } else {
                        #expect(old.block(x: bx, y: by) == new.block(x: bx, y: by), "block (\(bx), \(by)) outside the repaired MCUs changed")
                    }
                }
            }
        }
        #expect(changedInside > 0)

        // Decoded, the file is the input's pixels outside the repaired MCUs and a one-pixel border (chroma
        // upsampling reaches one pixel across an MCU edge).
        let output = try #require(try ImageFile.read(target).typed(as: UInt8.self))
        var differentOutside = 0
        for y in 0..<height {
            for x in 0..<width where output.pixel(x: x, y: y) != decoded.pixel(x: x, y: y) {
                let near = [-1, 0, 1].contains { dy in [-1, 0, 1].contains { dx in
                    repairedMCUs.contains([(x + dx) / mcuWidth, (y + dy) / mcuHeight]) && x + dx >= 0 && y + dy >= 0 } }
                if !near { differentOutside += 1 }
            }
        }
        #expect(differentOutside == 0)

        // The repair took: the planted pixels decode near their repaired values, far from 255.
        var largest = 0
        for site in sites {
            for c in 0..<testCase.channels {
                largest = max(largest, abs(Int(output[site.x, site.y, c]) - Int(repaired[site.x, site.y, c])))
            }
        }
        #expect(largest <= 16, "largest error at a repaired pixel: \(largest)")

        let inputSize = Double(bytes(of: source).count), outputSize = Double(bytes(of: target).count)
        // Smaller: eight 255-valued defects cost the input ~12 bytes each.
        #expect(outputSize < inputSize * 1.01 && outputSize > inputSize * 0.97, "\(Int(inputSize)) -> \(Int(outputSize)) bytes")
    }

    @Test("two repaired pixels in a 512×512 quality-90 photo: the file size changes by less than 1 %",
          arguments: [false, true])
    func fileSize(progressive: Bool) throws {
        let folder = TemporaryFolder()
        var planted = photoLikeImage(width: 512, height: 512, channels: 3, seed: 9)
        let sites = [DefectCorrection.Site(x: 100, y: 100), DefectCorrection.Site(x: 301, y: 207)]
        for site in sites { for c in 0..<3 { planted[site.x, site.y, c] = 255 } }
        let source = folder.file("in.jpg"), target = folder.file("out.jpg")
        writeBytes(try Self.encode(planted, subsampling: TJSAMP_420, progressive: progressive, quality: 90), to: source)
        let decoded = try ImageFile.read(source)
        var repaired = try #require(decoded.typed(as: UInt8.self))
        try DefectCorrection.apply(to: &repaired, sites: sites, radius: 1)
        let summary = try JPEG.writeEdited(.uint8(repaired), original: decoded, source: source, to: target)
        let inputSize = Double(bytes(of: source).count), outputSize = Double(bytes(of: target).count)
        #expect(abs(outputSize - inputSize) / inputSize < 0.01, "\(Int(inputSize)) -> \(Int(outputSize)) bytes")
        // 4:2:0: each repair reaches at most the 6 blocks of one MCU, or of 2 or 4 when it straddles MCU edges.
        #expect(summary.blocks > 0 && summary.blocks <= 12)
    }

    @Test("an unchanged image is rewritten with every coefficient identical")
    func unchanged() throws {
        let folder = TemporaryFolder()
        let source = folder.file("in.jpg"), target = folder.file("out.jpg")
        let image = photoLikeImage(width: 40, height: 33, channels: 3, seed: 3)
        writeBytes(try Self.encode(image, subsampling: TJSAMP_420, progressive: false, quality: 75), to: source)
        let decoded = try ImageFile.read(source)
        let summary = try JPEG.writeEdited(decoded, original: decoded, source: source, to: target)
        #expect(summary == JPEGEditSummary(blocks: 0, coefficients: 0))
        #expect(try JPEG.readCoefficients(target) == (try JPEG.readCoefficients(source)))
        #expect(bytes(of: target) == bytes(of: source), "standard tables, same markers: the same bytes")
    }

    @Test("errors name the file and leave no output")
    func errors() throws {
        let folder = TemporaryFolder()
        let source = folder.file("in.jpg"), cut = folder.file("cut.jpg"), target = folder.file("out.jpg")
        let image = photoLikeImage(width: 40, height: 33, channels: 1, seed: 4)
        writeBytes(try Self.encode(image, subsampling: TJSAMP_GRAY, progressive: false, quality: 75), to: source)
        writeFirstHalf(of: source, to: cut)
        let decoded = try ImageFile.read(source)
        let error = imageFileError { try JPEG.writeEdited(decoded, original: decoded, source: cut, to: target) }
        #expect(isTruncated(error, .jpeg))
        expectOneLine(error, naming: cut)
        let other = AnyImage.uint8(Image(width: 40, height: 33, channels: 3))
        let shape = imageFileError { try JPEG.writeEdited(other, original: other, source: source, to: target) }
        expectOneLine(shape, naming: target)
        #expect(folder.files(except: ["in.jpg", "cut.jpg"]).isEmpty)
    }
}

@Suite("JPEG junk after SOI")
struct JPEGJunkTests {
    @Test("junk between header segments is skipped by every JPEG reader here, as Pillow does")
    func junk() throws {
        let folder = TemporaryFolder()
        let clean = folder.file("clean.jpg"), junk = folder.file("junk.jpg"), out = folder.file("out.jpg")
        let image = photoLikeImage(width: 37, height: 21, channels: 3, seed: 11)
        let encoded = try JPEGEditTests.encode(image, subsampling: TJSAMP_420, progressive: false, quality: 85)
        writeBytes(encoded, to: clean)
        writeBytes(Array(encoded[0..<2]) + (0..<23).map { UInt8(0x20 + $0) } + Array(encoded[2...]), to: junk)
        #expect(try ImageFile.format(of: junk) == .jpeg)
        #expect(try ImageFile.info(junk) == (try ImageFile.info(clean)))
        let decoded = try ImageFile.read(junk)
        #expect(decoded == (try ImageFile.read(clean)))
        #expect(try ImageFile.readMetadata(junk) == (try ImageFile.readMetadata(clean)))
        #expect(try JPEG.readCoefficients(junk) == (try JPEG.readCoefficients(clean)))
        try JPEG.writeEdited(decoded, original: decoded, source: junk, to: out)
        #expect(try JPEG.readCoefficients(out).components == (try JPEG.readCoefficients(clean)).components)
        // Junk between later header segments too: after the JFIF APP0 (20 bytes in), FF 00 (no marker) and text.
        let between = folder.file("between.jpg")
        writeBytes(Array(encoded[0..<20]) + [0xFF, 0x00, 0x00, 0x02, 0x41] + Array(encoded[20...]), to: between)
        #expect(try ImageFile.read(between) == decoded)
        #expect(try ImageFile.readMetadata(between) == (try ImageFile.readMetadata(clean)))
    }

    @Test("junk inside the entropy-coded data stays an error")
    func junkInTheScan() throws {
        let folder = TemporaryFolder()
        let path = folder.file("bad.jpg")
        let image = photoLikeImage(width: 64, height: 64, channels: 1, seed: 12)
        var encoded = try JPEGEditTests.encode(image, subsampling: TJSAMP_GRAY, progressive: false, quality: 85)
        let sos = try #require((0..<encoded.count - 1).first { encoded[$0] == 0xFF && encoded[$0 + 1] == 0xDA })
        encoded.insert(contentsOf: [0xFF, 0xD3], at: sos + 40)  // a stray restart marker mid-scan
        writeBytes(encoded, to: path)
        let error = imageFileError { _ = try ImageFile.read(path) }
        #expect(isCorrupt(error, .jpeg), "got \(String(describing: error))")
    }
}
