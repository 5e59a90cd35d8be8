/// One candidate sample of the residual rules, before suppression: its index in the state
/// (`(y * width + x) * channels + c`), its kind and its score.
struct SampleCandidate: Sendable {
    var index: Int
    var kind: DefectKind
    var score: Float
}

/// From the candidate samples of the per-pixel rules to the reported defects: one per defect, best first.
///
/// - **Non-maximum suppression** (greedy): the best candidate of a cluster wins, the rest are its smear by
///   demosaicing and JPEG. Candidates within ``HotPixelDetectionParameters/suppressionRadius`` (Chebyshev, any
///   channel) of a better one are dropped; suppressed candidates still suppress (a cluster's tail must not
///   surface as a separate defect).
/// - **JPEG echoes** (demosaiced images, suppression on): JPEG rings a strong defect over its coding blocks, so a
///   candidate that ``isJPEGEcho(defectX:defectY:x:y:)`` places under a reported one at least
///   ``HotPixelCalibration/echoRatio`` times stronger is that one's echo.
enum CandidateSuppression {
    /// The reported defects among `candidates` (in any order; they are sorted here, best first, ties by index),
    /// at most `parameters.top` of them.
    static func select(_ candidates: [SampleCandidate], geometry g: HotPixelGeometry,
                       parameters: HotPixelDetectionParameters) -> [DefectCandidate] {
        let width = g.width, channels = g.channels
        var all = candidates
        all.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
        var accepted: [DefectCandidate] = []
        let radius = parameters.suppressionRadius
        var taken: [(x: Int, y: Int)] = []
        let findEchoes = g.cfa == nil && radius > 0
        let echoRatio = HotPixelCalibration.echoRatio
        for candidate in all {
            if accepted.count >= parameters.top { break }
            let pixel = candidate.index / channels
            let x = pixel % width, y = pixel / width
            if radius > 0, taken.contains(where: { Swift.abs($0.x - x) <= radius && Swift.abs($0.y - y) <= radius }) {
                continue
            }
            if findEchoes, accepted.contains(where: {
                $0.score >= echoRatio * Double(candidate.score) && isJPEGEcho(defectX: $0.x, defectY: $0.y, x: x, y: y)
            }) {
                continue
            }
            taken.append((x, y))
            accepted.append(DefectCandidate(x: x, y: y, channel: HotPixelDetector.colour(g, x: x, y: y, channel: candidate.index % channels),
                                            kind: candidate.kind, score: Double(candidate.score)))
        }
        return accepted
    }

    /// Whether JPEG could ring a defect at (`defectX`, `defectY`) into the pixel (`x`, `y`): within
    /// ``HotPixelCalibration/echoRadius`` (Chebyshev), or inside the ``HotPixelCalibration/echoTile``-aligned tiles
    /// its ±1-pixel footprint touches, widened by ``HotPixelCalibration/echoTileMargin``.
    static func isJPEGEcho(defectX: Int, defectY: Int, x: Int, y: Int) -> Bool {
        let radius = HotPixelCalibration.echoRadius
        if Swift.abs(x - defectX) <= radius && Swift.abs(y - defectY) <= radius { return true }
        return echoTiles(around: defectX).contains(x) && echoTiles(around: defectY).contains(y)
    }

    /// The coordinates (along one axis) of the JPEG tiles a ±1-pixel footprint at `centre` touches, widened by
    /// the chroma upsampling's reach.
    static func echoTiles(around centre: Int) -> ClosedRange<Int> {
        let tile = HotPixelCalibration.echoTile, margin = HotPixelCalibration.echoTileMargin
        let first = Swift.max(centre - 1, 0) / tile * tile
        let last = ((centre + 1) / tile + 1) * tile - 1
        return (first - margin)...(last + margin)
    }
}
