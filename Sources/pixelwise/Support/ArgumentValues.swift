import ArgumentParser
import Pixelwise
import PixelwiseIO

// Library enums as option values: `--help` lists their values, and a bad value fails while the arguments are
// parsed, naming the option ("The value 'X' is invalid for '--cfa <cfa>'. Please provide one of …").

extension CFAPattern: ExpressibleByArgument {
    /// `--cfa`: RGGB, BGGR, GRBG or GBRG, in any case.
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
    public var defaultValueDescription: String { rawValue }
}

extension HotPixelMethod: ExpressibleByArgument {
    /// `--method`: residual or variance, in any case.
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
    public var defaultValueDescription: String { rawValue }
}

extension DefectMapFormat: ExpressibleByArgument {
    /// `--map-format`: json, csv, dcraw or badpixels.
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
    public var defaultValueDescription: String { rawValue }
}
