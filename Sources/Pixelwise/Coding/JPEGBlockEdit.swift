import Foundation

/// Pixel edits of a decoded JPEG expressed as edits of its quantized DCT coefficients, so that a file can be
/// rewritten with only the blocks that hold an edited pixel changed (no generation loss anywhere else).
///
/// The change of the decoded pixels (edited − original, per pixel) is turned into a change of each JPEG
/// component's samples (the JFIF colour transform is linear, so a change of R, G, B is a change of Y, Cb, Cr
/// by the same matrix; a chroma sample that covers 2×2 or 2×1 pixels changes by the mean change of those
/// pixels), transformed by JPEG's forward DCT and added to the block's dequantized coefficients, which are
/// then quantized again with the block's own table. A block whose samples do not change keeps every
/// coefficient: even inside an edited MCU, only the blocks an edit reaches are touched.
public enum JPEGBlockEdit {
    /// What one JPEG component holds, given the colour space of the file.
    public enum Component: Sendable, Equatable {
        /// A gray file's only component.
        case gray
        /// Y, Cb, Cr of a YCbCr (JFIF) file.
        case luma, blueChroma, redChroma
        /// A component of an RGB file (Adobe transform 0): 0 = R, 1 = G, 2 = B.
        case rgb(Int)
    }

    /// One block to rewrite: its position in the component's block grid and the change of its 64 samples
    /// (row-major, in sample units).
    public struct BlockChange: Sendable {
        public var blockX: Int
        public var blockY: Int
        public var samples: [Double]
    }

    /// The blocks of one component that an edit reaches and the change of their samples.
    ///
    /// `original` and `edited` are the decoded image before and after the edit (same shape; 1 channel for a
    /// gray file, 3 (RGB) for a colour one). A sample of this component covers `horizontalScale` ×
    /// `verticalScale` pixels (the largest sampling factor over this component's, e.g. 2×2 for 4:2:0 chroma).
    /// Only blocks with a changed sample are returned, in raster order. Samples past the image's right and
    /// bottom edges (the padding of edge blocks, never displayed) change as the nearest edge pixel does.
    public static func changedBlocks(original: Image<UInt8>, edited: Image<UInt8>, component: Component,
                                     horizontalScale: Int, verticalScale: Int) -> [BlockChange] {
        precondition(original.width == edited.width && original.height == edited.height
                     && original.channels == edited.channels, "JPEGBlockEdit: images of different shapes")
        precondition(horizontalScale >= 1 && verticalScale >= 1)
        let blockWidth = 8 * horizontalScale, blockHeight = 8 * verticalScale
        // The blocks holding a changed pixel, found in one pass over the pixels.
        var blocks = Set<Int>()
        let blocksAcross = (original.width + blockWidth - 1) / blockWidth
        original.withUnsafeBuffer { a in
            edited.withUnsafeBuffer { b in
                let rowSamples = a.width * a.channels
                for y in 0..<a.height {
                    let rowA = a.rowPointer(y), rowB = b.rowPointer(y)
                    if memcmp(rowA, rowB, rowSamples) == 0 { continue }
                    for index in 0..<rowSamples where rowA[index] != rowB[index] {
                        let x = index / a.channels
                        blocks.insert((y / blockHeight) * blocksAcross + x / blockWidth)
                    }
                }
            }
        }
        var changes = [BlockChange]()
        for key in blocks.sorted() {
            let blockX = key % blocksAcross, blockY = key / blocksAcross
            var samples = [Double](repeating: 0, count: 64)
            var any = false
            for v in 0..<8 {
                for u in 0..<8 {
                    // Past the right and bottom edges, the change of the nearest edge pixel (encoders pad
                    // blocks by replicating edge pixels; a smooth change there quantizes better).
                    let x0 = (blockX * 8 + u) * horizontalScale, y0 = (blockY * 8 + v) * verticalScale
                    var total = 0.0, count = 0
                    for y in y0..<y0 + verticalScale {
                        for x in x0..<x0 + horizontalScale {
                            total += componentChange(original: original, edited: edited, x: min(x, original.width - 1),
                                                     y: min(y, original.height - 1), component: component)
                            count += 1
                        }
                    }
                    if count > 0, total != 0 {
                        samples[v * 8 + u] = total / Double(count)
                        any = true
                    }
                }
            }
            if any { changes.append(BlockChange(blockX: blockX, blockY: blockY, samples: samples)) }
        }
        return changes
    }

