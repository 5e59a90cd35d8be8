/// What a kernel does where its window reaches past the image's edge: one vocabulary shared by
/// sampling, blur and correction.
public enum Border: Sendable, Equatable {
    /// Only in-bounds pixels count, and weights are renormalised over them (the variable blur and the
    /// hot-pixel fix use this).
    case clip
    /// The nearest edge pixel is repeated.
    case clamp
    /// Mirror about the edge pixel's outer side (`dcb|abcd|dcb`... as scipy's "reflect").
    case reflect
    /// A constant value stands outside.
    case constant(Double)
}
