import Dispatch
import Synchronization

/// The one place that splits work across cores. Kernels hand it a range of independent items (rows,
/// tiles, points) and a body that processes a contiguous chunk; it runs chunks on every core.
public enum Parallel {
    /// The default number of worker threads: the active processor count, or `PIXELWISE_THREADS` if set.
    public static let defaultCoreCount: Int = {
        if let text = getEnvironment("PIXELWISE_THREADS"), let n = Int(text), n > 0 { return n }
        return ProcessInfoLite.activeProcessorCount
    }()

    /// A count set by ``setCoreCount(_:)`` (0: none). Atomic: Python threads may set it while others run.
    private static let coreCountOverride = Atomic<Int>(0)

    /// Number of worker threads used: ``defaultCoreCount``, or what ``setCoreCount(_:)`` set.
    public static var coreCount: Int {
        let set = coreCountOverride.load(ordering: .relaxed)
        return set > 0 ? set : defaultCoreCount
    }

    /// Sets the number of worker threads for the calls that start from now on (`n` ≥ 1), or restores the
    /// default (`n` == 0). Work already running keeps the count it started with.
    public static func setCoreCount(_ n: Int) {
        precondition(n >= 0, "negative thread count")
        coreCountOverride.store(n, ordering: .relaxed)
    }

    /// Runs `body` over `0..<count` split into contiguous chunks of at least `minimumChunk` items,
    /// a few chunks per core so that uneven work balances. Returns when every chunk is done.
    public static func forEachChunk(count: Int, minimumChunk: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let cores = coreCount
        let chunkCount = Swift.max(1, Swift.min(cores * 4, count / Swift.max(minimumChunk, 1)))
        if chunkCount == 1 || cores == 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let start = count * chunk / chunkCount
            let end = count * (chunk + 1) / chunkCount
            if start < end { body(start..<end) }
        }
    }

    /// Maps each chunk to a partial result and returns the partials in chunk order (for reductions).
    public static func mapChunks<T: Sendable>(count: Int, minimumChunk: Int = 1,
                                             _ body: @Sendable (Range<Int>) -> T) -> [T] {
        guard count > 0 else { return [] }
        let cores = coreCount
        let chunkCount = Swift.max(1, Swift.min(cores * 4, count / Swift.max(minimumChunk, 1)))
        let results = ResultSlots<T>(count: chunkCount)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let start = count * chunk / chunkCount
            let end = count * (chunk + 1) / chunkCount
            results.store(body(start..<end), at: chunk)
        }
        return results.values
    }
}

/// Write-once slots filled from different threads, each slot by exactly one writer.
///
/// Raw memory, not an `Array`: every writer's `withUnsafeMutableBufferPointer` on a shared array property was
/// a mutating access of the whole array, so a writer could find the buffer not uniquely referenced (another
/// thread holding it for a moment), copy it and store into the copy, losing the other writers' results (a
/// debug test run of the SMAWK layer search crashed on such a lost slot).
private final class ResultSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<T?>
    private let count: Int
    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }
    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }
    func store(_ value: T, at index: Int) { slots[index] = value }
    var values: [T] { (0..<count).map { slots[$0]! } }
}
