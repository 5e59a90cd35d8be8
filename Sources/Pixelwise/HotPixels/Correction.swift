/// Repairing listed defective pixels: each becomes the weighted mean of its usable neighbours.
///
/// The neighbours of a pixel are its 8 nearest sites of the same colour, each weighted by
/// nearest distance ÷ its distance, so that the nearest weigh 1:
///
/// - an ordinary image (``Layout/pixels``): the 8 surrounding pixels, weight 1 beside and 1/√2 diagonally,
///   in the same channel;
/// - a Bayer mosaic (``Layout/mosaic(_:)``, a 1-channel image of photosites): for a red or blue photosite
///   the same-colour sites 2 apart beside (weight 1) and diagonally (2, 2) apart (weight 1/√2); for a green
///   photosite the 4 diagonal greens at distance √2 (weight 1) and the 4 greens 2 apart beside
///   (distance 2, weight 1/√2).
///
/// A neighbour is skipped when it lies outside the image (weights renormalise over the rest: the
/// correction's fixed border rule, see docs/DESIGN.md) or when it is itself being repaired, so that pairs and clusters of defects are filled
/// from good samples only and the result does not depend on the order of the list. A sample with no
/// usable neighbour is left as it was and reported in ``DefectCorrection/Outcome/unrepaired``.
/// Integer samples are rounded to nearest (ties away from zero); floats keep the exact mean.
///
/// A **radius** R > 0 (ordinary images only) repairs the whole (2R+1)² square around each listed pixel:
/// demosaicing spreads a one-photosite defect over its 3×3 neighbourhood (and JPEG a little further), so
/// repairing the centre alone leaves a blot. Every pixel of a square becomes the mean of the ring just
/// outside it (Chebyshev distance R+1 from the listed pixel), each ring pixel weighted by 1 ÷ its Euclidean
/// distance to the pixel being repaired — for R = 0 exactly the 8-neighbour rule above. Where squares
/// overlap, a pixel draws on the rings of every square that covers it; ring pixels outside the image or
/// inside any square are skipped.
///
/// Channels: in an image with alpha (2 or 4 channels) the last channel is never touched. By default
/// (``ChannelSelection/allColourChannels``) every colour channel of a listed pixel is repaired, because
/// demosaicing and JPEG's chroma subsampling spread a one-photosite defect into all channels of the pixel
/// and its neighbours; ``ChannelSelection/listedChannelOnly`` repairs only the channel a site names
/// (sites with no channel still get all colour channels).
public enum DefectCorrection {
    /// How samples are laid out, which decides the neighbours.
    public enum Layout: Sendable, Equatable {
        /// An ordinary image: neighbours are the 8 surrounding pixels, in the same channel.
        case pixels
        /// A 1-channel Bayer mosaic: neighbours are the nearest photosites of the same colour.
        case mosaic(CFAPattern)
    }

    /// Which channels of a listed pixel are repaired.
    public enum ChannelSelection: Sendable, Equatable {
        /// Every colour channel (all but alpha), whatever channel the site names.
        case allColourChannels
        /// Only the channel a site names; all colour channels for a site that names none.
        case listedChannelOnly
    }

    /// A pixel (or photosite) to repair.
    public struct Site: Hashable, Sendable, Comparable {
        public var x: Int
        public var y: Int
        /// The channel, when the map gives one.
        public var channel: Int?

        /// The site at column `x`, row `y`, of `channel` when the map names one.
        public init(x: Int, y: Int, channel: Int? = nil) {
            self.x = x
            self.y = y
            self.channel = channel
        }

        /// The site of a detected defect.
        public init(_ candidate: DefectCandidate) {
            self.init(x: candidate.x, y: candidate.y, channel: candidate.channel)
        }

        /// Row-major order, then channel (nil first).
        public static func < (a: Site, b: Site) -> Bool {
            (a.y, a.x, a.channel ?? -1) < (b.y, b.x, b.channel ?? -1)
        }
    }

    /// What a correction did.
    public struct Outcome: Sendable, Equatable {
        /// Samples given a new value.
        public var repairedSamples: Int
        /// Pixels (each once, row-major) with at least one listed sample that had no usable neighbour and
        /// was left as it was.
        public var unrepaired: [Site]

        /// A report of a repair.
        public init(repairedSamples: Int, unrepaired: [Site]) {
            self.repairedSamples = repairedSamples
            self.unrepaired = unrepaired
        }
    }

