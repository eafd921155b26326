/// The lines of a run's trace (a reference, so that recording does not need a mutable simulation).
final class TraceLog {
    var lines: [String] = []
}
