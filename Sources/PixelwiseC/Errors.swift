import CPixelwiseABI
import Foundation
import Pixelwise
import PixelwiseIO

/// An error raised by the ABI layer itself (a bad pointer, shape or code), with its status.
struct ABIError: Error, CustomStringConvertible {
    let status: Int32
    let description: String

    static func value(_ message: String) -> ABIError { ABIError(status: PW_ERROR_VALUE, description: message) }
    static func type(_ message: String) -> ABIError { ABIError(status: PW_ERROR_TYPE, description: message) }
}

/// Runs `body`, turning any error into a status and a one-line message in the caller's buffer. Every exported
/// function goes through this, so no Swift error crosses the ABI.
func guarded(_ errorOut: UnsafeMutablePointer<CChar>?, _ errorSize: Int, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return PW_OK
    } catch {
        let (status, message) = classify(error)
        write(message, to: errorOut, size: errorSize)
        return status
    }
}

/// The status and message for an error of any of the library's error types.
func classify(_ error: any Error) -> (Int32, String) {
    switch error {
    case let e as ABIError: return (e.status, e.description)
    case let e as ImageFileError:
        switch e {
        case .notFound: return (PW_ERROR_NOT_FOUND, e.description)
        case .tooManyPixels: return (PW_ERROR_MEMORY, e.description)
        case .unknownExtension: return (PW_ERROR_VALUE, e.description)
        default: return (PW_ERROR_IO, e.description)
        }
    case let e as BlurError: return (PW_ERROR_VALUE, e.description)
    case let e as SamplingError: return (PW_ERROR_VALUE, e.description)
    case let e as QuantizationError: return (PW_ERROR_VALUE, e.description)
    case let e as DefectCorrectionError: return (PW_ERROR_VALUE, e.description)
    case let e as HotPixelStateError: return (PW_ERROR_VALUE, e.description)
    case let e as HotPixelScanError:
        if case .noUsableFrame = e { return (PW_ERROR_IO, e.description) }
        return (PW_ERROR_VALUE, e.description)
    case let e as CustomStringConvertible: return (PW_ERROR_IO, e.description)
    default: return (PW_ERROR_INTERNAL, "internal error: \(error)")
    }
}

/// Copies `message` (one line) into `buffer`, truncated at a character boundary to fit with its NUL.
func write(_ message: String, to buffer: UnsafeMutablePointer<CChar>?, size: Int) {
    guard let buffer, size > 0 else { return }
    let line = message.replacingOccurrences(of: "\n", with: " ")
    var bytes = Array(line.utf8)
    if bytes.count > size - 1 {
        bytes.removeLast(bytes.count - (size - 1))
        // Do not cut a UTF-8 sequence in half.
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }
        if let last = bytes.last, last & 0xC0 == 0xC0 { bytes.removeLast() }
    }
    bytes.withUnsafeBufferPointer { source in
        buffer.withMemoryRebound(to: UInt8.self, capacity: size) { target in
            if let base = source.baseAddress { target.update(from: base, count: source.count) }
            target[source.count] = 0
        }
    }
}

/// A C string argument, or a value error naming it.
func string(_ pointer: UnsafePointer<CChar>?, name: String) throws -> String {
    guard let pointer else { throw ABIError.value("\(name): is NULL") }
    return String(cString: pointer)
}

/// A non-null pointer argument, or a value error naming it.
func required<T>(_ pointer: UnsafePointer<T>?, name: String) throws -> UnsafePointer<T> {
    guard let pointer else { throw ABIError.value("\(name): is NULL") }
    return pointer
}
