/// What a summed-area table holds: wrapping unsigned integers for integer images, `Double` for float images.
///
/// Integer tables may overflow: every window sum is computed with wrapping arithmetic, and is exact as long
/// as the true window sum fits the type (modular arithmetic). ``VariableBlur`` picks `UInt32` when the largest
/// possible window sum fits 32 bits, `UInt64` otherwise (any 64-bit-addressable image of 16-bit samples).
public protocol SummedAreaElement: BitwiseCopyable, Sendable {
    static var zero: Self { get }
    /// The sample as a table value (exact). A static function rather than an initialiser: a public
    /// `init(sample:)` on `Double` made every `map(Double.init)` in client code ambiguous.
    static func tableValue<S: PixelSample>(of sample: S) -> Self
    static func plus(_ a: Self, _ b: Self) -> Self
    static func minus(_ a: Self, _ b: Self) -> Self
    var asDouble: Double { get }
}

extension UInt32: SummedAreaElement {
    @inlinable public static func tableValue<S: PixelSample>(of sample: S) -> UInt32 {
        if S.self == UInt8.self { return UInt32(unsafeBitCast(sample, to: UInt8.self)) }
        if S.self == UInt16.self { return UInt32(unsafeBitCast(sample, to: UInt16.self)) }
        preconditionFailure("integer table for a float image")
    }
    @inlinable @inline(__always) public static func plus(_ a: UInt32, _ b: UInt32) -> UInt32 { a &+ b }
    @inlinable @inline(__always) public static func minus(_ a: UInt32, _ b: UInt32) -> UInt32 { a &- b }
    @inlinable @inline(__always) public var asDouble: Double { Double(self) }
}

extension UInt64: SummedAreaElement {
    @inlinable public static func tableValue<S: PixelSample>(of sample: S) -> UInt64 {
        if S.self == UInt8.self { return UInt64(unsafeBitCast(sample, to: UInt8.self)) }
        if S.self == UInt16.self { return UInt64(unsafeBitCast(sample, to: UInt16.self)) }
        preconditionFailure("integer table for a float image")
    }
    @inlinable @inline(__always) public static func plus(_ a: UInt64, _ b: UInt64) -> UInt64 { a &+ b }
    @inlinable @inline(__always) public static func minus(_ a: UInt64, _ b: UInt64) -> UInt64 { a &- b }
    @inlinable @inline(__always) public var asDouble: Double { Double(self) }
}

extension Double: SummedAreaElement {
    @inlinable public static func tableValue<S: PixelSample>(of sample: S) -> Double { sample.doubleValue }
    @inlinable @inline(__always) public static func plus(_ a: Double, _ b: Double) -> Double { a + b }
    @inlinable @inline(__always) public static func minus(_ a: Double, _ b: Double) -> Double { a - b }
    @inlinable @inline(__always) public var asDouble: Double { self }
}

/// A horizontal strip of an image's summed-area table: rows `firstRow...lastRow` of the table
/// T(i, j) = Σ samples in image rows `firstRow..<i`, columns `0..<j` (per channel, interleaved like the image).
///
/// Sums start at `firstRow` rather than row 0: the offset cancels in every window sum whose top edge is at or
/// below `firstRow`, and it keeps float tables small (less cancellation).
@usableFromInline struct SummedAreaStrip<Element: SummedAreaElement>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Element>
    @usableFromInline let firstRow: Int
    @usableFromInline let rowCount: Int
    /// Elements per table row: `(width + 1) * channels`.
    @usableFromInline let rowLength: Int

    /// Allocates room for `capacityRows` table rows of an image `width` wide.
    @usableFromInline init(capacityRows: Int, width: Int, channels: Int) {
        rowLength = (width + 1) * channels
        base = .allocate(capacity: capacityRows * rowLength)
        firstRow = 0
        rowCount = capacityRows
    }

    @usableFromInline init(base: UnsafeMutablePointer<Element>, firstRow: Int, rowCount: Int, rowLength: Int) {
        self.base = base
        self.firstRow = firstRow
        self.rowCount = rowCount
        self.rowLength = rowLength
    }

    @usableFromInline func deallocate() { base.deallocate() }

    /// Fills table rows for image rows `firstRow..<endRow` (table rows `firstRow...endRow`), on every core.
    @inlinable static func build<S: PixelSample>(in storage: UnsafeMutablePointer<Element>, image: ImageBuffer<S>,
                                                firstRow: Int, endRow: Int) -> SummedAreaStrip {
        let channels = image.channels, rowLength = (image.width + 1) * channels
        let rows = endRow - firstRow + 1
        let table = SummedAreaStrip(base: storage, firstRow: firstRow, rowCount: rows, rowLength: rowLength)
        let samplesPerRow = image.width * channels
        // Row prefix sums: independent rows.
        Parallel.forEachChunk(count: rows, minimumChunk: 8) { range in
            for i in range {
                let t = table.base + i * rowLength
                for k in 0..<channels { t[k] = .zero }
                guard i > 0 else { for k in channels..<rowLength { t[k] = .zero }; continue }
                let source = image.rowPointer(firstRow + i - 1)
                for k in 0..<samplesPerRow {
                    t[k + channels] = Element.plus(t[k], Element.tableValue(of: source[k]))
                }
            }
        }
        // Column accumulation: independent column ranges, walked row by row for contiguous access.
        Parallel.forEachChunk(count: rowLength, minimumChunk: 256) { columns in
            for i in 1..<Swift.max(rows, 1) {
                let above = table.base + (i - 1) * rowLength, current = table.base + i * rowLength
                for k in columns { current[k] = Element.plus(current[k], above[k]) }
            }
        }
        return table
    }

    /// Pointer to table row `i` (absolute: `firstRow ≤ i ≤ firstRow + rowCount − 1`).
    @inlinable @inline(__always) func row(_ i: Int) -> UnsafeMutablePointer<Element> {
        base + (i &- firstRow) &* rowLength
    }
}
