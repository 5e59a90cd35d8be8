import Pixelwise
import Testing

/// The defect correction against an obvious reference: for every listed sample, look at every offset in
/// the 5×5 window, keep the 8 nearest of the same colour (pixel mode: the 3×3 ring), weight them by
/// nearest distance ÷ distance, skip those outside or listed, and take the weighted mean of the original.
@Suite("Defect correction")
struct CorrectionTests {
    typealias Site = DefectCorrection.Site

    // MARK: The reference

    static func colour(_ pattern: CFAPattern, x: Int, y: Int) -> Character {
        Array(pattern.rawValue)[(y % 2) * 2 + (x % 2)]
    }

    /// The neighbours and weights, derived from geometry rather than tables.
    static func referenceNeighbours(layout: DefectCorrection.Layout, x: Int, y: Int) -> [(dx: Int, dy: Int, weight: Double)] {
        var candidates = [(dx: Int, dy: Int, distance: Double)]()
        for dy in -2...2 {
            for dx in -2...2 where dx != 0 || dy != 0 {
                switch layout {
                case .pixels:
                    if abs(dx) <= 1 && abs(dy) <= 1 { candidates.append((dx, dy, Double(dx * dx + dy * dy).squareRoot())) }
                case .mosaic(let pattern):
                    // Parity-shifted coordinates keep the colour lookup valid beyond the image.
                    if colour(pattern, x: x + dx + 4, y: y + dy + 4) == colour(pattern, x: x + 4, y: y + 4) {
                        candidates.append((dx, dy, Double(dx * dx + dy * dy).squareRoot()))
                    }
                }
            }
        }
        candidates.sort { $0.distance < $1.distance }
        let eighth = candidates[7].distance
        let nearest = candidates[0].distance
        return candidates.filter { $0.distance <= eighth + 1e-12 }.map { ($0.dx, $0.dy, nearest / $0.distance) }
    }

    struct Expected<S: PixelSample> {
        var image: Image<S>
        /// The exact weighted mean (before rounding) of every repaired sample, for tie-aware comparisons.
        var means: [[Int]: Double]
        var unrepaired: Set<[Int]>
    }

    static func reference<S: PixelSample>(_ original: Image<S>, sites: [Site], layout: DefectCorrection.Layout,
                                          selection: DefectCorrection.ChannelSelection) -> Expected<S> {
        let channels = original.channels
        let colourChannels = (channels == 2 || channels == 4) ? channels - 1 : channels
        var listed = Set<[Int]>()
        for s in sites {
            if selection == .listedChannelOnly, layout == .pixels, let c = s.channel {
                listed.insert([s.x, s.y, c])
            } else {
                for c in 0..<colourChannels { listed.insert([s.x, s.y, c]) }
            }
        }
        var result = original
        var means = [[Int]: Double]()
        var unrepaired = Set<[Int]>()
        for key in listed {
            let (x, y, c) = (key[0], key[1], key[2])
            var sum = 0.0, weights = 0.0
            for n in referenceNeighbours(layout: layout, x: x, y: y) {
                let nx = x + n.dx, ny = y + n.dy
                if nx < 0 || ny < 0 || nx >= original.width || ny >= original.height { continue }
                if listed.contains([nx, ny, c]) { continue }
                sum += n.weight * original[nx, ny, c].doubleValue
                weights += n.weight
            }
            if weights > 0 {
                means[key] = sum / weights
                result[x, y, c] = S(roundingClamping: sum / weights)
            } else {
                unrepaired.insert([x, y])
            }
        }
        return Expected(image: result, means: means, unrepaired: unrepaired)
    }

