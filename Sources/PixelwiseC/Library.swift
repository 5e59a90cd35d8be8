// Swift users of PixelwiseC (the fuzz target) see the header's types too.
@_exported import CPixelwiseABI
import Pixelwise
import PixelwiseIO

// The library-wide part of the C ABI: versions, threads, and the handles that carry memory the library owns.

/// The library's version.
let libraryVersion: StaticString = "0.5.0"

@_cdecl("pw_version")
public func pwVersion() -> UnsafePointer<CChar> {
    UnsafeRawPointer(libraryVersion.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("pw_abi_version")
public func pwABIVersion() -> Int32 { 1 }

@_cdecl("pw_set_threads")
public func pwSetThreads(_ n: Int64, _ error: UnsafeMutablePointer<CChar>?, _ errorSize: Int) -> Int32 {
    guarded(error, errorSize) {
        guard n >= 0 else { throw ABIError.value("threads \(n): must be at least 1 (or 0 for the default: all cores)") }
        Parallel.setCoreCount(Int(n))
    }
}

@_cdecl("pw_get_threads")
public func pwGetThreads() -> Int64 { Int64(Parallel.coreCount) }

/// A byte string handed to the caller (`pw_bytes`): JSON reports, state files. One byte more than its
/// contents, a terminating zero. Large ones (states of hundreds of MB) are in huge pages (``TableMemory``).
final class ByteString {
    let bytes: UnsafeMutableBufferPointer<UInt8>

    /// `count` bytes written by `fill`, which must initialise all of them.
    init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        bytes = UnsafeMutableBufferPointer(start: TableMemory.allocate(UInt8.self, count: count + 1), count: count + 1)
        bytes[count] = 0
        do {
            try fill(UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(bytes)[0..<count]))
        } catch {
            TableMemory.deallocate(bytes.baseAddress!)
            throw error
        }
    }

    convenience init(_ contents: some Collection<UInt8>) {
        let array = contents as? [UInt8] ?? Array(contents)
        self.init(count: array.count) { target in
            array.withUnsafeBytes { target.copyMemory(from: $0) }
        }
    }

    convenience init(_ text: String) { self.init(Array(text.utf8)) }

    deinit { TableMemory.deallocate(bytes.baseAddress!) }

    /// A +1 handle for the caller, who frees it with `pw_bytes_free`.
    func handle() -> OpaquePointer { OpaquePointer(Unmanaged.passRetained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer) -> ByteString {
        Unmanaged<ByteString>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }
}

@_cdecl("pw_bytes_data")
public func pwBytesData(_ handle: OpaquePointer?) -> UnsafePointer<UInt8>? {
    handle.map { UnsafePointer(ByteString.from($0).bytes.baseAddress!) }
}

@_cdecl("pw_bytes_size")
public func pwBytesSize(_ handle: OpaquePointer?) -> Int64 {
    handle.map { Int64(ByteString.from($0).bytes.count - 1) } ?? 0
}

@_cdecl("pw_bytes_free")
public func pwBytesFree(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<ByteString>.fromOpaque(UnsafeRawPointer(handle)).release()
}

/// Decoded pixels handed to the caller (`pw_buffer`): the image is kept alive until `pw_buffer_free`.
final class DecodedImage {
    let image: AnyImage
    init(_ image: AnyImage) { self.image = image }
}

@_cdecl("pw_buffer_free")
public func pwBufferFree(_ handle: OpaquePointer?) {
    guard let handle else { return }
    Unmanaged<DecodedImage>.fromOpaque(UnsafeRawPointer(handle)).release()
}

/// Hands `bytes` to the caller through `out` (when not NULL).
func give(_ bytes: ByteString, to out: UnsafeMutablePointer<OpaquePointer?>?) {
    out?.pointee = bytes.handle()
}
