import Foundation

/// A progress line on stderr (`label: done/total, rate/s, time left`), redrawn in place at most a few
/// times a second, shown only on a terminal that understands the escape that clears a line
/// (``drawsOnStderr``), so that logs, pipes and dumb terminals get no escape sequences.
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let unit: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var done = 0
    private let lock = NSLock()

    init(_ label: String, total: Int, unit: String = "items", enabled: Bool = ProgressLine.drawsOnStderr) {
        self.label = label
        self.total = total
        self.unit = unit
        self.enabled = enabled
    }

    /// Records `count` more items done; thread-safe.
    func advance(by count: Int = 1) {
        lock.lock()
        defer { lock.unlock() }
        done += count
        guard enabled else { return }
        let now = Date()
        if now.timeIntervalSince(lastDraw) >= 0.2 || done == total {
            lastDraw = now
            draw(now: now)
        }
    }

    private func draw(now: Date) {
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\(label): \(done)/\(total) \(unit)"
        if rate > 0 {
            line += String(format: ", %.1f/s", rate)
            let left = Double(total - done) / rate
            line += ", " + Self.duration(left) + " left"
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// Clears the line.
    func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// Whether the progress line may be drawn: stderr and stdout both terminals (output redirected to a log or a
    /// pipe gets no escape sequences, whichever stream it captures), and `TERM` set and not `dumb` (editors'
    /// shells and CI logs set `TERM=dumb` or none).
    static var drawsOnStderr: Bool {
        guard isatty(2) == 1, isatty(1) == 1 else { return false }
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        return !term.isEmpty && term != "dumb"
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
