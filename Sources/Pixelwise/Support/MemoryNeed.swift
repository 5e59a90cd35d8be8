#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An estimate of the memory a job holds at its peak, in bytes, made from image headers before anything is
/// allocated: a job too big for the machine is then refused with a message instead of being killed by the
/// kernel's out-of-memory killer half way through.
///
/// Sums and products saturate at `Int.max` instead of trapping, because the sizes come from headers that may
/// declare anything.
public struct MemoryNeed: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The bytes needed, never negative.
    public let bytes: Int

    /// `bytes` bytes (negative counts as zero).
    public init(bytes: Int) { self.bytes = Swift.max(0, bytes) }

    /// `count` elements of `size` bytes each.
    public init(count: Int, size: Int) {
        let (product, overflow) = Swift.max(0, count).multipliedReportingOverflow(by: Swift.max(0, size))
        self.init(bytes: overflow ? .max : product)
    }

    /// Nothing.
    public static let zero = MemoryNeed(bytes: 0)

    /// The samples of a `width` × `height` image of `channels` channels of `sampleType`.
    public static func image(width: Int, height: Int, channels: Int, sampleType: SampleType) -> MemoryNeed {
        MemoryNeed(count: width, size: height) * channels * sampleType.byteCount
    }

    /// Both needs at once, saturating.
    public static func + (a: MemoryNeed, b: MemoryNeed) -> MemoryNeed {
        let (sum, overflow) = a.bytes.addingReportingOverflow(b.bytes)
        return MemoryNeed(bytes: overflow ? .max : sum)
    }

    /// `factor` copies at once (one per core, say), saturating.
    public static func * (a: MemoryNeed, factor: Int) -> MemoryNeed { MemoryNeed(count: a.bytes, size: factor) }

    /// Fewer bytes.
    public static func < (a: MemoryNeed, b: MemoryNeed) -> Bool { a.bytes < b.bytes }

    /// "19.2 GiB", "512.0 MiB", "100 bytes": binary units, as `--max-memory` reads them.
    public var description: String { Self.format(bytes) }

    /// `bytes` in the largest binary unit that keeps the number at 1 or more, one decimal.
    public static func format(_ bytes: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        guard bytes >= 1024 else { return "\(bytes) byte\(bytes == 1 ? "" : "s")" }
        var value = Double(bytes) / 1024, unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

/// The most memory a job may use, and where that number came from (for messages).
public struct MemoryLimit: Sendable, Hashable, CustomStringConvertible {
    /// The limit in bytes, at least 1.
    public let bytes: Int
    /// Why this is the limit when nobody chose it ("this machine's memory"); nil when it was given.
    public let origin: String?

    /// A limit of `bytes` (at least 1), given by the user unless `origin` says otherwise.
    public init(bytes: Int, origin: String? = nil) {
        self.bytes = Swift.max(1, bytes)
        self.origin = origin
    }

    /// The memory this process may have: the machine's physical memory (`sysconf(_SC_PHYS_PAGES)` pages of
    /// `_SC_PAGESIZE` bytes: the `MemTotal` of `/proc/meminfo`), or a memory cgroup's limit when that is less
    /// (a container's: there the kernel's OOM killer acts at the group's limit, not at the machine's memory).
    /// Swap is not counted: a job that needs it runs, but many times slower.
    public static var physical: MemoryLimit {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        let bytes = pages > 0 && pageSize > 0 ? MemoryNeed(count: pages, size: pageSize).bytes : .max
        if let group = cgroupLimit(), group < bytes {
            return MemoryLimit(bytes: group, origin: "this process's memory cgroup limit")
        }
        return MemoryLimit(bytes: bytes, origin: "this machine's memory")
    }

    /// The smallest memory limit of this process's cgroups and their ancestors, nil when none is set:
    /// cgroup v2 `memory.max` ("0::/path" in `proc`), v1 `memory.limit_in_bytes` of the memory controller's
    /// hierarchy ("N:memory:/path"). "max", and v1's "unlimited" (2⁶³ rounded down to a page), are no limit.
    static func cgroupLimit(proc: String = "/proc/self/cgroup", root: String = "/sys/fs/cgroup") -> Int? {
        guard let text = readSmallFile(proc) else { return nil }
        var limits = [Int]()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[2].hasPrefix("/") else { continue }
            let file: (String) -> String
            if fields[0] == "0", fields[1].isEmpty {
                file = { root + $0 + "/memory.max" }
            } else if fields[1].split(separator: ",").contains("memory") {
                file = { root + "/memory" + $0 + "/memory.limit_in_bytes" }
            } else {
                continue
            }
            var group = fields[2].hasSuffix("/") ? String(fields[2].dropLast()) : String(fields[2])
            while true {
                if let value = readSmallFile(file(group)).flatMap({ Int($0.trimmingWhitespace()) }) {
                    limits.append(value)
                }
                guard let slash = group.lastIndex(of: "/") else { break }
                group = String(group[..<slash])
            }
        }
        return limits.filter { $0 > 0 && $0 < 1 << 62 }.min()
    }

    /// A small text file's contents (at most 64 KB), nil when it cannot be read.
    private static func readSmallFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = fread(&buffer, 1, buffer.count, file)
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// "16.0 GiB (this machine's memory)" or "512.0 MiB".
    public var description: String { MemoryNeed.format(bytes) + (origin.map { " (\($0))" } ?? "") }

    /// A size as a person writes it: a number of bytes (`1000000`), or a number with a binary unit, `K`, `M`,
    /// `G`, `T` or `P`, optionally followed by `B` or `iB` (`512M`, `1.5GB`, `8GiB`; any case; 1K = 1024).
    /// Nil for anything else, and for sizes under 1 byte or over `Int.max`.
    public static func parseSize(_ text: String) -> Int? {
        var rest = Substring(text.trimmingWhitespace().lowercased())
        for suffix in ["ib", "b"] where rest.hasSuffix(suffix) && rest.count > suffix.count {
            rest = rest.dropLast(suffix.count)
            break
        }
        var multiplier = 1.0
        if let last = rest.last, let power = ["k", "m", "g", "t", "p"].firstIndex(of: String(last)) {
            multiplier = Double(1 << (10 * (power + 1)))
            rest = rest.dropLast()
        }
        // Digits and at most one point only: no sign, exponent, "inf" or "nan" that `Double` would accept.
        guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              rest.filter({ $0 == "." }).count <= 1, rest != ".", let number = Double(rest) else { return nil }
        let bytes = (number * multiplier).rounded(.down)
        guard bytes >= 1, bytes < 0x1p63 else { return nil }
        return Int(bytes)
    }

    /// Throws ``MemoryLimitExceeded`` when `need` is more than this limit; `job` names the job and its input
    /// ("blur of big.tif (40000×40000×3 uint8)").
    public func check(_ need: MemoryNeed, job: String, option: String = "--max-memory") throws(MemoryLimitExceeded) {
        if need.bytes > bytes { throw MemoryLimitExceeded(job: job, need: need, limit: self, option: option) }
    }
}

/// A job whose estimated peak memory is more than the limit: refused before anything was allocated.
public struct MemoryLimitExceeded: Error, Sendable, Equatable, CustomStringConvertible {
    /// The job and its input, as the message names them.
    public let job: String
    /// The estimated peak.
    public let need: MemoryNeed
    /// The limit it is over.
    public let limit: MemoryLimit
    /// How the caller sets the limit (`--max-memory` for the CLI).
    public let option: String

    /// One line: the job, its need, the limit and where it came from, and what to do.
    public var description: String {
        "\(job) needs about \(need), more than \(option) \(limit); raise \(option) if that much can be had "
            + "(swap, memory-mapped outputs)"
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return Substring(scalars[first...last])
    }
}
