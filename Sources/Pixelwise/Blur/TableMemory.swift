#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Large working memory in transparent huge pages (2 MB) on Linux, freed with ``deallocate(_:)``.
/// Fresh 4 KB pages cost a fault each (on a loaded 2-core machine, 0.3–0.8 s for 94 MB of fresh memory,
/// measured); with `MADV_HUGEPAGE` the same memory took 0.05 s.
/// A strip's summed-area table: window lookups jump between rows far apart (a 15000-pixel table row is
/// 60 KB), so every lookup can land on a different 4 KB page; huge pages keep those lookups out of
/// page-table walks. The hot-pixel state: every frame streams through all of it. The streaming box mean's
/// ring of table rows (about 2 MB, read at random rows): one huge page instead of ~500 TLB entries.
public enum TableMemory {
    /// `count` elements, in huge pages when they take at least `hugePagesFrom` bytes (the rest rounded up to
    /// a whole huge page is then allocated too).
    public static func allocate<Element>(_ type: Element.Type, count: Int,
                                                    hugePagesFrom: Int = 4 << 20) -> UnsafeMutablePointer<Element> {
        let bytes = Swift.max(count, 1) * MemoryLayout<Element>.stride
        #if os(Linux)
        let hugePage = 2 << 20
        if bytes >= hugePagesFrom {
            var raw: UnsafeMutableRawPointer?
            let rounded = (bytes + hugePage - 1) / hugePage * hugePage
            if posix_memalign(&raw, hugePage, rounded) == 0, let raw {
                _ = madvise(raw, rounded, Int32(MADV_HUGEPAGE))
                return raw.bindMemory(to: Element.self, capacity: count)
            }
        }
        #endif
        return UnsafeMutableRawPointer(malloc(bytes)!).bindMemory(to: Element.self, capacity: count)
    }

    /// Frees memory from ``allocate(_:count:hugePagesFrom:)``.
    public static func deallocate<Element>(_ pointer: UnsafeMutablePointer<Element>) {
        free(pointer)
    }
}
