import CShims
import Dispatch
import Foundation
import Logging

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What a component's body receives: its configuration, its slot in the segment, a logger.
public struct ComponentContext: Sendable {
    /// The component's name.
    public let name: String
    /// The configuration the supervisor validated.
    public let config: NodeConfig
    /// The node's shared segment, or nil when the component runs by hand.
    public let segment: SharedSegment?
    /// This component's slot index in the segment.
    public let slot: Int?
    /// The component's logger.
    public let logger: Logger

    /// Tells the supervisor this component is ready: its slot's ready pid becomes this process's pid.
    ///
    /// - Important: Call it only once the component does its job (its port bound, its lock taken):
    ///   the supervisor starts the next component, and reports RUNNING, from this moment.
    public func markReady() {
        if let segment, let slot {
            segment.componentSlot(at: slot).readyPid = getpid()
        }
        logger.info("ready", metadata: ["pid": "\(getpid())"])
    }

    /// Suspends until the component is told to stop (SIGTERM), then returns.
    public func waitForShutdown() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}

/// An error a component's body may throw that says whether starting the component again could help.
public protocol ComponentFailure: Error {
    /// True when a new process would meet the same failure (its data on disk is damaged): the
    /// component then exits with `ComponentRuntime.permanentFailure` and the supervisor leaves it
    /// FAILED for the operator instead of restarting it for ever.
    var isPermanent: Bool { get }
}

/// Runs a component process under the plugin contract: orphan protection, configuration,
/// segment attachment, heartbeat, SIGTERM handling and exit codes.
public enum ComponentRuntime {
    /// Exit code for a configuration or contract error (the supervisor's restart policy applies).
    public static let configurationFailure: Int32 = 78
    /// Exit code for a failure no restart can repair (sysexits' EX_DATAERR): the supervisor does
    /// not restart the component and shows it FAILED until an operator restarts it. Plugins may
    /// use it too.
    public static let permanentFailure: Int32 = 65

    /// Runs `body` as component `name` and exits the process: 0 after a clean stop, 1 when `body`
    /// throws, `permanentFailure` when it throws a permanent `ComponentFailure`.
    ///
    /// `body` must return promptly once its task is cancelled (SIGTERM cancels it).
    public static func main(name: String, _ body: @escaping @Sendable (ComponentContext) async throws -> Void) async
        -> Never
    {
        let arguments = CommandLine.arguments
        guard
            let environment = ComponentEnvironment.from(
                environment: ProcessInfo.processInfo.environment, arguments: arguments, defaultComponent: name)
        else {
            fail("pgraft-\(name): no configuration: run me under pgraftd, or give --config FILE")
        }
        if let supervisorPid = environment.supervisorPid {
            _ = pgr_set_parent_death_signal(SIGTERM)
            if getppid() != supervisorPid { fail("pgraft-\(name): supervisor \(supervisorPid) is gone; exiting") }
        }
        let config: NodeConfig
        do {
            config = try NodeConfig.load(path: environment.configPath)
        } catch {
            fail("pgraft-\(name): invalid configuration:\n\(error)")
        }
        let logger = PGRaftLogHandler.bootstrap(label: environment.component, debug: config.debugEnabled)
        var segment: SharedSegment?
        if let segmentName = environment.segmentName {
            do {
                segment = try SharedSegment.attach(name: segmentName)
            } catch {
                logger.critical("cannot attach the shared segment: \(error)")
                exit(configurationFailure)
            }
        }
        let context = ComponentContext(
            name: environment.component, config: config, segment: segment, slot: environment.slot, logger: logger)

        let work = Task {
            try await body(context)
        }
        let signals = installStopSignals(logger: logger) { work.cancel() }
        let heartbeat = startHeartbeat(context: context)
        let code: Int32
        do {
            try await work.value
            code = 0
        } catch is CancellationError {
            code = 0
        } catch let failure as any ComponentFailure where failure.isPermanent {
            logger.critical("stopped: \(failure)")
            logger.critical("a restart cannot repair this: the component stays FAILED until the operator restarts it")
            code = permanentFailure
        } catch {
            logger.error("stopped: \(error)")
            code = 1
        }
        heartbeat.cancel()
        withExtendedLifetime(signals) {}
        if code == 0 { logger.info("stopped") }
        exit(code)
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(configurationFailure)
    }

    private static func installStopSignals(logger: Logger, onStop: @escaping @Sendable () -> Void)
        -> [DispatchSourceSignal]
    {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                logger.info("stopping on signal \(number)")
                onStop()
            }
            source.resume()
            return source
        }
    }

    private static func startHeartbeat(context: ComponentContext) -> Task<Void, Never> {
        let period = Duration.milliseconds(context.config.healthPeriodMs)
        return Task.detached {
            guard let segment = context.segment, let slot = context.slot else { return }
            let componentSlot = segment.componentSlot(at: slot)
            while !Task.isCancelled {
                componentSlot.beat()
                try? await Task.sleep(for: period)
            }
        }
    }
}
