import Foundation
import Testing
import Pixelwise
@testable import PixelwiseIO

@Suite("Hot-pixel state files")
struct HotPixelStateTests {
    private func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pxhs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func filled(_ geometry: HotPixelGeometry, frames: Int, seed: UInt8) -> AnyHotPixelAccumulator {
        let state = AnyHotPixelAccumulator(geometry: geometry)
        for frame in 0..<frames {
            let count = geometry.sampleCount
            switch geometry.sampleType {
            case .uint8:
                state.add(.uint8(Image(width: geometry.width, height: geometry.height, channels: geometry.channels,
                                       samples: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ frame &* 7 &+ Int(seed)) })))
            default:
                state.add(.uint16(Image(width: geometry.width, height: geometry.height, channels: geometry.channels,
                                        samples: (0..<count).map { UInt16(truncatingIfNeeded: $0 &* 977 &+ frame &* 13 &+ Int(seed)) })))
            }
        }
        return state
    }

    private func arrays(_ state: AnyHotPixelAccumulator) -> [[UInt8]] {
        HotPixelStateFile.withArrays(state) { $0.map { Array($0) } }
    }

    @Test("Round trip keeps geometry, frame count, frame list and every byte of the statistics",
          arguments: [HotPixelMethod.residual, .variance])
    func roundTrip(method: HotPixelMethod) throws {
        let dir = try folder()
        for geometry in [HotPixelGeometry(width: 17, height: 5, channels: 3, sampleType: .uint8, cfa: nil, method: method),
                         HotPixelGeometry(width: 8, height: 6, channels: 1, sampleType: .uint16, cfa: .gbrg, method: method),
                         HotPixelGeometry(width: 1, height: 1, channels: 1, sampleType: .uint8, cfa: nil, method: method)] {
            let state = filled(geometry, frames: 4, seed: 3)
            let path = dir + "/s.pxhs"
            try HotPixelStateFile.write(state, frames: ["a.jpg", "b c.jpg", "ü.jpg", "d"], to: path)
            let back = try HotPixelStateFile.read(path)
            #expect(back.state.geometry == geometry)
            #expect(back.state.frameCount == 4)
            #expect(back.frames == ["a.jpg", "b c.jpg", "ü.jpg", "d"])
            #expect(arrays(back.state) == arrays(state))
        }
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["s.pxhs"])
    }

    @Test("The bytes in memory are the file's bytes, written in one pass into a buffer of the announced size",
          arguments: [[String](), ["one"], ["a.jpg", "b c.jpg", "ü.jpg", ""]])
    func bytesInMemory(frames: [String]) throws {
        let dir = try folder()
        let geometry = HotPixelGeometry(width: 13, height: 4, channels: 3, sampleType: .uint16, cfa: nil, method: .residual)
        let state = filled(geometry, frames: 3, seed: 9)
        let path = dir + "/s.pxhs"
        try HotPixelStateFile.write(state, frames: frames, to: path)
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(HotPixelStateFile.encodedSize(state, frames: frames) == file.count)
        #expect(HotPixelStateFile.encode(state, frames: frames) == file)
        let back = try file.withUnsafeBytes { try HotPixelStateFile.decode($0, name: "bytes") }
        #expect(back.frames == frames && arrays(back.state) == arrays(state))
    }

    @Test("Merging state bytes in place equals merging the decoded state, at any alignment; other geometries refused",
          arguments: [HotPixelMethod.residual, .variance])
    func mergeInPlace(method: HotPixelMethod) throws {
        let geometry = HotPixelGeometry(width: 11, height: 6, channels: 3, sampleType: .uint16, cfa: nil, method: method)
        let other = filled(geometry, frames: 4, seed: 5)
        let bytes = HotPixelStateFile.encode(other, frames: ["x", "y"])
        let expected = filled(geometry, frames: 3, seed: 2)
        expected.merge(try bytes.withUnsafeBytes { try HotPixelStateFile.decode($0, name: "b") }.state)
        for shift in 0..<3 {
            let state = filled(geometry, frames: 3, seed: 2)
            let shifted = [UInt8](repeating: 0, count: shift) + bytes
            let frames = try shifted.withUnsafeBytes {
                try HotPixelStateFile.merge(UnsafeRawBufferPointer(rebasing: $0[shift...]), name: "b", into: state)
            }
            #expect(frames == ["x", "y"])
            #expect(state.frameCount == 7)
            #expect(arrays(state) == arrays(expected), "shift \(shift)")
        }
        let elsewhere = filled(HotPixelGeometry(width: 11, height: 5, channels: 3, sampleType: .uint16, cfa: nil, method: method),
                               frames: 1, seed: 1)
        #expect(throws: HotPixelStateError.self) {
            _ = try bytes.withUnsafeBytes { try HotPixelStateFile.merge($0, name: "b", into: elsewhere) }
        }
        var damaged = bytes
        damaged[70] ^= 1
        #expect(throws: HotPixelStateError.badChecksum(path: "b")) {
            _ = try damaged.withUnsafeBytes { try HotPixelStateFile.merge($0, name: "b", into: filled(geometry, frames: 1, seed: 1)) }
        }
    }

    @Test("Corruption anywhere, truncation, another version or not a state: clear errors")
    func corruption() throws {
        let dir = try folder()
        let geometry = HotPixelGeometry(width: 9, height: 7, channels: 3, sampleType: .uint8, cfa: nil, method: .residual)
        let path = dir + "/s.pxhs"
        try HotPixelStateFile.write(filled(geometry, frames: 3, seed: 1), frames: ["x"], to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        for offset in [48, 64, 500, good.count - 20, good.count - 9, good.count - 1] {
            var bad = good
            bad[offset] ^= 0x10
            try bad.write(to: URL(fileURLWithPath: path))
            #expect(throws: HotPixelStateError.self) { try HotPixelStateFile.read(path) }
        }
        var bad = good
        bad[64] ^= 1
        try bad.write(to: URL(fileURLWithPath: path))
        #expect(throws: HotPixelStateError.badChecksum(path: path)) { try HotPixelStateFile.read(path) }
        try good.prefix(good.count - 100).write(to: URL(fileURLWithPath: path))
        #expect(throws: HotPixelStateError.self) { try HotPixelStateFile.read(path) }
        var version = good
        version[8] = 2
        try version.write(to: URL(fileURLWithPath: path))
        #expect(throws: HotPixelStateError.unsupportedVersion(path: path, version: 2)) { try HotPixelStateFile.read(path) }
        try Data("hello, not a state".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: HotPixelStateError.notAState(path: path)) { try HotPixelStateFile.read(path) }
        #expect(HotPixelStateError.badChecksum(path: "a.pxhs").description == "a.pxhs: hot-pixel state checksum does not match: the file is corrupt")
    }

    @Test("Merged shard files equal one pass")
    func shardsThroughFiles() throws {
        let dir = try folder()
        let geometry = HotPixelGeometry(width: 21, height: 13, channels: 3, sampleType: .uint8, cfa: nil, method: .residual)
        let frames: [Image<UInt8>] = (0..<9).map { f in
            Image(width: 21, height: 13, channels: 3, samples: (0..<(21 * 13 * 3)).map { UInt8(truncatingIfNeeded: ($0 * 37) ^ (f * 91)) })
        }
        let whole = AnyHotPixelAccumulator(geometry: geometry)
        let shards = [AnyHotPixelAccumulator(geometry: geometry), AnyHotPixelAccumulator(geometry: geometry)]
        for (i, frame) in frames.enumerated() {
            whole.add(.uint8(frame))
            shards[i % 2].add(.uint8(frame))
        }
        try HotPixelStateFile.write(shards[0], frames: [], to: dir + "/a.pxhs")
        try HotPixelStateFile.write(shards[1], frames: [], to: dir + "/b.pxhs")
        let merged = try HotPixelStateFile.read(dir + "/a.pxhs").state
        merged.merge(try HotPixelStateFile.read(dir + "/b.pxhs").state)
        #expect(merged.frameCount == 9)
        guard case .uint8(let m) = merged, case .uint8(let w) = whole else { Issue.record("types"); return }
        let scale = Double(w.m2.reduce(0, +)) / Double(w.m2.count)
        for i in 0..<w.mean.count {
            #expect(abs(Double(m.mean[i] - w.mean[i])) <= 4e-6 * max(1, Double(abs(w.mean[i]))))
            #expect(abs(Double(m.m2[i] - w.m2[i])) <= 4e-6 * max(scale, Double(w.m2[i])))
        }
    }
}