    /// Equal to the reference: integers exactly (either neighbour of a tie at .5 within rounding noise),
    /// floats to a few ulps.
    static func expectMatches<S: PixelSample>(_ actual: Image<S>, _ expected: Expected<S>,
                                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.width == expected.image.width && actual.height == expected.image.height, sourceLocation: sourceLocation)
        var mismatches = 0
        for y in 0..<actual.height {
            for x in 0..<actual.width {
                for c in 0..<actual.channels {
                    let a = actual[x, y, c].doubleValue, e = expected.image[x, y, c].doubleValue
                    if a == e { continue }
                    if let mean = expected.means[[x, y, c]] {
                        if S.sampleType.isInteger, abs(mean - mean.rounded(.down) - 0.5) < 1e-9, abs(a - e) <= 1 { continue }
                        if !S.sampleType.isInteger, abs(a - e) <= 1e-6 * max(1, abs(e)) { continue }
                    }
                    mismatches += 1
                    if mismatches <= 5 {
                        Issue.record("(\(x), \(y)) channel \(c): got \(a), expected \(e)", sourceLocation: sourceLocation)
                    }
                }
            }
        }
        #expect(mismatches == 0, sourceLocation: sourceLocation)
    }

    /// Random sites with corners, edges, adjacent pairs and a 3×3 cluster among them.
    static func randomSites(width: Int, height: Int, channels: Int, count: Int, seed: UInt64) -> [Site] {
        var rng = SplitMix64(seed: seed)
        var sites = [Site]()
        func channel() -> Int? { rng.next() % 3 == 0 ? nil : Int(rng.next() % UInt64(max(1, channels == 2 || channels == 4 ? channels - 1 : channels))) }
        for (x, y) in [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)] {
            sites.append(Site(x: x, y: y, channel: channel()))
        }
        for _ in 0..<count {
            let x = Int(rng.next() % UInt64(width)), y = Int(rng.next() % UInt64(height))
            sites.append(Site(x: x, y: y, channel: channel()))
            if rng.next() % 3 == 0, x + 1 < width { sites.append(Site(x: x + 1, y: y, channel: channel())) }
        }
        if width >= 5, height >= 5 {
            let cx = Int(rng.next() % UInt64(width - 2)) + 1, cy = Int(rng.next() % UInt64(height - 2)) + 1
            for dy in -1...1 { for dx in -1...1 { sites.append(Site(x: cx + dx, y: cy + dy, channel: channel())) } }
        }
        return sites
    }

    // MARK: Hand-computed cases and the seed's edge bug

    /// The seed's repair loop: it stops at the first out-of-bounds neighbour (`break` where it meant
    /// `continue`), in its own neighbour order, and truncates instead of rounding. On the bottom row its
    /// first neighbour is already outside and it divides by zero (nil here).
    static func seedCorrect(_ image: Image<UInt8>, x: Int, y: Int) -> UInt8? {
        let w = 1 / 2.0.squareRoot()
        let matrix: [(Int, Int, Double)] = [(0, 1, 1), (0, -1, 1), (1, 0, 1), (-1, 0, 1), (-1, -1, w), (-1, 1, w), (1, 1, w), (1, -1, w)]
        var n = 0.0, sum = 0.0
        for (dx, dy, weight) in matrix {
            let px = x + dx, py = y + dy
            if px < 0 || py < 0 || px >= image.width || py >= image.height { break }
            n += weight
            sum += image[px, py].doubleValue * weight
        }
        return n > 0 ? UInt8(sum / n) : nil
    }

    @Test func cornerUsesAllThreeInBoundsNeighboursUnlikeTheSeed() throws {
        var image = Image<UInt8>(width: 3, height: 3, channels: 1, samples: [255, 10, 99,
                                                                             20, 30, 99,
                                                                             99, 99, 99])
        let seed = Self.seedCorrect(image, x: 0, y: 0)
        try DefectCorrection.apply(to: &image, sites: [Site(x: 0, y: 0)])
        // (10 + 20 + 30/√2) / (2 + 1/√2) = 18.92 → 19; the seed stops at (0, −1) and gives 20 (only (0, 1)).
        #expect(image[0, 0] == 19)
        #expect(seed == 20)
        #expect(image[0, 0] != seed)
    }

    @Test func interiorIsTheWeightedMeanOfTheEightNeighbours() throws {
        var image = Image<UInt16>(width: 3, height: 3, channels: 1, samples: [100, 200, 300,
                                                                              400, 65535, 600,
                                                                              700, 800, 900])
        try DefectCorrection.apply(to: &image, sites: [Site(x: 1, y: 1)])
        let w = 1 / 2.0.squareRoot()
        let expected = ((200 + 400 + 600 + 800) + w * (100 + 300 + 700 + 900)) / (4 + 4 * w)
        #expect(image[1, 1] == UInt16(expected.rounded()))
        #expect(image[1, 1] == 500)
    }

    @Test func edgesAndCornersMatchTheReferenceWhereTheSeedDoesNot() throws {
        let original = randomImage(UInt8.self, width: 9, height: 7, channels: 1, seed: 7)
        var seedDiffers = 0
        for y in 0..<7 {
            for x in 0..<9 where x == 0 || y == 0 || x == 8 || y == 6 {
                var image = original
                try DefectCorrection.apply(to: &image, sites: [Site(x: x, y: y)])
                Self.expectMatches(image, Self.reference(original, sites: [Site(x: x, y: y)], layout: .pixels,
                                                         selection: .allColourChannels))
                if image[x, y] != Self.seedCorrect(original, x: x, y: y) { seedDiffers += 1 }
            }
        }
        #expect(seedDiffers > 10)
    }

    @Test func aListedNeighbourIsSkipped() throws {
        var image = Image<UInt8>(width: 4, height: 3, channels: 1, samples: [10, 10, 10, 10,
                                                                             10, 250, 0, 10,
                                                                             10, 10, 10, 10])
        try DefectCorrection.apply(to: &image, sites: [Site(x: 1, y: 1), Site(x: 2, y: 1)])
        #expect(image[1, 1] == 10)
        #expect(image[2, 1] == 10)
        // Without listing its partner, the stuck 0 would pull the hot pixel's repair down.
        var single = Image<UInt8>(width: 4, height: 3, channels: 1, samples: [10, 10, 10, 10,
                                                                              10, 250, 0, 10,
                                                                              10, 10, 10, 10])
        try DefectCorrection.apply(to: &single, sites: [Site(x: 1, y: 1)])
        #expect(single[1, 1] < 10)
    }

    @Test func clusterCentreWithNoUsableNeighbourIsLeftAndReported() throws {
        let original = randomImage(UInt8.self, width: 7, height: 7, channels: 3, seed: 3)
        var image = original
        let cluster = (2...4).flatMap { y in (2...4).map { x in Site(x: x, y: y) } }
        let outcome = try DefectCorrection.apply(to: &image, sites: cluster)
        #expect(outcome.unrepaired == [Site(x: 3, y: 3)])
        #expect(outcome.repairedSamples == 8 * 3)
        #expect(image.pixel(x: 3, y: 3) == original.pixel(x: 3, y: 3))
        Self.expectMatches(image, Self.reference(original, sites: cluster, layout: .pixels, selection: .allColourChannels))
    }

    @Test func onePixelImageCannotBeRepaired() throws {
        var image = Image<Float>(width: 1, height: 1, channels: 3, samples: [1, 2, 3])
        let outcome = try DefectCorrection.apply(to: &image, sites: [Site(x: 0, y: 0)])
        #expect(outcome.unrepaired == [Site(x: 0, y: 0)])
        #expect(outcome.repairedSamples == 0)
        #expect(image.samples == [1, 2, 3])
    }

    // MARK: Channels and alpha

    @Test(arguments: [2, 4])
    func alphaIsNeverTouched(channels: Int) throws {
        let original = randomImage(UInt8.self, width: 12, height: 10, channels: channels, seed: UInt64(channels))
        for selection in [DefectCorrection.ChannelSelection.allColourChannels, .listedChannelOnly] {
            var image = original
            let sites = Self.randomSites(width: 12, height: 10, channels: channels, count: 30, seed: 11)
            try DefectCorrection.apply(to: &image, sites: sites, channels: selection)
            for y in 0..<10 { for x in 0..<12 { #expect(image[x, y, channels - 1] == original[x, y, channels - 1]) } }
            Self.expectMatches(image, Self.reference(original, sites: sites, layout: .pixels, selection: selection))
        }
    }

    @Test func listedChannelOnlyLeavesTheOtherChannels() throws {
        let original = randomImage(UInt8.self, width: 5, height: 5, channels: 3, seed: 5)
        var image = original
        try DefectCorrection.apply(to: &image, sites: [Site(x: 2, y: 2, channel: 1)], channels: .listedChannelOnly)
        #expect(image[2, 2, 0] == original[2, 2, 0])
        #expect(image[2, 2, 2] == original[2, 2, 2])
        var all = original
        try DefectCorrection.apply(to: &all, sites: [Site(x: 2, y: 2, channel: 1)])
        #expect(all[2, 2, 1] == image[2, 2, 1])
        Self.expectMatches(all, Self.reference(original, sites: [Site(x: 2, y: 2)], layout: .pixels, selection: .allColourChannels))
    }

    // MARK: Differential, every sample type and odd sizes

    struct Shape: Sendable, CustomStringConvertible {
        var width, height, channels: Int
        var description: String { "\(width)×\(height)×\(channels)" }
    }
    static let shapes = [Shape(width: 1, height: 1, channels: 1), Shape(width: 1, height: 9, channels: 3),
                         Shape(width: 11, height: 1, channels: 4), Shape(width: 2, height: 2, channels: 2),
                         Shape(width: 7, height: 5, channels: 1), Shape(width: 33, height: 29, channels: 3),
                         Shape(width: 64, height: 3, channels: 4)]

    func differential<S: PixelSample>(_ type: S.Type, _ shape: Shape) throws {
        for (round, selection) in [DefectCorrection.ChannelSelection.allColourChannels, .listedChannelOnly].enumerated() {
            let seed = UInt64(shape.width * 131 + shape.height * 7 + shape.channels + round * 1000)
            let original = randomImage(S.self, width: shape.width, height: shape.height, channels: shape.channels, seed: seed)
            let sites = Self.randomSites(width: shape.width, height: shape.height, channels: shape.channels,
                                         count: max(1, shape.width * shape.height / 6), seed: seed + 1)
            var image = original
            let outcome = try DefectCorrection.apply(to: &image, sites: sites, channels: selection)
            let expected = Self.reference(original, sites: sites, layout: .pixels, selection: selection)
            Self.expectMatches(image, expected)
            #expect(Set(outcome.unrepaired.map { [$0.x, $0.y] }) == expected.unrepaired)
            // The order of the list does not matter.
            var shuffled = original
            var rng = SplitMix64(seed: seed)
            try DefectCorrection.apply(to: &shuffled, sites: sites.shuffled(using: &rng), channels: selection)
            #expect(shuffled == image)
        }
    }

    @Test(arguments: shapes) func differentialUInt8(shape: Shape) throws { try differential(UInt8.self, shape) }
    @Test(arguments: shapes) func differentialUInt16(shape: Shape) throws { try differential(UInt16.self, shape) }
    @Test(arguments: shapes) func differentialFloat(shape: Shape) throws { try differential(Float.self, shape) }
    @Test(arguments: shapes) func differentialDouble(shape: Shape) throws { try differential(Double.self, shape) }

    @Test func extremesRoundAndStayInRange() throws {
        var bright = Image<UInt16>(width: 3, height: 3, channels: 1, repeating: 65535)
        bright[1, 1] = 0
        try DefectCorrection.apply(to: &bright, sites: [Site(x: 1, y: 1)])
        #expect(bright[1, 1] == 65535)
        var dark = Image<UInt8>(width: 3, height: 3, channels: 1, repeating: 0)
        dark[1, 1] = 255
        try DefectCorrection.apply(to: &dark, sites: [Site(x: 1, y: 1)])
        #expect(dark[1, 1] == 0)
        // Rounded to nearest, not truncated: the mean of 1 and 2 beside (diagonals listed) is 1.5 → 2.
        var half = Image<UInt8>(width: 3, height: 1, channels: 1, samples: [1, 0, 2])
        try DefectCorrection.apply(to: &half, sites: [Site(x: 1, y: 0)])
        #expect(half[1, 0] == 2)
        var big = Image<Double>(width: 2, height: 1, channels: 1, samples: [0, 1e300])
        try DefectCorrection.apply(to: &big, sites: [Site(x: 0, y: 0)])
        #expect(big[0, 0] == 1e300)
    }

    @Test func aRegionViewIsRepairedInItsOwnCoordinatesAndTheParentKept() throws {
        let parent = randomImage(UInt8.self, width: 20, height: 15, channels: 3, seed: 9)
        var view = parent.region(x: 3, y: 2, width: 10, height: 8)
        let sites = Self.randomSites(width: 10, height: 8, channels: 3, count: 12, seed: 4)
        try DefectCorrection.apply(to: &view, sites: sites)
        var compact = parent.region(x: 3, y: 2, width: 10, height: 8).compacted()
        try DefectCorrection.apply(to: &compact, sites: sites)
        #expect(view == compact)
        #expect(parent == randomImage(UInt8.self, width: 20, height: 15, channels: 3, seed: 9))
    }

    // MARK: Errors change nothing

    @Test func aPixelOutsideTheImageIsAnErrorAndNothingChanges() throws {
        let original = randomImage(UInt8.self, width: 6, height: 4, channels: 3, seed: 1)
        var image = original
        #expect(throws: DefectCorrectionError.outsideImage(x: 6, y: 0, width: 6, height: 4)) {
            try DefectCorrection.apply(to: &image, sites: [Site(x: 1, y: 1), Site(x: 6, y: 0)])
        }
        #expect(image == original)
        #expect(throws: DefectCorrectionError.outsideImage(x: -1, y: 2, width: 6, height: 4)) {
            try DefectCorrection.apply(to: &image, sites: [Site(x: -1, y: 2)])
        }
        #expect(DefectCorrectionError.outsideImage(x: 6, y: 0, width: 6, height: 4).description
                == "pixel (6, 0) is outside the 6×4 image")
    }

    @Test func alphaOrMissingChannelIsAnErrorWhenOnlyListedChannelsAreRepaired() throws {
        var image = randomImage(UInt8.self, width: 4, height: 4, channels: 4, seed: 2)
        #expect(throws: DefectCorrectionError.channelNotRepairable(x: 1, y: 1, channel: 3, channels: 4)) {
            try DefectCorrection.apply(to: &image, sites: [Site(x: 1, y: 1, channel: 3)], channels: .listedChannelOnly)
        }
        // By default the channel only says where the defect was found; all colour channels are repaired.
        try DefectCorrection.apply(to: &image, sites: [Site(x: 1, y: 1, channel: 3)])
        var mosaic = Image<UInt16>(width: 4, height: 4, channels: 3)
        #expect(throws: DefectCorrectionError.mosaicNeedsOneChannel(channels: 3)) {
            try DefectCorrection.apply(to: &mosaic, sites: [Site(x: 1, y: 1)], layout: .mosaic(.rggb))
        }
    }

    // MARK: CFA mosaics

    @Test func mosaicNeighboursAreTheNearestOfTheSameColour() {
        // RGGB: (0, 0) red, (1, 0) green, (1, 1) blue.
        let red = DefectCorrection.neighbourOffsets(layout: .mosaic(.rggb), x: 2, y: 2)
        #expect(red.allSatisfy { $0.dx % 2 == 0 && $0.dy % 2 == 0 })
        #expect(red.filter { $0.weight == 1 }.count == 4)
        let green = DefectCorrection.neighbourOffsets(layout: .mosaic(.rggb), x: 3, y: 2)
        #expect(green.filter { $0.weight == 1 }.allSatisfy { abs($0.dx) == 1 && abs($0.dy) == 1 })
        for pattern in CFAPattern.allCases {
            for y in 0..<2 {
                for x in 0..<2 {
                    let table = DefectCorrection.neighbourOffsets(layout: .mosaic(pattern), x: x, y: y)
                    let reference = Self.referenceNeighbours(layout: .mosaic(pattern), x: x, y: y)
                    let tableWeights = Dictionary(uniqueKeysWithValues: table.map { ([$0.dx, $0.dy], $0.weight) })
                    let referenceWeights = Dictionary(uniqueKeysWithValues: reference.map { ([$0.dx, $0.dy], $0.weight) })
                    #expect(Set(tableWeights.keys) == Set(referenceWeights.keys), "\(pattern) (\(x), \(y))")
                    for (offset, weight) in referenceWeights {
                        #expect(abs((tableWeights[offset] ?? -1) - weight) < 1e-12, "\(pattern) (\(x), \(y)) \(offset)")
                    }
                    #expect(pattern.colour(x: x, y: y) == ["R": 0, "G": 1, "B": 2][Self.colour(pattern, x: x, y: y)])
                }
            }
        }
    }

    @Test func mosaicHotGreenIsFilledFromGreensOnly() throws {
        // A flat RGGB mosaic: red 1000, green 2000, blue 3000, one hot green photosite.
        var image = Image<UInt16>(width: 8, height: 6, channels: 1)
        for y in 0..<6 { for x in 0..<8 { image[x, y] = [1000, 2000, 2000, 3000][(y % 2) * 2 + x % 2] } }
        let flat = image
        image[3, 2] = 60000   // (3, 2): even row, odd column → green
        image[4, 4] = 0       // red, dead
        image[0, 0] = 65535   // red corner
        try DefectCorrection.apply(to: &image, sites: [Site(x: 3, y: 2), Site(x: 4, y: 4), Site(x: 0, y: 0)],
                                   layout: .mosaic(.rggb))
        #expect(image == flat)
    }

    @Test(arguments: CFAPattern.allCases)
    func mosaicDifferential(pattern: CFAPattern) throws {
        for (width, height) in [(1, 1), (1, 7), (9, 1), (2, 2), (13, 11), (40, 31)] {
            let seed = UInt64(width * 100 + height)
            let original = randomImage(UInt16.self, width: width, height: height, channels: 1, seed: seed)
            let sites = Self.randomSites(width: width, height: height, channels: 1, count: max(1, width * height / 5), seed: seed + 3)
            var image = original
            let outcome = try DefectCorrection.apply(to: &image, sites: sites, layout: .mosaic(pattern))
            let expected = Self.reference(original, sites: sites, layout: .mosaic(pattern), selection: .allColourChannels)
            Self.expectMatches(image, expected)
            #expect(Set(outcome.unrepaired.map { [$0.x, $0.y] }) == expected.unrepaired)
            var float = randomImage(Float.self, width: width, height: height, channels: 1, seed: seed)
            let floatOriginal = float
            try DefectCorrection.apply(to: &float, sites: sites, layout: .mosaic(pattern))
            Self.expectMatches(float, Self.reference(floatOriginal, sites: sites, layout: .mosaic(pattern), selection: .allColourChannels))
        }
    }

    @Test func candidatesFromAScanRepairLikeSites() throws {
        let original = randomImage(UInt8.self, width: 10, height: 10, channels: 3, seed: 8)
        var a = original, b = original
        let defects = [DefectCandidate(x: 4, y: 5, channel: 2, kind: .hot, score: 9), DefectCandidate(x: 0, y: 9, kind: .dead, score: 1)]
        try DefectCorrection.apply(to: &a, defects: defects)
        try DefectCorrection.apply(to: &b, sites: [Site(x: 4, y: 5), Site(x: 0, y: 9)])
        #expect(a == b)
    }

    // MARK: A repair radius: the (2R+1)² square around each site, from the ring just outside it

    /// The square repair written from its definition: the samples of every site's square (clipped) are
    /// repaired; each from the ring pixels (Chebyshev distance R+1 from a site whose square covers it, counted
    /// once), in bounds and in no square, weighted by 1 ÷ Euclidean distance to the repaired pixel.
    static func squareReference<S: PixelSample>(_ original: Image<S>, sites: [Site], radius: Int,
                                                selection: DefectCorrection.ChannelSelection) -> Expected<S> {
        let channels = original.channels
        let colourChannels = (channels == 2 || channels == 4) ? channels - 1 : channels
        func channelsOf(_ s: Site) -> [Int] {
            if selection == .listedChannelOnly, let c = s.channel { return [c] }
            return Array(0..<colourChannels)
        }
        func inside(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < original.width && y < original.height }
        var listed = Set<[Int]>()
        for s in sites {
            for dy in -radius...radius {
                for dx in -radius...radius where inside(s.x + dx, s.y + dy) {
                    for c in channelsOf(s) { listed.insert([s.x + dx, s.y + dy, c]) }
                }
            }
        }
        var result = original
        var means = [[Int]: Double]()
        var unrepaired = Set<[Int]>()
        for key in listed {
            let (x, y, c) = (key[0], key[1], key[2])
            var ring = Set<[Int]>()
            for s in sites where abs(s.x - x) <= radius && abs(s.y - y) <= radius && channelsOf(s).contains(c) {
                for dy in -(radius + 1)...(radius + 1) {
                    for dx in -(radius + 1)...(radius + 1) where max(abs(dx), abs(dy)) == radius + 1 {
                        ring.insert([s.x + dx, s.y + dy])
                    }
                }
            }
            var sum = 0.0, weights = 0.0
            for q in ring where inside(q[0], q[1]) && !listed.contains([q[0], q[1], c]) {
                let weight = 1 / Double((q[0] - x) * (q[0] - x) + (q[1] - y) * (q[1] - y)).squareRoot()
                sum += weight * original[q[0], q[1], c].doubleValue
                weights += weight
            }
            if weights > 0 {
                means[key] = sum / weights
                result[x, y, c] = S(roundingClamping: sum / weights)
            } else {
                unrepaired.insert([x, y])
            }
        }
        return Expected(image: result, means: means, unrepaired: unrepaired)
    }

    func squareDifferential<S: PixelSample>(_ type: S.Type, _ shape: Shape, radius: Int) throws {
        for (round, selection) in [DefectCorrection.ChannelSelection.allColourChannels, .listedChannelOnly].enumerated() {
            let seed = UInt64(shape.width * 71 + shape.height * 13 + shape.channels + radius * 7 + round * 1000)
            let original = randomImage(S.self, width: shape.width, height: shape.height, channels: shape.channels, seed: seed)
            // Sparse sites, so that most squares keep some ring; corners and a cluster are among them.
            let sites = Self.randomSites(width: shape.width, height: shape.height, channels: shape.channels,
                                         count: max(1, shape.width * shape.height / 60), seed: seed + 1)
            var image = original
            let outcome = try DefectCorrection.apply(to: &image, sites: sites, channels: selection, radius: radius)
            let expected = Self.squareReference(original, sites: sites, radius: radius, selection: selection)
            Self.expectMatches(image, expected)
            #expect(Set(outcome.unrepaired.map { [$0.x, $0.y] }) == expected.unrepaired)
            var shuffled = original
            var rng = SplitMix64(seed: seed)
            try DefectCorrection.apply(to: &shuffled, sites: sites.shuffled(using: &rng), channels: selection, radius: radius)
            #expect(shuffled == image)
        }
    }

    @Test(arguments: shapes, [1, 2]) func squareDifferentialUInt8(shape: Shape, radius: Int) throws {
        try squareDifferential(UInt8.self, shape, radius: radius)
    }
    @Test(arguments: shapes, [1, 3]) func squareDifferentialUInt16(shape: Shape, radius: Int) throws {
        try squareDifferential(UInt16.self, shape, radius: radius)
    }
    @Test(arguments: shapes) func squareDifferentialFloat(shape: Shape) throws { try squareDifferential(Float.self, shape, radius: 1) }

    @Test func radiusZeroIsThePlainRepair() throws {
        // The square rule with R = 0 is the 8-neighbour rule (weights 1/1 and 1/√2): same values, bit for bit.
        let original = randomImage(UInt16.self, width: 31, height: 23, channels: 3, seed: 5)
        let sites = Self.randomSites(width: 31, height: 23, channels: 3, count: 40, seed: 6)
        var plain = original, square = original
        try DefectCorrection.apply(to: &plain, sites: sites)
        try DefectCorrection.apply(to: &square, sites: sites, radius: 0)
        #expect(plain == square)
        Self.expectMatches(square, Self.squareReference(original, sites: sites, radius: 0, selection: .allColourChannels))
    }

    @Test func radiusOneRemovesADemosaicedBlotThatTheCentreRepairLeaves() throws {
        // A defect of +120 as bilinear demosaicing spreads it (½ beside, ¼ diagonally) on a flat 50.
        var image = Image<UInt8>(width: 9, height: 9, channels: 1, repeating: 50)
        for dy in -1...1 {
            for dx in -1...1 {
                let share = dx == 0 && dy == 0 ? 1.0 : (dx == 0 || dy == 0 ? 0.5 : 0.25)
                image[4 + dx, 4 + dy] = UInt8(50 + 120 * share)
            }
        }
        var centreOnly = image
        try DefectCorrection.apply(to: &centreOnly, sites: [Site(x: 4, y: 4)])
        #expect(centreOnly[4, 4] > 90 && centreOnly[4, 3] == 110)     // the blot stays
        try DefectCorrection.apply(to: &image, sites: [Site(x: 4, y: 4)], radius: 1)
        #expect(image == Image<UInt8>(width: 9, height: 9, channels: 1, repeating: 50))
    }

    @Test func radiusOnALinearRampIsExactAtTheCentre() throws {
        // The ring is symmetric about the site, so a linear ramp is restored exactly there.
        var image = Image<Double>(width: 11, height: 11, channels: 1, samples: (0..<121).map { Double(3 * ($0 % 11) + 5 * ($0 / 11)) })
        let ramp = image
        image[5, 5] = 1000
        try DefectCorrection.apply(to: &image, sites: [Site(x: 5, y: 5)], radius: 2)
        #expect(abs(image[5, 5] - ramp[5, 5]) < 1e-9)
    }

    @Test func radiusIsRefusedOnAMosaic() {
        var image = Image<UInt16>(width: 8, height: 8, channels: 1, repeating: 100)
        #expect(throws: DefectCorrectionError.radiusOnMosaic) {
            try DefectCorrection.apply(to: &image, sites: [Site(x: 3, y: 3)], layout: .mosaic(.rggb), radius: 1)
        }
        #expect(image == Image<UInt16>(width: 8, height: 8, channels: 1, repeating: 100))
    }
}