    /// The change of this component's value at pixel (x, y).
    @inline(__always)
    static func componentChange(original: Image<UInt8>, edited: Image<UInt8>, x: Int, y: Int,
                                component: Component) -> Double {
        func change(_ channel: Int) -> Double {
            Double(edited[x, y, channel]) - Double(original[x, y, channel])
        }
        switch component {
        case .gray: return change(0)
        case .rgb(let channel): return change(channel)
        case .luma: return 0.299 * change(0) + 0.587 * change(1) + 0.114 * change(2)
        case .blueChroma: return -0.168735892 * change(0) - 0.331264108 * change(1) + 0.5 * change(2)
        case .redChroma: return 0.5 * change(0) - 0.418687589 * change(1) - 0.081312411 * change(2)
        }
    }

    /// The cosines of JPEG's 8-point DCT, `cos((2x + 1)uπ/16)` at `[u * 8 + x]`.
    static let cosines: [Double] = (0..<64).map { index in
        let u = index / 8, x = index % 8
        return cos(Double(2 * x + 1) * Double(u) * Double.pi / 16)
    }

    /// JPEG's forward DCT of 64 samples (row-major), in the scale libjpeg stores before quantization:
    /// F(u,v) = ¼ C(u) C(v) Σ f(x,y) cos((2x+1)uπ/16) cos((2y+1)vπ/16), C(0) = 1/√2, else 1 (so a constant
    /// block of value c has F(0,0) = 8c). Output in natural (row-major, v then u) order.
    public static func forwardDCT(_ samples: [Double]) -> [Double] {
        precondition(samples.count == 64)
        // Rows, then columns.
        var rows = [Double](repeating: 0, count: 64)
        for y in 0..<8 {
            for u in 0..<8 {
                var total = 0.0
                for x in 0..<8 { total += samples[y * 8 + x] * cosines[u * 8 + x] }
                rows[y * 8 + u] = total
            }
        }
        var output = [Double](repeating: 0, count: 64)
        for v in 0..<8 {
            for u in 0..<8 {
                var total = 0.0
                for y in 0..<8 { total += rows[y * 8 + u] * cosines[v * 8 + y] }
                let cu = u == 0 ? 1 / 2.0.squareRoot() : 1, cv = v == 0 ? 1 / 2.0.squareRoot() : 1
                output[v * 8 + u] = 0.25 * cu * cv * total
            }
        }
        return output
    }

    /// Adds a change of samples to one block's quantized coefficients (natural order), requantizing with
    /// `quantization` (natural order): each becomes round(q + F/Q), clamped to ±1023 (the 10-bit magnitude
    /// baseline Huffman coding of 8-bit JPEG holds for AC coefficients; real 8-bit samples never reach it).
    /// Returns how many coefficients changed.
    @discardableResult
    public static func apply(_ change: [Double], to coefficients: UnsafeMutablePointer<Int16>,
                             quantization: [UInt16]) -> Int {
        precondition(change.count == 64 && quantization.count == 64)
        let transform = forwardDCT(change)
        var changed = 0
        for index in 0..<64 {
            let q = Double(max(quantization[index], 1))
            let old = coefficients[index]
            let value = (Double(old) + transform[index] / q).rounded()
            let new = Int16(min(max(value, -1023), 1023))
            if new != old {
                coefficients[index] = new
                changed += 1
            }
        }
        return changed
    }
}
