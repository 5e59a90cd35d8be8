/// The memory behind one or more ``Image`` values: owned heap memory, or memory owned by someone else
/// (a memory-mapped file) together with the closure that releases it.
///
/// Images share a storage when one is a view of another; ``Image`` copies on write, so sharing is never
/// visible through the `Image` API.
public final class PixelStorage<Sample: PixelSample>: @unchecked Sendable {
    /// First sample of the memory block.
    public let base: UnsafeMutablePointer<Sample>
    /// Number of samples in the block.
    public let count: Int
    /// Whether writes through `base` are allowed (false for read-only memory maps).
    public let isWritable: Bool
    @usableFromInline let release: (@Sendable () -> Void)?

    /// Allocates `count` samples on the heap, uninitialised for floats' sake of speed but zeroed if asked.
    public init(count: Int, zeroed: Bool = false) {
        precondition(count >= 0, "negative sample count")
        self.count = count
        base = .allocate(capacity: Swift.max(count, 1))
        if zeroed { base.initialize(repeating: 0, count: count) }
        isWritable = true
        release = nil
    }

    /// Adopts memory owned elsewhere, e.g. a memory map; `release` runs when the last image using it dies.
    public init(adopting base: UnsafeMutablePointer<Sample>, count: Int, isWritable: Bool,
                release: @escaping @Sendable () -> Void) {
        self.base = base
        self.count = count
        self.isWritable = isWritable
        self.release = release
    }

    deinit {
        if let release { release() } else { base.deallocate() }
    }
}
