/// The detector's calibration: constants measured on the accuracy stacks (bench/hotpixels, docs/hotpixels-accuracy.md)
/// that users do not choose. The user's knobs are in ``HotPixelDetectionParameters``; changing a constant here
/// changes what every scan reports, so each says where its value came from.
enum HotPixelCalibration {
    // MARK: Scores and their spreads

    /// The hot/dead t statistic divides by the sample's own residual spread, but by at most this many times
    /// the median spread of its ring neighbours (see ``HotPixelDetector``).
    static let spreadCap = 3.0
    /// The floor of a sample's spread, as a fraction of its colour channel's median spread (``HotPixelDetector``'s
    /// `s₀`): a flat patch cannot make a tiny bias look sure. Also half a quantum at least.
    static let spreadFloorFraction: Float = 0.5
    /// The floor of the per-sample scores' spread (half the channel's median spread) in units of a sample's
    /// own spread, for the samples the frame-count adjustment is matched to: ¼ covers every sample whose
    /// spread is at most twice its channel's median (see ``HotPixelDetectionParameters/frameAdjustedThreshold(_:frames:)``).
    static let spreadFloorRatio = 0.25
    /// From this many frames on, the frame-count adjustment matches the floored statistic's tail (``FlooredT``);
    /// below, Student's (with 2 or 3 degrees of freedom too many samples are busier than the floor's model assumes:
    /// measured on 21 stacks, 36 false candidates of 87 at 3 frames and 8 of 68 at 4, none from 5 on).
    static let flooredTailMinimumFrames = 5

    // MARK: Per-sample rules

    /// On 8-bit images, hot, warm and dead need a mean residual of at least this many levels: JPEG and
    /// demosaicing leave fixed biases of about one level at some pixels of every stack, which many frames
    /// make look sure. Measured on the accuracy stacks: every false candidate above threshold 9 but one had
    /// at most 1.4 levels, every planted defect found at least 2.0. (Not applied to 16-bit or float data,
    /// whose true full scale — 12 or 14 bits in 16 — is unknown and which JPEG never touched.)
    static let minimumShift8Bit = 1.75
    /// The stuck rule looks only at samples whose value range over the frames is at most this fraction of full
    /// scale (most pixels of a varied stack span much more).
    static let stuckRangeFraction: Float = 0.25
    /// Classification only: a hot or warm candidate whose neighbours' range is at least this many times its own
    /// (and which never reached full scale) is reported stuck. Measured on demosaiced JPEG stacks, bright stuck
    /// photosites span ≤ 1/3.7 of their neighbours' range, hot ones ≥ 1/1.7.
    static let stuckRangeRatio: Float = 3
    /// The flickering rule looks only at samples whose spread is over this many times their channel's median.
    static let flickerGateFactor: Float = 4
    /// Flickering needs a spread at least this many times the ring neighbours' median.
    static let flickerRatio: Float = 3

    // MARK: Regional evidence (demosaiced images)

    /// On demosaiced images (no CFA), hot, warm and dead from the mean residual also need the sample's mean
    /// residual to be at least this many robust standard deviations away from its region's (see
    /// ``RegionalResidualScale``): JPEG and demosaicing leave fixed biases that depend on the region's
    /// texture, which the sample's own temporal spread does not measure. Measured on the accuracy stacks
    /// (seeds 1–6, 101–106, 201–206): false candidates above threshold 9 in textured regions had 2.7–3.1,
    /// planted defects found had at least 4.2.
    static let regionalGate = 3.5
    /// Evidence from the regional scale (a footprint, or a single mean residual) must also be at least this
    /// many standard errors from zero by the temporal spreads: for a footprint, those of the samples under it
    /// (taken as independent, which overstates the noise of a high-pass sum: a lenient check); for a single
    /// sample, its t. It rejects a few outlier frames, which move a mean residual far from its region's but
    /// have a large spread of their own. On the accuracy stacks every footprint found had at least 5.5.
    static let temporalGate = 4.0
    /// A robust z against the region's spread — of a single sample's mean residual (``RegionalResidualScale``),
    /// or of the demosaic footprint's response (``DemosaicFootprint``) — counts as this many standard errors:
    /// its tails are heavier than a t statistic's (edges, JPEG blocks), so at threshold 9 it needs z ≥ 10.6.
    /// Measured on the 15 demosaiced accuracy stacks (threshold 9, precision 1.00 on all unless said): for the
    /// single-sample rule 0.75 finds 2 defects more than without it, 0.85 and 0.95 4 more, 1.0 gives the first
    /// false candidate; for the footprint 0.75 → 0.85 finds one more, 1.0 gives two false candidates.
    static let regionalScoreScale = 0.85

    // MARK: JPEG echoes (candidate suppression, demosaiced images)

    /// A candidate within this many pixels (Chebyshev; one JPEG block) of a reported one at least
    /// ``echoRatio`` times stronger is its JPEG ringing echo, not a second defect (demosaiced images only).
    /// So is one in the same ``echoTile`` (see ``CandidateSuppression/isJPEGEcho(defectX:defectY:x:y:)``).
    static let echoRadius = 8
    /// The largest block JPEG codes at once: a chroma block under 4:2:0 subsampling covers 16×16 pixels, aligned
    /// to the image's origin, and its quantisation rings all of it. A defect's demosaic footprint (±1 pixel) can
    /// touch up to four such tiles; decoding spreads their chroma ``echoTileMargin`` pixels further (the fancy
    /// upsampling's triangle filter). Measured: on a 120-frame q90 stack (seed 1) a stuck 0.5 photosite at
    /// (888, 324) scoring 45 left an echo at (889, 335), 11 rows away in the same tile, scoring 14.9 (18.1 at
    /// 240 frames): the only false candidate of 120 and 240 frames of that stack.
    static let echoTile = 16
    /// How far past the tiles of ``echoTile`` a decoded JPEG's chroma reaches, in pixels.
    static let echoTileMargin = 2
    /// How many times stronger a reported candidate must be for a weaker one near it to count as its echo
    /// (seed 102's q75 echoes scored 9–12 beside defects scoring 68 and 122; real defects that close and that
    /// unequal are not reported twice either).
    static let echoRatio = 2.0
}
