import PGRaftKit
import Testing

@testable import PGRaftSupervisor

/// The restart policy as pure logic: time is a number the test chooses.
@Suite struct RestartTrackerTests {
    private func tracker(intensity: Int = 10) -> RestartTracker {
        RestartTracker(intensity: intensity, periodMs: 60_000, backoffInitialMs: 100, backoffMaxMs: 1_000, backoffResetMs: 10_000)
    }

    @Test func firstRestartIsImmediateThenBackoffDoublesUpToTheMaximum() {
        var t = tracker()
        var delays: [RestartDecision] = []
        for i in 0..<7 {
            delays.append(t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 50, now: Int64(i * 10)))
        }
        #expect(delays == [0, 100, 200, 400, 800, 1_000, 1_000].map { RestartDecision.restart(delayMs: $0) })
    }

    @Test func aProcessThatRanLongEnoughRestartsImmediatelyAgain() {
        var t = tracker()
        _ = t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10, now: 0)
        #expect(t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10, now: 1) == .restart(delayMs: 100))
        #expect(t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10_000, now: 2) == .restart(delayMs: 0))
    }

    @Test func backoffIsPerComponent() {
        var t = tracker()
        _ = t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10, now: 0)
        _ = t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10, now: 1)
        #expect(t.decide(component: "storage", restart: .always, exit: .failure, ranForMs: 10, now: 2) == .restart(delayMs: 0))
    }

    @Test func exceedingTheIntensityWithinThePeriodGivesUp() {
        var t = tracker(intensity: 3)
        for i in 0..<3 {
            #expect(t.decide(component: "c\(i)", restart: .always, exit: .failure, ranForMs: 10, now: Int64(i)) == .restart(delayMs: 0))
        }
        guard case .giveUp(let why) = t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10, now: 5) else {
            Issue.record("expected to give up")
            return
        }
        #expect(why.contains("restart_intensity 3"))
        #expect(why.contains("api"))
    }

    @Test func restartsOutsideTheWindowNoLongerCount() {
        var t = tracker(intensity: 2)
        _ = t.decide(component: "a", restart: .always, exit: .failure, ranForMs: 10, now: 0)
        _ = t.decide(component: "b", restart: .always, exit: .failure, ranForMs: 10, now: 1_000)
        #expect(t.restartsInWindow(now: 59_999) == 2)
        #expect(t.restartsInWindow(now: 60_000) == 1)
        #expect(t.decide(component: "c", restart: .always, exit: .failure, ranForMs: 10, now: 60_001) == .restart(delayMs: 0))
    }

    @Test func restartTypesDecideWhetherToRestart() {
        var t = tracker()
        #expect(t.decide(component: "a", restart: .never, exit: .failure, ranForMs: 10, now: 0) == .leaveStopped)
        #expect(t.decide(component: "a", restart: .onFailure, exit: .clean, ranForMs: 10, now: 0) == .leaveStopped)
        #expect(t.decide(component: "a", restart: .onFailure, exit: .failure, ranForMs: 10, now: 0) == .restart(delayMs: 0))
        #expect(t.decide(component: "b", restart: .always, exit: .clean, ranForMs: 10, now: 0) == .restart(delayMs: 0))
    }

    @Test func leavingStoppedDoesNotCountTowardsTheIntensity() {
        var t = tracker(intensity: 1)
        for _ in 0..<5 { _ = t.decide(component: "a", restart: .never, exit: .failure, ranForMs: 10, now: 0) }
        #expect(t.restartsInWindow(now: 0) == 0)
    }

    @Test func aPermanentFailureIsLeftFailedWhateverTheRestartTypeAndCountsForNothing() {
        var t = tracker(intensity: 1)
        for restart in [RestartType.always, .onFailure, .never] {
            #expect(t.decide(component: "storage", restart: restart, exit: .permanent, ranForMs: 10, now: 0) == .leaveFailed)
        }
        #expect(t.restartsInWindow(now: 0) == 0)
        #expect(t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10, now: 0) == .restart(delayMs: 0))
    }

    @Test func anOperatorResetForgetsTheBackoff() {
        var t = tracker()
        _ = t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10, now: 0)
        _ = t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10, now: 1)
        t.reset(component: "api")
        #expect(t.decide(component: "api", restart: .always, exit: .failure, ranForMs: 10, now: 2) == .restart(delayMs: 0))
    }
}
