import Pixelwise

/// Why a points file or argument cannot be used.
public enum PointsError: Error, Equatable, CustomStringConvertible {
    case notANumber(source: String, line: Int, text: String)
    case wrongColumnCount(source: String, line: Int)
    case badShape(path: String, shape: String)
    case noPoints(source: String)
    case notAPair(option: String, text: String)

    public var description: String {
        switch self {
        case let .notANumber(source, line, text):
            line > 0 ? "\(source) line \(line): '\(text)' is not a number" : "\(source): '\(text)' is not a number"
        case let .wrongColumnCount(source, line): "\(source) line \(line): expected at least two columns, x and y"
        case let .badShape(path, shape): "\(path): points must be an N×2 array (columns x, y), got shape \(shape)"
        case let .noPoints(source): "\(source): no points"
        case let .notAPair(option, text): "\(option) \(text): expected X,Y (two numbers separated by a comma)"
        }
    }
}

/// A list of (x, y) points, interleaved, as the ``Gather`` kernels take them. Integer points stay
/// integers (exact indexing); an NPY of int64 or float64 is used in place from its memory map.
public struct PointList: @unchecked Sendable {
    /// Integer or fractional coordinates, as the file held them.
    public enum Storage {
        case integers([Int])
        case reals([Double])
        case mapped(NPY.MappedArray)
    }
    /// The interleaved `x, y` coordinates.
    public let storage: Storage

    /// Integer points, interleaved `x, y`.
    public init(integers: [Int]) { storage = .integers(integers) }
    /// Fractional points, interleaved `x, y`.
    public init(reals: [Double]) { storage = .reals(reals) }

    /// Number of points.
    public var count: Int {
        switch storage {
        case .integers(let v): v.count / 2
        case .reals(let v): v.count / 2
        case .mapped(let a): a.count / 2
        }
    }

    /// Point `index` as doubles.
    public func point(_ index: Int) -> (x: Double, y: Double) {
        switch storage {
        case .integers(let v): (Double(v[2 * index]), Double(v[2 * index + 1]))
        case .reals(let v): (v[2 * index], v[2 * index + 1])
        case .mapped(let a): (a.double(at: 2 * index), a.double(at: 2 * index + 1))
        }
    }

    /// Whether every coordinate is a whole number.
    public var isIntegral: Bool {
        switch storage {
        case .integers: return true
        case .reals(let v): return v.allSatisfy { $0 == $0.rounded() }
        case .mapped(let a): return a.dataType.kind != .float
        }
    }

    /// Calls one of the bodies with the interleaved coordinates in place where the storage allows.
    public func withCoordinates<R>(integers: (UnsafeBufferPointer<Int>) throws -> R,
                                   reals: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        switch storage {
        case .integers(let v): return try v.withUnsafeBufferPointer(integers)
        case .reals(let v): return try v.withUnsafeBufferPointer(reals)
        case .mapped(let a):
            if a.dataType.kind != .float, a.dataType.size == 8, a.dataType.kind == .int,
               let r = try a.withNativeElements(as: Int.self, integers) { return r }
            if a.dataType.kind == .float, a.dataType.size == 8, let r = try a.withNativeElements(as: Double.self, reals) { return r }
            if a.dataType.kind == .float {
                return try (0..<a.count).map { a.double(at: $0) }.withUnsafeBufferPointer(reals)
            }
            // Integers of other widths and byte orders, through Double (exact below 2⁵³); a uint64 past Int.max
            // is clamped (it trapped: found by FuzzPoints), and is then simply outside any image.
            return try (0..<a.count).map { index -> Int in
                let value = a.double(at: index)
                return value >= 0x1p63 ? Int.max : value < -0x1p63 ? Int.min : Int(value)
            }.withUnsafeBufferPointer(integers)
        }
    }

    /// Reads points from a CSV (x, y columns; header optional; a header naming `x` and `y` picks those
    /// columns) or an N×2 NPY (integer or float), telling them apart by the file's leading bytes.
    public static func read(_ path: String) throws -> PointList {
        let prefix = try FileSystem.readPrefix(path, count: 8)
        if ImageFormat(signature: prefix) == .npy {
            let array = try NPY.open(path)
            guard array.shape.count == 2, array.shape[1] == 2 else { throw PointsError.badShape(path: path, shape: array.shapeText) }
            guard array.count > 0 else { throw PointsError.noPoints(source: path) }
            return PointList(storage: .mapped(array))
        }
        let bytes = try FileSystem.readAll(path)
        return try parseCSV(bytes, source: path)
    }

    init(storage: Storage) { self.storage = storage }

    /// Parses CSV text: comma, semicolon, tab or space separated.
    public static func parseCSV(_ bytes: [UInt8], source: String) throws -> PointList {
        var coordinates = [Double]()
        var xColumn = 0, yColumn = 1
        var lineNumber = 0
        var sawFirstLine = false
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = String(decoding: rawLine, as: UTF8.self).trimming(" \r\t")
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\t" || $0 == " " }).map {
                String($0).trimming(" \"'")
            }
            defer { sawFirstLine = true }
            if !sawFirstLine, Double(fields.first ?? "") == nil {
                // A header: take the x and y columns by name when it names them.
                let names = fields.map { $0.lowercased() }
                if let x = names.firstIndex(of: "x"), let y = names.firstIndex(of: "y") { (xColumn, yColumn) = (x, y) }
                continue
            }
            guard fields.count > max(xColumn, yColumn) else { throw PointsError.wrongColumnCount(source: source, line: lineNumber) }
            for text in [fields[xColumn], fields[yColumn]] {
                guard let value = Double(text) else { throw PointsError.notANumber(source: source, line: lineNumber, text: text) }
                coordinates.append(value)
            }
        }
        guard !coordinates.isEmpty else { throw PointsError.noPoints(source: source) }
        return PointList(coordinates: coordinates)
    }

    /// Integer storage when every coordinate is a whole number that fits, real storage otherwise.
    init(coordinates: [Double]) {
        if coordinates.allSatisfy({ $0 == $0.rounded() && $0.magnitude < 9e15 }) {
            storage = .integers(coordinates.map { Int($0) })
        } else {
            storage = .reals(coordinates)
        }
    }

    /// Parses `--at X,Y` arguments.
    public static func parseArguments(_ values: [String], option: String = "--at") throws -> PointList {
        var coordinates = [Double]()
        for value in values {
            let parts = value.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimming(" ") }
            guard parts.count == 2 else { throw PointsError.notAPair(option: option, text: value) }
            for text in parts {
                guard let v = Double(text) else { throw PointsError.notANumber(source: "\(option) \(value)", line: 0, text: text) }
                coordinates.append(v)
            }
        }
        guard !coordinates.isEmpty else { throw PointsError.noPoints(source: option) }
        return PointList(coordinates: coordinates)
    }
}
