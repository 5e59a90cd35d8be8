#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Large working memory in transparent huge pages (2 MB) on Linux, freed with ``deallocate(_:)``.
/// A strip's summed-area table: window lookups jump between rows far apart (a 15000-pixel table row is
/// 60 KB), so every lookup can land on a different 4 KB page; huge pages keep those lookups out of
/// page-table walks. The hot-pixel state: every frame streams through all of it.
@usableFromInline enum TableMemory {
    @usableFromInline static func allocate<Element>(_ type: Element.Type, count: Int) -> UnsafeMutablePointer<Element> {
        let bytes = Swift.max(count, 1) * MemoryLayout<Element>.stride
        #if os(Linux)
        let hugePage = 2 << 20
        if bytes >= 2 * hugePage {
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

    @usableFromInline static func deallocate<Element>(_ pointer: UnsafeMutablePointer<Element>) {
        free(pointer)
    }
}
