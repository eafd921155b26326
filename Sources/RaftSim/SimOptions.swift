import PGRaftBridge
import PGRaftNode
import RaftCore

/// What one simulation run does.
public struct SimOptions: Sendable {
    /// The seed: the run is a pure function of the options.
    public var seed: UInt64
    /// Steps of the fault phase; one step is one virtual millisecond.
    public var steps: Int
    /// Founding voters.
    public var nodes: Int
    /// Faults to inject.
    public var faults: Set<SimFault>
    /// Defects injected into every node's core (to prove the checkers can fail).
    public var defects: InjectedDefects
    /// Defects injected into every node's driver, the node machine (to prove the checkers can fail).
    public var driverDefects: DriverDefects
    /// Whether to record a human-readable event trace.
    public var trace: Bool
    /// Steps of the healed phase after the faults stop, for the liveness check.
    public var healSteps: Int
    /// Concurrent clients.
    public var clients: Int
    /// Whether every node runs a simulated PostgreSQL server driven by the bridge core.
    public var postgres: Bool
    /// Defects injected into every node's bridge core (`postgres` runs).
    public var bridgeDefects: BridgeDefects

    /// Creates options with the default heal phase and eight clients.
    public init(
        seed: UInt64, steps: Int = 10_000, nodes: Int = 3, faults: Set<SimFault> = Set(SimFault.allCases),
        defects: InjectedDefects = [], driverDefects: DriverDefects = [], trace: Bool = false, postgres: Bool = false,
        bridgeDefects: BridgeDefects = []
    ) {
        self.postgres = postgres
        self.bridgeDefects = bridgeDefects
        self.seed = seed
        self.steps = steps
        self.nodes = nodes
        self.faults = faults
        self.defects = defects
        self.driverDefects = driverDefects
        self.trace = trace
        self.healSteps = 4_000
        self.clients = 8
    }
}
