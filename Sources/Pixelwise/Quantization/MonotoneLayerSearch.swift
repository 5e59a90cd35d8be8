/// How ``SplitTables`` finds the row minima of a DP layer. Both give the leftmost minimum of every row
/// of a totally monotone matrix; the divide-and-conquer search stays as the reference of the tests.
enum LayerSearch: Sendable {
    /// SMAWK (Aggarwal, Klawe, Moran, Shor, Wilber 1987) in blocks: O(n) candidate splits per layer.
    case smawk
    /// Coarse-to-fine divide and conquer over monotone split points: O(n log n) per layer.
    case divideAndConquer
}

/// One layer of the 1-D k-means DP solved by SMAWK: for every prefix length `i` in `k...n`,
/// `D[k][i] = min over j < i of D[k−1][j] + cost(j..<i)` and the leftmost `j` attaining it.
///
/// The matrix `A[i][j] = D[k−1][j] + cost(j..<i)` (+∞ for `j ≥ i`) is Monge because the run cost
/// satisfies the quadrangle inequality (Grønlund et al. 2017; Ckmeans.1d.dp uses SMAWK the same way),
/// so the leftmost row minima are non-decreasing and SMAWK finds them all with O(rows + columns)
/// evaluations: REDUCE drops columns that hold no row's minimum until no more columns than rows remain,
/// the odd rows are solved recursively, and each even row searches only between its neighbours' minima.
///
/// Plain SMAWK over all n rows would be sequential, and its recursion would touch rows 2^t apart.
/// Instead the layer is cut into blocks of `blockRows` rows:
/// 1. the block boundary rows (every `blockRows`-th) are solved by SMAWK, with the first REDUCE over
///    all n columns split into column chunks that are reduced in parallel (REDUCE of any column subset
///    keeps every row's leftmost minimum within it, so reducing the chunks' survivors again is exact);
/// 2. every block's interior rows lie between two solved rows, so their minima lie between those rows'
///    minima: each block is an independent SMAWK over its rows and that column range, run in parallel,
///    with scratch of O(blockRows) indices per worker (in cache) — no n-sized buffer is allocated.
///
/// Ties: every comparison keeps the left column on equality, so (in exact arithmetic) each row gets its
/// leftmost minimum — the same split the divide-and-conquer search returns.
struct MonotoneLayerSearch<W: RunWeights>: @unchecked Sendable {
    let prefix: PrefixSums
    let weights: W
    /// `D[k−1][j]` for `j` in `0...n`.
    let previous: UnsafePointer<Double>
    /// Receives `D[k][i]` for `i` in `k...n`.
    let current: UnsafeMutablePointer<Double>
    /// Receives the best split of every `i` in `k...n`.
    let split: UnsafeMutablePointer<UInt32>
    /// The layer: `k` clusters.
    let k: Int

    /// Fills the layer. `blockRows` and `minimumChunkColumns` only change how the work is cut (tests
    /// make them tiny to exercise every path on small inputs); the result does not depend on them.
    func fill(blockRows: Int = 8192, minimumChunkColumns: Int = 1 << 18) {
        let n = prefix.count
        precondition(k >= 2 && k <= n && blockRows >= 2)
        // Boundary rows k, k + B, k + 2B, …; the last row n is added below when it is not one of them.
        let boundaries = RowProgression(first: k, stride: blockRows, count: (n - k) / blockRows + 1)
        solveBoundaryRows(boundaries, minimumChunkColumns: minimumChunkColumns)
        let lastBoundary = boundaries[boundaries.count - 1]
        if lastBoundary < n {
            // Its minimum lies at or after the last boundary row's: one scan of at most ~B columns.
            let first = Int(split[lastBoundary])
            searchRow(n, columns: ColumnRange(first: first, count: n - first), from: 0, through: n - 1)
        }
        let blockCount = boundaries.count - 1 + (lastBoundary < n ? 1 : 0)
        guard blockCount > 0 else { return }
        let search = self
        Parallel.forEachChunk(count: blockCount, minimumChunk: Swift.max(1, (1 << 14) / blockRows)) { blocks in
            let scratch = Scratch(rows: blockRows)
            defer { scratch.deallocate() }
            for block in blocks {
                let top = boundaries[block]
                let bottom = block + 1 < boundaries.count ? boundaries[block + 1] : n
                guard bottom - top > 1 else { continue }
                let first = Int(search.split[top]), last = Int(search.split[bottom])
                search.solve(rows: RowProgression(first: top + 1, stride: 1, count: bottom - top - 1),
                             columns: ColumnRange(first: first, count: last - first + 1), scratch: scratch.base)
            }
        }
    }

    /// The boundary rows over every column `k−1..<n`: chunks of columns reduced in parallel, then SMAWK
    /// over the survivors.
    private func solveBoundaryRows(_ rows: RowProgression, minimumChunkColumns: Int) {
        let n = prefix.count
        let columns = ColumnRange(first: k - 1, count: n - k + 1)
        let search = self
        let survivors: [[UInt32]] = Parallel.mapChunks(count: columns.count, minimumChunk: minimumChunkColumns) { chunk in
            let scratch = Scratch(rows: rows.count)
            defer { scratch.deallocate() }
            let part = ColumnRange(first: columns.first + chunk.lowerBound, count: chunk.count)
            let kept = search.reduce(rows: rows, columns: part, into: scratch.base.columns, values: scratch.base.values)
            return Array(UnsafeBufferPointer(start: scratch.base.columns, count: kept))
        }
        var merged = [UInt32]()
        merged.reserveCapacity(survivors.reduce(0) { $0 + $1.count })
        for part in survivors { merged += part }
        let scratch = Scratch(rows: rows.count)
        defer { scratch.deallocate() }
        merged.withUnsafeBufferPointer { list in
            solve(rows: rows, columns: ColumnArray(base: list.baseAddress!, count: list.count), scratch: scratch.base)
        }
    }

