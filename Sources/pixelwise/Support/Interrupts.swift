import Foundation
import PixelwiseIO
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP stop the command at once and leave no temporary output behind; a
/// file-size limit (`ulimit -f`) becomes a write error instead of a kill.
///
/// The signals are blocked in every thread (set here, first thing in `main`, so every thread started later
/// inherits the mask) and taken by one thread in `sigwait`, which removes the registered temporary files
/// (``TemporaryFiles``) and exits with 128 + the signal's number, like a shell reports a killed command.
/// Targets are only ever replaced by `rename(2)`, so whatever the moment, each is the complete old or the
/// complete new file. SIGKILL cannot be caught: it may leave a hidden `.NAME.pixelwise-PID-N.tmp` beside a
/// target, never a damaged target.
enum Interrupts {
    static func install() {
        // Writing past RLIMIT_FSIZE raises SIGXFSZ, whose default action kills the process; ignored, the
        // write fails with EFBIG and the command reports it and removes its temporary file.
        signal(SIGXFSZ, SIG_IGN)
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, s) }
        guard pthread_sigmask(SIG_BLOCK, &set, nil) == 0 else { return }
        let watched = set
        let thread = Thread {
            var set = watched
            var received: Int32 = 0
            while sigwait(&set, &received) != 0 {}
            TemporaryFiles.removeAll()
            let name = received == SIGINT ? "interrupted" : "terminated by signal \(received)"
            let line = "pixelwise: \(name)\n"
            _ = line.withCString { write(2, $0, strlen($0)) }
            _exit(128 + received)
        }
        thread.start()
    }
}
