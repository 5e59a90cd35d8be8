/// The defect repair job's one entry point (CLI, C ABI, Python): the correction on whichever sample type the
/// image holds.
public struct FixJob: Sendable {
    public let sites: [DefectCorrection.Site]
    public var layout: DefectCorrection.Layout
    public let selection: DefectCorrection.ChannelSelection
    /// Repair the (2·radius+1)² square around each site (``DefectCorrection/apply(to:sites:layout:channels:radius:)``).
    public var radius = 0

    /// The job; see the properties.
    public init(sites: [DefectCorrection.Site], layout: DefectCorrection.Layout = .pixels,
                selection: DefectCorrection.ChannelSelection = .allColourChannels, radius: Int = 0) {
        self.sites = sites
        self.layout = layout
        self.selection = selection
        self.radius = radius
    }

    /// Peak memory of repairing `concurrentFiles` images at once, each at most `largestImage` and taking
    /// `encoding` more to write: the repair works in place, so each image is held once, or twice when its
    /// unrepaired samples are kept beside it (`keepsOriginal`: a JPEG written back by recoding only the
    /// changed blocks).
    public static func memoryNeed(largestImage: MemoryNeed, encoding: MemoryNeed = .zero, concurrentFiles: Int,
                                  keepsOriginal: Bool) -> MemoryNeed {
        (largestImage * (keepsOriginal ? 2 : 1) + encoding) * Swift.max(1, concurrentFiles)
    }

    /// Repairs the decoded image in place: the typed image is taken out of the enum first, so that its
    /// pixels have one owner and are not copied (a 10-megapixel RGB photo is 30 MB).
    public func repair(_ image: inout AnyImage) throws(DefectCorrectionError) -> DefectCorrection.Outcome {
        switch image {
        case .uint8(var typed):
            image = .uint8(Image(width: 0, height: 0))
            defer { image = .uint8(typed) }
            return try DefectCorrection.apply(to: &typed, sites: sites, layout: layout, channels: selection, radius: radius)
        case .uint16(var typed):
            image = .uint8(Image(width: 0, height: 0))
            defer { image = .uint16(typed) }
            return try DefectCorrection.apply(to: &typed, sites: sites, layout: layout, channels: selection, radius: radius)
        case .float32(var typed):
            image = .uint8(Image(width: 0, height: 0))
            defer { image = .float32(typed) }
            return try DefectCorrection.apply(to: &typed, sites: sites, layout: layout, channels: selection, radius: radius)
        case .float64(var typed):
            image = .uint8(Image(width: 0, height: 0))
            defer { image = .float64(typed) }
            return try DefectCorrection.apply(to: &typed, sites: sites, layout: layout, channels: selection, radius: radius)
        }
    }
}
