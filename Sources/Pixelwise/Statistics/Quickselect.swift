/// Order statistics of a buffer of floats without sorting it: quickselect (Hoare partition, middle pivot).
/// Used by the hot-pixel detector's typical spreads and the regional scale's block statistics.
enum Quickselect {
    /// Median of `count` values (reorders them): the mean of the two middle ones for an even count.
    static func median(_ values: UnsafeMutablePointer<Float>, count: Int) -> Float {
        guard count > 0 else { return 0 }
        let upper = select(values, count: count, rank: count / 2)
        if count % 2 == 1 { return upper }
        // After selecting rank count/2, everything before it is ≤ it: the lower middle is their maximum.
        var lower = values[0]
        for i in 1..<(count / 2) { lower = Swift.max(lower, values[i]) }
        return 0.5 * (lower + upper)
    }

    /// The value of rank `rank` (0-based) among `count` values, by quickselect (Hoare partition, middle pivot).
    static func select(_ values: UnsafeMutablePointer<Float>, count: Int, rank: Int) -> Float {
        var low = 0, high = count - 1
        while low < high {
            let pivot = values[low + (high - low) / 2]
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    let swapped = values[i]
                    values[i] = values[j]
                    values[j] = swapped
                    i += 1
                    j -= 1
                }
            }
            if rank <= j { high = j } else if rank >= i { low = i } else { break }
        }
        return values[rank]
    }
}
