import ArgumentParser
import Pixelwise
import PixelwiseIO

/// `pixelwise sample`: values of an image at many points.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Read pixel values at points.",
        discussion: """
        Points come from --points FILE (CSV with columns x,y and an optional header, or an N×2 NPY, \
        integer or float, columns x then y) or from --at X,Y (repeatable). x is the column, y the row, \
        origin top-left, pixel centres at integers. The output format follows -o's extension: .csv \
        (x, y, a column per channel), .json, or .npy (an N×C array: the image's sample type for \
        nearest, float64 for bilinear). Without -o, CSV goes to stdout.

        Examples:
          pixelwise sample photo.png --at 120,45 --at 7.5,3.25 --interpolation bilinear
          pixelwise sample big.npy --points points.npy -o values.npy
          pixelwise sample scan.tif --points points.csv -o values.json
        """)

    @Argument(help: "The image to sample.")
    var image: String

    @Option(help: "Points file: CSV (x,y) or N×2 NPY.")
    var points: String?

    @Option(name: .customLong("at"), parsing: .unconditionalSingleValue, help: "A point X,Y in pixels (repeatable; a leading minus is read as part of the value).")
    var at: [String] = []

    @Option(help: "nearest (exact values) or bilinear (float64).")
    var interpolation: InterpolationArgument = .nearest

    @Option(name: .shortAndLong, help: "Output file: .csv, .json or .npy.")
    var output: String?

    @OptionGroup var reading: ImageReadingOptions

    func run() throws {
        let pointList: PointList
        switch (points, at.isEmpty) {
        case (let file?, true): pointList = try PointList.read(file)
        case (nil, false): pointList = try PointList.parseArguments(at)
        case (nil, true): throw UsageError("sample: give the points with --points FILE or --at X,Y")
        case (_?, false): throw UsageError("sample: give either --points or --at, not both")
        }
        if let output, SampleTable.format(forPath: output) == nil {
            throw UsageError("-o \(output): unknown output format (use .csv, .json or .npy)")
        }
        if let output {
            try OutputPath.checkDistinct(outputs: [.init("-o", output)],
                                         inputs: [.init("input", image)] + (points.map { [.init("--points", $0)] } ?? []))
        }
        let info = try reading.info(self.image)
        let valueType = interpolation.value == .nearest ? info.sampleType : .float64
        try reading.check(reading.decodeMemory(self.image, info: info)
                          + SampleTable.memoryNeed(points: pointList.count, channels: info.channels, valueType: valueType,
                                                   format: output.flatMap(SampleTable.format(forPath:))),
                          job: "sample", path: self.image, info: info)
        let image = try ImageFile.read(self.image, options: reading.readOptions)
        guard !image.isEmpty else { throw UsageError("\(self.image): the image is empty") }
        do {
            try image.apply(SampleJob(points: pointList, interpolation: interpolation.value, output: output))
        } catch let error as SamplingError {
            throw UsageError("\(points ?? "--at"): \(error)")
        }
    }
}

/// The interpolation argument's values.
struct InterpolationArgument: ExpressibleByArgument {
    let value: Interpolation
    init?(argument: String) {
        guard let value = Interpolation(rawValue: argument) else { return nil }
        self.value = value
    }
    static let nearest = InterpolationArgument(argument: "nearest")!
    static var allValueStrings: [String] { Interpolation.allCases.map(\.rawValue) }
    var defaultValueDescription: String { value.rawValue }
}

/// Gathers and writes, for whichever sample type the image has.
private struct SampleJob: ImageOperation {
    let points: PointList
    let interpolation: Interpolation
    let output: String?

    func callAsFunction<S: PixelSample>(_ image: Image<S>) throws {
        let count = points.count * image.channels
        switch interpolation {
        case .nearest:
            let values = UnsafeMutableBufferPointer<S>.allocate(capacity: count)
            defer { values.deallocate() }
            try points.withCoordinates(
                integers: { try Gather.nearest(image, points: $0, into: values) },
                reals: { try Gather.nearest(image, points: $0, into: values) })
            try emit(UnsafeBufferPointer(values), channels: image.channels)
        case .bilinear:
            let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
            defer { values.deallocate() }
            try points.withCoordinates(
                integers: { ints in
                    try ints.map(Double.init).withUnsafeBufferPointer { try Gather.bilinear(image, points: $0, into: values) }
                },
                reals: { try Gather.bilinear(image, points: $0, into: values) })
            try emit(UnsafeBufferPointer(values), channels: image.channels)
        }
    }

    private func emit<T: PixelSample>(_ values: UnsafeBufferPointer<T>, channels: Int) throws {
        if let output {
            try SampleTable.write(points: points, values: values, channels: channels, to: output)
        } else {
            let text = SampleTable.text(points: points, values: values, channels: channels, format: .csv)
            Standard.output(String(decoding: text, as: UTF8.self))
        }
    }
}
