/// The colour filter array layout of a raw sensor mosaic, named by its top-left 2×2 tile read row by row.
public enum CFAPattern: String, Sendable, CaseIterable, Codable {
    case rggb = "RGGB", bggr = "BGGR", grbg = "GRBG", gbrg = "GBRG"

    /// The colour (0 red, 1 green, 2 blue) of the photosite at column `x`, row `y`.
    @inlinable public func colour(x: Int, y: Int) -> Int {
        let site = (y & 1) << 1 | (x & 1)
        // Sites 0 and 3 (or 1 and 2) hold red and blue; the other two green. No table: called per sample.
        switch self {
        case .rggb: return site == 0 ? 0 : site == 3 ? 2 : 1
        case .bggr: return site == 0 ? 2 : site == 3 ? 0 : 1
        case .grbg: return site == 1 ? 0 : site == 2 ? 2 : 1
        case .gbrg: return site == 1 ? 2 : site == 2 ? 0 : 1
        }
    }

    /// Whether green photosites are those where `x + y` is even (GRBG, GBRG) rather than odd.
    @inlinable public var greenOnEvenSum: Bool { self == .grbg || self == .gbrg }

    /// Parses `RGGB`, `bggr`, … (any case).
    public init?(name: String) {
        self.init(rawValue: name.uppercased())
    }
}
