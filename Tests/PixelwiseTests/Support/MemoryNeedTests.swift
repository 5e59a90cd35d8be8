#if canImport(Glibc)
import Glibc
#endif
@testable import Pixelwise
import Testing

/// The memory estimates of issue 15's resource limits: sizes as people write them, sums and products that
/// saturate instead of trapping on headers declaring anything, and kernel estimates that stay bounded.
@Suite("Memory estimates and limits")
struct MemoryNeedTests {
    @Test func sizesAsWritten() {
        #expect(MemoryLimit.parseSize("100") == 100)
        #expect(MemoryLimit.parseSize("8G") == 8 << 30)
        #expect(MemoryLimit.parseSize("512M") == 512 << 20)
        #expect(MemoryLimit.parseSize("512m") == 512 << 20)
        #expect(MemoryLimit.parseSize("1.5GB") == 3 << 29)
        #expect(MemoryLimit.parseSize("8GiB") == 8 << 30)
        #expect(MemoryLimit.parseSize("64KB") == 64 << 10)
        #expect(MemoryLimit.parseSize("2T") == 2 << 40)
        #expect(MemoryLimit.parseSize(" 4K ") == 4096)
        #expect(MemoryLimit.parseSize("10B") == 10)
    }

    @Test(arguments: ["0", "-1", "-5G", "abc", "1e400", "1e3", "", "1.5.5", "10Q", "inf", "nan", "0.25", "G", ".", "9000000P", "+5"])
    func sizesRefused(_ text: String) {
        #expect(MemoryLimit.parseSize(text) == nil, "\(text)")
    }

    @Test func saturatesInsteadOfTrapping() {
        #expect(MemoryNeed.image(width: .max, height: 2, channels: 3, sampleType: .float64).bytes == .max)
        #expect((MemoryNeed(bytes: .max) + MemoryNeed(bytes: 1)).bytes == .max)
        #expect((MemoryNeed(bytes: .max / 2) * 3).bytes == .max)
        #expect(MemoryNeed(bytes: -4).bytes == 0)
        #expect(MemoryNeed.image(width: 40000, height: 40000, channels: 3, sampleType: .uint8).bytes == 4_800_000_000)
    }

    @Test func formatsInBinaryUnits() {
        #expect(MemoryNeed.format(100) == "100 bytes")
        #expect(MemoryNeed.format(1536) == "1.5 KiB")
        #expect(MemoryNeed.format(16 << 30) == "16.0 GiB")
        #expect(MemoryNeed.format(.max) == "8.0 EiB")
    }

    @Test func limitMessageNamesTheNeedAndTheOption() throws {
        let limit = MemoryLimit(bytes: 16 << 30, origin: "this machine's memory")
        #expect(throws: Never.self) { try limit.check(MemoryNeed(bytes: 16 << 30), job: "blur") }
        let error = #expect(throws: MemoryLimitExceeded.self) { try limit.check(MemoryNeed(bytes: 17 << 30), job: "blur of big.tif") }
        let text = try #require(error).description
        #expect(text.hasPrefix("blur of big.tif needs about 17.0 GiB, more than --max-memory 16.0 GiB (this machine's memory)"))
        #expect(!text.contains("\n"))
    }

