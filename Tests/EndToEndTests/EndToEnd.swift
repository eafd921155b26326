import Testing

/// Every end-to-end suite runs inside this one, one test at a time: they start real processes with
/// real timers (watchdog, restarts), and running them in parallel on a small machine would test the
/// machine's load, not pgraft.
@Suite(.serialized) enum EndToEnd {}
