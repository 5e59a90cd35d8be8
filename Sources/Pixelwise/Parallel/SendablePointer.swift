/// A pointer that may cross into parallel chunks; the caller owns the memory for the duration.
public struct SendablePointer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>?
    @inlinable public init(_ pointer: UnsafeMutablePointer<T>?) { self.pointer = pointer }
}

/// A read-only pointer that may cross into parallel chunks.
public struct SendableConstPointer<T>: @unchecked Sendable {
    public let pointer: UnsafePointer<T>?
    @inlinable public init(_ pointer: UnsafePointer<T>?) { self.pointer = pointer }
}