    @Test("a memory cgroup's limit (v2 memory.max or v1 memory.limit_in_bytes, of the group or above) lowers the default")
    func cgroupLimits() throws {
        let root = "/tmp/pxcg-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        mkdir(root, 0o755)
        func write(_ path: String, _ text: String) {
            var directory = root
            for part in path.split(separator: "/").dropLast() {
                directory += "/" + part
                mkdir(directory, 0o755)
            }
            let file = fopen(root + "/" + path, "w")!
            fputs(text, file)
            fclose(file)
        }
        defer { _ = system("rm -rf \(root)") }
        // v2: the container's group says 1 GiB, its parent 4 GiB, the root "max".
        write("proc-v2", "0::/kube/pod1\n")
        write("fs/memory.max", "max\n")
        write("fs/kube/memory.max", "4294967296\n")
        write("fs/kube/pod1/memory.max", "1073741824\n")
        #expect(MemoryLimit.cgroupLimit(proc: root + "/proc-v2", root: root + "/fs") == 1 << 30)
        // v1 (a hybrid layout, like this machine's): the memory controller's own hierarchy; "unlimited".
        write("proc-v1", "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n")
        write("fs1/memory/process_api/abc/memory.limit_in_bytes", "9223372036854771712\n")
        write("fs1/memory/memory.limit_in_bytes", "9223372036854771712\n")
        #expect(MemoryLimit.cgroupLimit(proc: root + "/proc-v1", root: root + "/fs1") == nil)
        write("fs1/memory/process_api/memory.limit_in_bytes", "536870912\n")
        #expect(MemoryLimit.cgroupLimit(proc: root + "/proc-v1", root: root + "/fs1") == 512 << 20)
        // Nothing readable: no limit.
        #expect(MemoryLimit.cgroupLimit(proc: root + "/missing", root: root) == nil)
    }

    @Test func physicalMemoryIsKnown() {
        #expect(MemoryLimit.physical.bytes > 1 << 26)
        #expect(MemoryLimit.physical.origin != nil)
    }

    /// A box mean holds its output and a table or rings; huge radii are clamped, so the estimate stays within
    /// a few times the image however large the radius.
    @Test func boxEstimateIsBoundedForHugeRadii() {
        let image = MemoryNeed.image(width: 4000, height: 3000, channels: 3, sampleType: .uint8)
        for radius in [0.0, 3, 10.5, 255, 4000, 1e19, .greatestFiniteMagnitude, .nan] {
            for whole in [false, true] {
                let need = VariableBlur.boxMeanMemory(width: 4000, height: 3000, channels: 3, inputType: .uint8, outputType: .uint8,
                                                      largestRadius: radius, wholeRadii: whole)
                #expect(need >= image, "r \(radius)")
                // The full-image table of UInt64s (8 bytes a sample) is the worst.
                #expect(need.bytes <= image.bytes * 10, "r \(radius): \(need)")
            }
        }
        let into = VariableBlur.boxMeanMemory(width: 4000, height: 3000, channels: 3, inputType: .uint8, outputType: nil,
                                              largestRadius: 3, wholeRadii: true)
        #expect(into < image, "the caller's target is not counted")
    }

    @Test func gaussianEstimateIsBoundedForHugeSigma() {
        let image = MemoryNeed.image(width: 512, height: 512, channels: 1, sampleType: .float32)
        for sigma in [0.0, 1, 4, 100, 1e5, 1e9, 1e300, .nan] {
            let need = VariableBlur.gaussianMemory(width: 512, height: 512, channels: 1, outputType: .float32, maximumSigma: sigma)
            #expect(need >= image)
            #expect(need.bytes < 64 << 20, "σ \(sigma): \(need)")
        }
    }

    @Test func scanEstimateCountsTheStateAndTwoFramesPerCore() {
        let geometry = HotPixelGeometry(width: 100, height: 50, channels: 3, sampleType: .uint16, cfa: nil, method: .residual)
        let state = AnyHotPixelAccumulator.memoryNeed(geometry)
        #expect(state.bytes == 100 * 50 * 3 * (8 + 4))
        let need = HotPixelScan.memoryNeed(geometry, workers: 4)
        #expect(need.bytes >= state.bytes + 2 * 4 * 100 * 50 * 3 * 2, "two frames per core")
    }

    @Test func quantizeFitOfFloatsAssumesEveryValueDistinct() {
        let settings = QuantizationSettings(levelCount: .fixed(8), weighting: .unique, method: .optimal, restarts: 1,
                                            maximumIterations: 1, seed: 1)
        let float = Quantization.fitMemory(pixels: 1_000_000, sampleType: .float32, settings: settings)
        let bytes = Quantization.fitMemory(pixels: 1_000_000, sampleType: .uint8, settings: settings)
        #expect(float.bytes >= 1_000_000 * (8 + 4 * 7))
        #expect(bytes.bytes < 1 << 20)
    }
}
