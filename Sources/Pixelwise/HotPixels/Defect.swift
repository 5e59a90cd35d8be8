/// The kinds of sensor defect the hot-pixel detector reports.
public enum DefectKind: String, Sendable, Codable, CaseIterable {
    /// Consistently brighter than its neighbourhood (additive dark current, a bright photosite).
    case hot
    /// Brighter than its neighbourhood, but weakly or not in every frame.
    case warm
    /// Consistently darker than its neighbourhood (a photosite that lost sensitivity).
    case dead
    /// Nearly constant value over the frames whatever the scene (temporal variance near zero).
    case stuck
    /// Deviates strongly in some frames only (random telegraph noise).
    case flickering
}

/// One defective pixel (or photosite), as reported by a scan and read from or written to a defect map.
public struct DefectCandidate: Sendable, Equatable, Codable {
    /// Column, in image (or sensor) pixels.
    public var x: Int
    /// Row.
    public var y: Int
    /// The channel the defect is in, or nil when it concerns the whole pixel (maps from dcraw or
    /// RawTherapee carry no channel).
    public var channel: Int?
    /// What kind of defect the detector judged it to be.
    public var kind: DefectKind
    /// Detector score: larger is more certain; comparable within one scan.
    public var score: Double

    /// A reported defect at column `x`, row `y`.
    public init(x: Int, y: Int, channel: Int? = nil, kind: DefectKind, score: Double) {
        self.x = x
        self.y = y
        self.channel = channel
        self.kind = kind
        self.score = score
    }
}
