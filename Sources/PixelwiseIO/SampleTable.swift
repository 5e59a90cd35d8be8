import Pixelwise

/// Values sampled at points, written as CSV (x, y, one column per channel), JSON or an N×C NPY.
public enum SampleTable {
    public enum Format: String, Sendable { case csv, json, npy }

    /// The table format an output path asks for, by extension.
    public static func format(forPath path: String) -> Format? {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".json") { return .json }
        if lower.hasSuffix(".npy") { return .npy }
        return nil
    }

    /// Column names for the channels: `value` for one channel, else `c0`, `c1`, …
    public static func channelNames(_ channels: Int) -> [String] {
        channels == 1 ? ["value"] : (0..<channels).map { "c\($0)" }
    }

    /// Peak memory of sampling `points` points of `channels` channels into values of `valueType` and writing
    /// them in `format` (nil: CSV on stdout): the points as read (two 8-byte coordinates each), the values, and
    /// for text the rendered table (up to 24 bytes a coordinate and 26 a value, JSON's keys included), held
    /// twice on its way to stdout.
    public static func memoryNeed(points: Int, channels: Int, valueType: SampleType, format: Format?) -> MemoryNeed {
        let values = MemoryNeed(count: points, size: 16 + channels * valueType.byteCount)
        guard format != .npy else { return values }
        let text = MemoryNeed(count: points, size: 48 + 26 * channels + (format == .json ? 16 + 8 * channels : 0))
        return values + text * (format == nil ? 2 : 1)
    }

    /// Renders the table as text (CSV or JSON), for stdout or a file.
    public static func text<S: PixelSample>(points: PointList, values: UnsafeBufferPointer<S>, channels: Int,
                                            format: Format) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(points.count * (12 + 6 * channels))
        func append(_ s: String) { out.append(contentsOf: s.utf8) }
        func appendNumber(_ v: Double) {
            if v == v.rounded(), v.magnitude < 1e15 { appendInteger(Int(v)) } else { append(v.isFinite ? "\(v)" : (format == .json ? "null" : "\(v)")) }
        }
        func appendInteger(_ n: Int) {
            if n < 0 { out.append(UInt8(ascii: "-")) }
            var m = n.magnitude
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            withUnsafeMutableBytes(of: &digits) { d in
                repeat { d[count] = UInt8(48 + m % 10); m /= 10; count += 1 } while m > 0
                for i in stride(from: count - 1, through: 0, by: -1) { out.append(d[i]) }
            }
        }
        func appendSample(_ v: S) {
            if S.sampleType.isInteger { appendInteger(Int(v.doubleValue)) }
            else if v.doubleValue.isFinite { append(v.description) }
            else { append(format == .json ? "null" : v.description) }
        }
        switch format {
        case .csv, .npy:
            append((["x", "y"] + channelNames(channels)).joined(separator: ",") + "\n")
            for i in 0..<points.count {
                let p = points.point(i)
                appendNumber(p.x); out.append(44); appendNumber(p.y)
                for c in 0..<channels { out.append(44); appendSample(values[i * channels + c]) }
                out.append(10)
            }
        case .json:
            append("{\"channels\":\(channels),\"sample_type\":\"\(S.sampleType.rawValue)\",\"points\":[")
            for i in 0..<points.count {
                let p = points.point(i)
                if i > 0 { out.append(44) }
                append("{\"x\":"); appendNumber(p.x); append(",\"y\":"); appendNumber(p.y); append(",\"values\":[")
                for c in 0..<channels { if c > 0 { out.append(44) }; appendSample(values[i * channels + c]) }
                append("]}")
            }
            append("]}\n")
        }
        return out
    }

    /// Writes the table to `path` atomically, in the format its extension names.
    public static func write<S: PixelSample>(points: PointList, values: UnsafeBufferPointer<S>, channels: Int,
                                             to path: String) throws {
        guard let format = format(forPath: path) else {
            throw ImageFileError.cannotWrite(path: path, reason: "unknown table format (use .csv, .json or .npy)")
        }
        if format == .npy {
            try NPY.write(values, dataType: NPY.DataType(S.sampleType), shape: [points.count, channels], to: path)
        } else {
            try AtomicFile.write(bytes: text(points: points, values: values, channels: channels, format: format), to: path)
        }
    }
}