    /// SMAWK: the leftmost minimum of every row in `rows` among `columns` (ascending), written to
    /// `current` and `split`.
    func solve<C: ColumnList>(rows: RowProgression, columns: C, scratch: ScratchPointers) {
        guard rows.count > 0 else { return }
        if columns.count > rows.count {
            let kept = reduce(rows: rows, columns: columns, into: scratch.columns, values: scratch.values)
            let reduced = ColumnArray(base: scratch.columns, count: kept)
            solveReduced(rows: rows, columns: reduced, scratch: scratch.advanced(by: kept))
        } else {
            solveReduced(rows: rows, columns: columns, scratch: scratch)
        }
    }

    /// The odd rows recursively, then each even row between the minima of its neighbours.
    private func solveReduced<C: ColumnList>(rows: RowProgression, columns: C, scratch: ScratchPointers) {
        if rows.count > 1 { solve(rows: rows.odd, columns: columns, scratch: scratch) }
        var start = 0
        var t = 0
        while t < rows.count {
            let through = t + 1 < rows.count ? Int(split[rows[t + 1]]) : columns[columns.count - 1]
            // The odd rows' minima come from `columns`, so `through` is in it: the next even row starts there.
            start = searchRow(rows[t], columns: columns, from: start, through: through)
            t += 2
        }
    }

    /// The leftmost minimum of row `i` over `columns[from...]` up to the column `through`; returns the
    /// position of the last column examined.
    @discardableResult @inline(__always)
    private func searchRow<C: ColumnList>(_ i: Int, columns: C, from: Int, through: Int) -> Int {
        // Locals, not fields of `self`: the compiler keeps them in registers instead of reloading them
        // after every store through a pointer.
        let prefix = self.prefix, weights = self.weights, previous = self.previous
        var best = Double.infinity
        var bestColumn = columns[from]
        var q = from
        while q < columns.count {
            let j = columns[q]
            if j > through { break }
            // A[i][j], +∞ where the last cluster would be empty.
            let candidate = j < i ? previous[j] + prefix.cost(j, i, weights) : .infinity
            if candidate < best {
                best = candidate
                bestColumn = j
            }
            q &+= 1
        }
        current[i] = best
        split[i] = UInt32(truncatingIfNeeded: bestColumn)
        return q - 1
    }

    /// SMAWK's REDUCE: keeps at most `rows.count` of `columns`, dropping only columns that hold no
    /// row's leftmost minimum. The kept column at stack position p is compared in row p only, so its
    /// value there is computed once, when it is pushed (`values[p]`). Returns how many were kept.
    func reduce<C: ColumnList>(rows: RowProgression, columns: C, into kept: UnsafeMutablePointer<UInt32>,
                               values: UnsafeMutablePointer<Double>) -> Int {
        let prefix = self.prefix, weights = self.weights, previous = self.previous  // in registers, as above
        var top = -1
        let capacity = rows.count
        var q = 0
        while q < columns.count {
            let j = columns[q]
            while top >= 0 {
                let i = rows[top]
                // Where j ≥ i the new column is +∞ and the stack top (finite, or +∞ and to the left) wins.
                if j >= i || values[top] <= previous[j] + prefix.cost(j, i, weights) { break }
                top &-= 1
            }
            if top &+ 1 < capacity {
                top &+= 1
                kept[top] = UInt32(truncatingIfNeeded: j)
                let i = rows[top]
                values[top] = j < i ? previous[j] + prefix.cost(j, i, weights) : .infinity
            }
            q &+= 1
        }
        return top + 1
    }
}

/// Rows `first + t·stride` for `t` in `0..<count`: SMAWK's odd rows of a progression are a progression.
struct RowProgression {
    let first: Int
    let stride: Int
    let count: Int
    @inline(__always) subscript(t: Int) -> Int { first &+ t &* stride }
    /// Rows 1, 3, 5, … of these.
    var odd: RowProgression { RowProgression(first: first + stride, stride: 2 * stride, count: count / 2) }
}

/// An ascending list of column indices.
protocol ColumnList {
    var count: Int { get }
    subscript(q: Int) -> Int { get }
}

/// Consecutive columns, never materialised (a block's or a chunk's column range).
struct ColumnRange: ColumnList {
    let first: Int
    let count: Int
    @inline(__always) subscript(q: Int) -> Int { first &+ q }
}

/// Columns kept by a REDUCE.
struct ColumnArray: ColumnList {
    let base: UnsafePointer<UInt32>
    let count: Int
    @inline(__always) subscript(q: Int) -> Int { Int(base[q]) }
}

/// Where SMAWK's levels put their reduced column lists (each level's list is no longer than its rows,
/// and rows halve per level, so 2·rows + depth entries suffice) and REDUCE's per-position values.
/// Column indices are 32-bit, like the split tables (n < 2³²).
struct ScratchPointers {
    let columns: UnsafeMutablePointer<UInt32>
    let values: UnsafeMutablePointer<Double>
    /// The part after a level's list; REDUCE's values are dead once it returns, so they are shared.
    func advanced(by kept: Int) -> ScratchPointers { ScratchPointers(columns: columns + kept, values: values) }
}

/// Owns one worker's scratch for SMAWK over at most `rows` rows.
struct Scratch {
    let base: ScratchPointers
    init(rows: Int) {
        base = ScratchPointers(columns: .allocate(capacity: 2 * rows + 64), values: .allocate(capacity: rows + 1))
    }
    func deallocate() {
        base.columns.deallocate()
        base.values.deallocate()
    }
}