    /// Repairs `sites` in `image`, each with the (2·`radius`+1)² square around it (`radius` 0: the site alone).
    /// Throws before changing anything when a site lies outside the image, names a channel the selection
    /// cannot repair, `layout` is a mosaic and the image is not 1-channel, or a radius is asked of a mosaic.
    /// Duplicate sites are repaired once.
    @inlinable @discardableResult
    public static func apply<Sample: PixelSample>(
        to image: inout Image<Sample>, sites: [Site], layout: Layout = .pixels,
        channels selection: ChannelSelection = .allColourChannels, radius: Int = 0
    ) throws(DefectCorrectionError) -> Outcome {
        precondition(radius >= 0, "negative repair radius")
        let width = image.width, height = image.height, channels = image.channels
        if case .mosaic = layout {
            if channels != 1 { throw .mosaicNeedsOneChannel(channels: channels) }
            if radius > 0 { throw .radiusOnMosaic }
        }
        let colourChannels = (channels == 2 || channels == 4) ? channels - 1 : channels
        // The samples to repair, as (pixel index × channels + channel); validated before any write. With a
        // radius, also the centres of the squares covering each sample, whose rings it is filled from.
        var listed = Set<Int>()
        var coveringCentres = [Int: [Int]]()
        listed.reserveCapacity(sites.count * colourChannels * (2 * radius + 1) * (2 * radius + 1))
        for site in sites {
            guard site.x >= 0, site.x < width, site.y >= 0, site.y < height else {
                throw .outsideImage(x: site.x, y: site.y, width: width, height: height)
            }
            var siteChannels = 0..<colourChannels
            if selection == .listedChannelOnly, layout == .pixels, let channel = site.channel {
                guard channel >= 0, channel < colourChannels else {
                    throw .channelNotRepairable(x: site.x, y: site.y, channel: channel, channels: channels)
                }
                siteChannels = channel..<(channel + 1)
            }
            let centre = site.y * width + site.x
            for y in Swift.max(0, site.y - radius)...Swift.min(height - 1, site.y + radius) {
                for x in Swift.max(0, site.x - radius)...Swift.min(width - 1, site.x + radius) {
                    for channel in siteChannels {
                        let key = (y * width + x) * channels + channel
                        listed.insert(key)
                        if radius > 0, !coveringCentres[key, default: []].contains(centre) {
                            coveringCentres[key, default: []].append(centre)
                        }
                    }
                }
            }
        }
        let order = listed.sorted()
        // The ring a square is filled from, as offsets from its listed pixel: the same for every sample.
        let ring = radius > 0 ? ringOffsets(distance: radius + 1) : []
        var repaired = 0
        var unrepairedPixels = [Int]()
        image.withUnsafeMutableBuffer { buffer in
            for key in order {
                let channel = key % channels
                let pixel = key / channels
                let x = pixel % width, y = pixel / width
                var sum = 0.0, weightSum = 0.0
                func add(_ nx: Int, _ ny: Int, weight: Double) {
                    guard nx >= 0, nx < width, ny >= 0, ny < height else { return }
                    guard !listed.contains((ny &* width &+ nx) &* channels &+ channel) else { return }
                    sum += weight * buffer[nx, ny, channel].doubleValue
                    weightSum += weight
                }
                if radius == 0 {
                    for offset in neighbourOffsets(layout: layout, x: x, y: y) {
                        add(x &+ offset.dx, y &+ offset.dy, weight: offset.weight)
                    }
                } else {
                    let centres = coveringCentres[key] ?? []
                    var seen = Set<Int>()
                    for centre in centres {
                        let cx = centre % width, cy = centre / width
                        for (dx, dy) in ring {
                            let nx = cx + dx, ny = cy + dy
                            guard nx >= 0, nx < width, ny >= 0, ny < height else { continue }
                            // A ring pixel shared by two squares counts once.
                            if centres.count > 1, !seen.insert(ny * width + nx).inserted { continue }
                            let distanceSquared = Double((nx - x) * (nx - x) + (ny - y) * (ny - y))
                            add(nx, ny, weight: 1 / distanceSquared.squareRoot())
                        }
                    }
                }
                if weightSum > 0 {
                    // Listed samples are never read as neighbours, so writing in place is order-free.
                    buffer[x, y, channel] = Sample(roundingClamping: sum / weightSum)
                    repaired += 1
                } else if unrepairedPixels.last != pixel {
                    unrepairedPixels.append(pixel)
                }
            }
        }
        return Outcome(repairedSamples: repaired,
                       unrepaired: unrepairedPixels.map { Site(x: $0 % width, y: $0 / width) })
    }

    /// Repairs the pixels of a defect map (see ``apply(to:sites:layout:channels:radius:)``).
    @inlinable @discardableResult
    public static func apply<Sample: PixelSample>(
        to image: inout Image<Sample>, defects: [DefectCandidate], layout: Layout = .pixels,
        channels selection: ChannelSelection = .allColourChannels, radius: Int = 0
    ) throws(DefectCorrectionError) -> Outcome {
        try apply(to: &image, sites: defects.map(Site.init), layout: layout, channels: selection, radius: radius)
    }

