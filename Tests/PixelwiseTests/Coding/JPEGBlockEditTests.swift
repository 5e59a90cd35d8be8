import Foundation
@testable import Pixelwise
import Testing

@Suite("JPEG block edit")
struct JPEGBlockEditTests {
    @Test("forward DCT: a constant block is 8× its value at DC; the transform keeps energy (orthonormal)")
    func forwardDCT() {
        let constant = JPEGBlockEdit.forwardDCT([Double](repeating: 5, count: 64))
        #expect(abs(constant[0] - 40) < 1e-9)
        #expect(constant.dropFirst().allSatisfy { abs($0) < 1e-9 })
        var generator = SplitMix64(seed: 7)
        let samples = (0..<64).map { _ in Double.random(in: -128...127, using: &generator) }
        let transform = JPEGBlockEdit.forwardDCT(samples)
        let energy = samples.reduce(0) { $0 + $1 * $1 }, transformed = transform.reduce(0) { $0 + $1 * $1 }
        #expect(abs(energy - transformed) < 1e-6 * energy)
        // A horizontal cosine of frequency 1 lands on coefficient (u 1, v 0) alone: ¼ · 1/√2 · 8 rows · 4.
        let wave = (0..<64).map { cos(Double(2 * ($0 % 8) + 1) * Double.pi / 16) }
        let single = JPEGBlockEdit.forwardDCT(wave)
        #expect(single.enumerated().allSatisfy { $0.offset == 1 ? abs($0.element - 4 * 2.0.squareRoot()) < 1e-9 : abs($0.element) < 1e-9 })
    }

    @Test("only blocks holding a changed pixel; chroma changes are the mean over the pixels a sample covers")
    func changedBlocks() {
        let original = Image<UInt8>(width: 20, height: 18, channels: 3, repeating: 100)
        var edited = original
        edited[17, 3, 0] = 120  // red +20 at (17, 3)
        let luma = JPEGBlockEdit.changedBlocks(original: original, edited: edited, component: .luma,
                                               horizontalScale: 1, verticalScale: 1)
        #expect(luma.count == 1 && luma[0].blockX == 2 && luma[0].blockY == 0)
        #expect(abs(luma[0].samples[3 * 8 + 1] - 0.299 * 20) < 1e-9)
        #expect(luma[0].samples.enumerated().allSatisfy { $0.offset == 3 * 8 + 1 || $0.element == 0 })
        // 4:2:0: the chroma sample (8, 1) covers pixels 16...17 × 2...3; red +20 on one of four.
        let red = JPEGBlockEdit.changedBlocks(original: original, edited: edited, component: .redChroma,
                                              horizontalScale: 2, verticalScale: 2)
        #expect(red.count == 1 && red[0].blockX == 1 && red[0].blockY == 0)
        #expect(abs(red[0].samples[1 * 8 + 0] - 0.5 * 20 / 4) < 1e-9)
        // An edge pixel's change spreads into the padding past the right edge (x 20...23 of block 2).
        #expect(luma.isEmpty == false)
        edited[19, 3, 0] = 120
        let edge = JPEGBlockEdit.changedBlocks(original: original, edited: edited, component: .rgb(0),
                                               horizontalScale: 1, verticalScale: 1)
        #expect(edge.count == 1 && (3...7).allSatisfy { edge[0].samples[3 * 8 + $0] == 20 })
        #expect(edge[0].samples[3 * 8 + 2] == 0)
    }

    @Test("apply: requantizes with the table; a zero change keeps every coefficient")
    func apply() {
        var block = [Int16](repeating: 0, count: 64)
        block[0] = 10
        let table = [UInt16](repeating: 4, count: 64)
        let none = block.withUnsafeMutableBufferPointer {
            JPEGBlockEdit.apply([Double](repeating: 0, count: 64), to: $0.baseAddress!, quantization: table)
        }
        #expect(none == 0 && block[0] == 10)
        // +3 on every sample: DC rises by 8·3/4 = 6 steps.
        let changed = block.withUnsafeMutableBufferPointer {
            JPEGBlockEdit.apply([Double](repeating: 3, count: 64), to: $0.baseAddress!, quantization: table)
        }
        #expect(changed == 1 && block[0] == 16)
    }
}
