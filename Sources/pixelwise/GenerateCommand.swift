import ArgumentParser
import Foundation
import Pixelwise
import PixelwiseIO

/// `pixelwise generate`: sample data made by the project itself (no downloads), for the demo, the docs
/// and for trying the other commands.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Make synthetic sample data: photo-like scenes, region masks, photo stacks with planted defects.",
        subcommands: [Scene.self, Mask.self, Stack.self])

    struct Size: ExpressibleByArgument {
        let width: Int, height: Int
        init?(argument: String) {
            let parts = argument.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return nil }
            (width, height) = (parts[0], parts[1])
        }
        var defaultValueDescription: String { "\(width)x\(height)" }
    }

    enum SampleTypeArgument: String, ExpressibleByArgument, CaseIterable {
        case uint8, uint16, float32, float64
    }

    struct Scene: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A photo-like scene.")
        @Option(help: "Size WxH.") var size = Size(argument: "1024x768")!
        @Option(help: "1 (gray) or 3 (RGB).") var channels = 3
        @Option(help: "Sample type.") var type: SampleTypeArgument = .uint8
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(name: .shortAndLong, help: "Output image.") var output: String

        @OptionGroup var memory: MemoryLimitOptions

        func run() throws {
            guard channels == 1 || channels == 3 else { throw UsageError("--channels \(channels): scenes have 1 or 3 channels") }
            let sampleType = SampleType(rawValue: type.rawValue)!
            try memory.check(SyntheticScene.memoryNeed(width: size.width, height: size.height, channels: channels, sampleType: sampleType),
                             job: "generate scene \(size.width)x\(size.height)")
            let scene = SyntheticScene.render(width: size.width, height: size.height, channels: channels, seed: seed)
            let image: AnyImage = switch type {
            case .uint8: .uint8(SyntheticScene.quantized(scene, as: UInt8.self))
            case .uint16: .uint16(SyntheticScene.quantized(scene, as: UInt16.self))
            case .float32: .float32(SyntheticScene.quantized(scene, as: Float.self))
            case .float64: .float64(scene)
            }
            try ImageFile.write(image, to: output)
        }
    }

    struct Mask: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A uint8 mask with a few disk-shaped regions (255) on 0.")
        @Option(help: "Size WxH.") var size = Size(argument: "1024x768")!
        @Option(help: "Number of regions.") var regions = 4
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(name: .shortAndLong, help: "Output image.") var output: String

        @OptionGroup var memory: MemoryLimitOptions

        func run() throws {
            guard regions > 0 else { throw UsageError("--regions \(regions): must be positive") }
            try memory.check(.image(width: size.width, height: size.height, channels: 1, sampleType: .uint8),
                             job: "generate mask \(size.width)x\(size.height)")
            try ImageFile.write(.uint8(SyntheticScene.regionMask(width: size.width, height: size.height, seed: seed,
                                                                 regions: regions)), to: output)
        }
    }

    struct Stack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A stack of different photo-like RGB frames sharing planted hot, stuck and dead pixels.",
            discussion: "Writes frame-NNN.<ext> and truth.json (the planted defects) into --output-dir.")
        @Option(help: "Number of frames.") var frames = 20
        @Option(help: "Size WxH.") var size = Size(argument: "1024x768")!
        @Option(help: "Number of planted defects.") var defects = 6
        @Option(help: "Frame file extension: jpg, png, tif, npy.") var format = "jpg"
        @Option(help: "JPEG quality.") var quality = 92
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(name: .customLong("output-dir"), help: "Folder for the frames (created if missing).") var outputDirectory: String

        @OptionGroup var memory: MemoryLimitOptions

        func run() throws {
            guard frames > 0 else { throw UsageError("--frames \(frames): must be positive") }
            try memory.check(SyntheticScene.memoryNeed(width: size.width, height: size.height, channels: 3, sampleType: .uint8),
                             job: "generate stack \(size.width)x\(size.height)")
            guard ImageFormat(pathExtensionOf: "f.\(format)") != nil else { throw UsageError("--format \(format): unknown image extension") }
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
            var rng = SplitMix64(seed: seed &* 7919)
            let kinds: [DefectKind] = [.hot, .stuck, .dead]
            let planted = (0..<defects).map { i in
                DefectCandidate(x: 2 + Int(rng.next() % UInt64(max(size.width - 4, 1))),
                                y: 2 + Int(rng.next() % UInt64(max(size.height - 4, 1))),
                                channel: Int(rng.next() % 3), kind: kinds[i % kinds.count], score: 1)
            }
            for frame in 0..<frames {
                var scene = SyntheticScene.render(width: size.width, height: size.height, channels: 3,
                                                  seed: seed &+ UInt64(frame) &* 104_729,
                                                  shift: (Int(rng.next() % 200), Int(rng.next() % 200)))
                for defect in planted {
                    let c = defect.channel ?? 0
                    switch defect.kind {
                    case .hot: scene[defect.x, defect.y, c] = min(1, scene[defect.x, defect.y, c] + 0.45)
                    case .stuck: scene[defect.x, defect.y, c] = 0.93
                    default: scene[defect.x, defect.y, c] = 0
                    }
                }
                let path = "\(outputDirectory)/frame-\(String(format: "%03d", frame)).\(format)"
                try ImageFile.write(.uint8(SyntheticScene.quantized(scene, as: UInt8.self)), to: path,
                                   options: ImageWriteOptions(jpegQuality: quality))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(bytes: try encoder.encode(planted), to: "\(outputDirectory)/truth.json")
        }
    }
}