    /// The offsets at Chebyshev distance `distance` from a pixel, row by row: the ring around a square.
    @inlinable static func ringOffsets(distance: Int) -> [(dx: Int, dy: Int)] {
        var ring: [(dx: Int, dy: Int)] = []
        for dy in -distance...distance {
            for dx in -distance...distance where Swift.max(Swift.abs(dx), Swift.abs(dy)) == distance {
                ring.append((dx, dy))
            }
        }
        return ring
    }

    /// One neighbour: where it is and what it weighs.
    public struct NeighbourOffset: Sendable, Equatable {
        public var dx: Int
        public var dy: Int
        public var weight: Double

        /// A neighbour at offset (`dx`, `dy`) with `weight`.
        public init(dx: Int, dy: Int, weight: Double) {
            self.dx = dx
            self.dy = dy
            self.weight = weight
        }
    }

    @usableFromInline static let diagonalWeight = 1.0 / 2.0.squareRoot()

    @usableFromInline static let pixelNeighbours: [NeighbourOffset] = [
        .init(dx: -1, dy: -1, weight: diagonalWeight), .init(dx: 0, dy: -1, weight: 1), .init(dx: 1, dy: -1, weight: diagonalWeight),
        .init(dx: -1, dy: 0, weight: 1), .init(dx: 1, dy: 0, weight: 1),
        .init(dx: -1, dy: 1, weight: diagonalWeight), .init(dx: 0, dy: 1, weight: 1), .init(dx: 1, dy: 1, weight: diagonalWeight),
    ]

    /// Red and blue photosites: same colour 2 apart beside (distance 2) and diagonally (distance 2√2).
    @usableFromInline static let redBlueNeighbours: [NeighbourOffset] = [
        .init(dx: -2, dy: -2, weight: diagonalWeight), .init(dx: 0, dy: -2, weight: 1), .init(dx: 2, dy: -2, weight: diagonalWeight),
        .init(dx: -2, dy: 0, weight: 1), .init(dx: 2, dy: 0, weight: 1),
        .init(dx: -2, dy: 2, weight: diagonalWeight), .init(dx: 0, dy: 2, weight: 1), .init(dx: 2, dy: 2, weight: diagonalWeight),
    ]

    /// Green photosites: the diagonal greens (distance √2) and the greens 2 apart beside (distance 2).
    @usableFromInline static let greenNeighbours: [NeighbourOffset] = [
        .init(dx: 0, dy: -2, weight: diagonalWeight),
        .init(dx: -1, dy: -1, weight: 1), .init(dx: 1, dy: -1, weight: 1),
        .init(dx: -2, dy: 0, weight: diagonalWeight), .init(dx: 2, dy: 0, weight: diagonalWeight),
        .init(dx: -1, dy: 1, weight: 1), .init(dx: 1, dy: 1, weight: 1),
        .init(dx: 0, dy: 2, weight: diagonalWeight),
    ]

    /// The neighbours used to repair the sample at (`x`, `y`).
    @inlinable public static func neighbourOffsets(layout: Layout, x: Int, y: Int) -> [NeighbourOffset] {
        switch layout {
        case .pixels:
            return pixelNeighbours
        case .mosaic(let pattern):
            let isGreen = ((x &+ y) & 1 == 0) == pattern.greenOnEvenSum
            return isGreen ? greenNeighbours : redBlueNeighbours
        }
    }
}

/// Why a correction cannot be made. Messages are one line; the CLI adds the file name.
public enum DefectCorrectionError: Error, Equatable, CustomStringConvertible {
    /// A listed pixel lies outside the image.
    case outsideImage(x: Int, y: Int, width: Int, height: Int)
    /// A listed channel does not exist or is alpha.
    case channelNotRepairable(x: Int, y: Int, channel: Int, channels: Int)
    /// Mosaic correction was asked of a multi-channel image.
    case mosaicNeedsOneChannel(channels: Int)
    /// A repair radius was asked of a mosaic, where a defect stays in its photosite.
    case radiusOnMosaic

    public var description: String {
        switch self {
        case let .outsideImage(x, y, width, height):
            "pixel (\(x), \(y)) is outside the \(width)×\(height) image"
        case let .channelNotRepairable(x, y, channel, channels):
            channels == 2 || channels == 4
                ? "pixel (\(x), \(y)) channel \(channel): the image's colour channels are 0...\(channels - 2) (channel \(channels - 1) is alpha and is never repaired)"
                : "pixel (\(x), \(y)) channel \(channel): the image has \(channels) channel\(channels == 1 ? "" : "s")"
        case let .mosaicNeedsOneChannel(channels):
            "a CFA mosaic must be a 1-channel image (this one has \(channels) channels)"
        case .radiusOnMosaic:
            "a repair radius applies to demosaiced images: on a CFA mosaic a defect stays in its photosite"
        }
    }
}
