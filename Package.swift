// swift-tools-version: 6.2
import PackageDescription

// Dependency versions are the ones the local package mirror serves (see docs/ARCHITECTURE.md, "Third-party dependencies").
let package = Package(
    name: "pgraft",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pgraftd", targets: ["pgraftd"]),
        .executable(name: "pgraftctl", targets: ["pgraftctl"]),
        .executable(name: "pgraft-exec", targets: ["pgraft-exec"]),
        .executable(name: "pgraft-bench", targets: ["pgraft-bench"]),
        .executable(name: "pgraft-sim", targets: ["pgraft-sim"]),
        .executable(name: "pgraft-fuzz", targets: ["pgraft-fuzz"]),
        .executable(name: "pgraft-transport", targets: ["pgraft-transport"]),
        .executable(name: "pgraft-consensus", targets: ["pgraft-consensus"]),
        .executable(name: "pgraft-storage", targets: ["pgraft-storage"]),
        .executable(name: "pgraft-bridge", targets: ["pgraft-bridge"]),
        .executable(name: "pgraft-api", targets: ["pgraft-api"]),
        .library(name: "PGRaftKit", targets: ["PGRaftKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // HMAC-SHA256 for the cluster secret's challenge-response at the peer handshake.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // TLS for the peer port and the HTTP API, and the certificates pgraftctl cert makes.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // Counts malloc calls for `pgraft-bench raft` (loaded with LD_PRELOAD).
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
    ],
    targets: [
        // The one byte codec of every format pgraft defines (messages, frames, protocols, records):
        // the standard library only.
        .target(name: "PGRaftBytes"),
        // The Raft algorithm: the standard library and the byte codec only.
        .target(name: "RaftCore", dependencies: ["PGRaftBytes"]),
        // The replicated state machine the log drives: key-value store, command log, membership
        // addresses, the PostgreSQL topology.
        .target(name: "PGRaftStateMachine", dependencies: ["RaftCore", "PGRaftBytes"]),
        // The requests consensus serves and their answers (operations, results, metrics): value types
        // the api, pgraftctl and the client protocol share without linking the node's logic.
        .target(name: "PGRaftClient"),
        // One node's logic with no I/O and no clock (NodeMachine), serving PGRaftClient's requests:
        // what pgraft-consensus executes in production and pgraft-sim runs for every simulated node.
        .target(name: "PGRaftNode", dependencies: ["RaftCore", "PGRaftStateMachine", "PGRaftClient", "PGRaftBytes"]),
        // The failover decisions (the bridge core): what to do with the local PostgreSQL given the
        // node's view of the cluster. The standard library only; plugins/bridge and the simulator run it.
        .target(name: "PGRaftBridge"),
        // Performs the PostgreSQL operations the bridge core decides (initdb, configuration, start, stop,
        // promote, base backup, rewind, slots, observation) with PostgreSQL's own tools and libpq.
        .target(
            name: "PGRaftPostgres",
            dependencies: ["PGRaftBridge", "CLibPQ", .product(name: "Logging", package: "swift-log")]
        ),
        // Deterministic cluster simulator over NodeMachine: virtual clock, simulated network and storage, safety checkers.
        .target(name: "RaftSim", dependencies: ["RaftCore", "PGRaftStateMachine", "PGRaftNode", "PGRaftClient", "PGRaftBridge"]),
        .executableTarget(name: "pgraft-sim", dependencies: ["RaftSim", "RaftCore", "PGRaftNode", "PGRaftBridge"]),
        // Golden scenario scripts for the test targets that walk testdata/*.txt: the format, its
        // refresh (RAFT_REWRITE=1) and the printed form of a Raft message.
        .target(name: "GoldenScripts", dependencies: ["RaftCore"]),
        // Small C helpers Swift cannot express directly (variadic prctl, robust mutexes, atomics in shared memory).
        .target(name: "CShims"),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // libyaml's parser, which the configuration reader composes its node tree from.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // PGRaftBridge for the types of the PostgreSQL status section the bridge publishes (role, WAL positions).
        .target(
            name: "PGRaftKit",
            dependencies: [
                // PGRaftBridge (the standard library only) for the postgres section's vocabulary and the
                // bridge's published status; PGRaftPostgres would link libpq into every process.
                "CShims", "CYAML", "PGRaftClient", "PGRaftBytes", "PGRaftBridge",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // TLS: contexts from the configured files (reloaded when they change), the identity a
        // certificate names, and the small certificate authority of `pgraftctl cert`.
        .target(
            name: "PGRaftTLS",
            dependencies: [
                "PGRaftKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "PGRaftSupervisor",
            dependencies: [
                "PGRaftKit", "CShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "pgraftd",
            dependencies: [
                "PGRaftSupervisor", "PGRaftKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The exec shim pgraftd starts components through: parent-death signal, then execvp.
        .executableTarget(name: "pgraft-exec"),
        .executableTarget(
            name: "pgraftctl",
            dependencies: [
                "PGRaftKit", "PGRaftAPI", "PGRaftCLI", "PGRaftTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The pure parts of pgraft-bench (percentiles; the PostgreSQL failover trial's node options, round
        // bookkeeping and report): the standard library only, tested in BenchCoreTests.
        .target(name: "PGRaftBenchCore"),
        // Helpers shared by the end-to-end tests and the benchmarks: throwaway nodes, free ports.
        .target(name: "PGRaftTestSupport", dependencies: ["PGRaftKit", "PGRaftClient", "PGRaftStorageProtocol", "PGRaftPostgres", "CShims", "RaftCore", "RaftSim"]),
        .executableTarget(
            name: "pgraft-bench",
            dependencies: [
                "PGRaftKit", "PGRaftTestSupport", "PGRaftStorage", "PGRaftStorageProtocol", "RaftSim", "PGRaftBenchCore", "PGRaftPostgres",
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer harnesses of every decoder of untrusted bytes (contrib/fuzz builds them with
        // -sanitize=fuzzer); built plainly, it replays the committed corpus (Tests/FuzzCorpus).
        .executableTarget(
            name: "pgraft-fuzz",
            dependencies: [
                "PGRaftKit", "PGRaftBytes", "RaftCore", "PGRaftStorage", "PGRaftStorageProtocol", "PGRaftStateMachine", "PGRaftAPI",
                "PGRaftBridge",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "pgraft-transport",
            dependencies: [
                "PGRaftKit", "PGRaftBytes", "CShims", "PGRaftTLS",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "plugins/transport"
        ),
        .executableTarget(
            name: "pgraft-consensus",
            dependencies: [
                "PGRaftKit", "PGRaftBytes", "RaftCore", "PGRaftStateMachine", "PGRaftNode", "PGRaftClient", "PGRaftStorageProtocol", "CShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "plugins/consensus"
        ),
        // The storage protocol's messages (what consensus asks of storage and what storage replies), which
        // both ends import so that pgraft-consensus does not link the log engine.
        .target(name: "PGRaftStorageProtocol", dependencies: ["PGRaftKit", "RaftCore", "PGRaftBytes"]),
        // The durable Raft log: segment files, group commit, recovery, and the storage side of its protocol.
        .target(
            name: "PGRaftStorage",
            dependencies: ["PGRaftStorageProtocol", "PGRaftKit", "PGRaftBytes", "RaftCore", "CShims", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "pgraft-storage",
            dependencies: ["PGRaftKit", "PGRaftStorage", "PGRaftStorageProtocol", .product(name: "Logging", package: "swift-log")],
            path: "plugins/storage",
            exclude: ["FORMAT.md"]
        ),
        .executableTarget(
            name: "pgraft-bridge",
            dependencies: ["PGRaftKit", "PGRaftBridge", "PGRaftPostgres", "PGRaftClient", "CShims", .product(name: "Logging", package: "swift-log")],
            path: "plugins/bridge"
        ),
        // The api's logic (routes, the client of consensus.sock, JSON and metrics rendering), kept out
        // of the executable so tests can drive it over real HTTP.
        .target(
            name: "PGRaftAPI",
            dependencies: [
                "PGRaftKit", "PGRaftClient", "PGRaftBridge", "CShims",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "pgraft-api",
            dependencies: [
                "PGRaftKit", "PGRaftAPI", "PGRaftTLS",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "plugins/api"
        ),
        // What pgraftctl's cluster, kv and log commands need that is worth testing: argument checks,
        // the command-queue wait, output formatting.
        .target(
            name: "PGRaftCLI",
            dependencies: [
                "PGRaftKit", "PGRaftClient", "PGRaftAPI", "CShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        .testTarget(name: "RaftCoreTests", dependencies: ["RaftCore", "RaftSim", "PGRaftNode", "PGRaftBridge", "GoldenScripts"], exclude: ["testdata"]),
        .testTarget(name: "StateMachineTests", dependencies: ["RaftCore", "PGRaftStateMachine"]),
        .testTarget(name: "BridgeTests", dependencies: ["PGRaftBridge"]),
        .testTarget(name: "BenchCoreTests", dependencies: ["PGRaftBenchCore"]),
        .testTarget(
            name: "NodeMachineTests", dependencies: ["RaftCore", "PGRaftStateMachine", "PGRaftNode", "PGRaftClient", "GoldenScripts"], exclude: ["testdata"]),
        .testTarget(
            name: "PGRaftKitTests", dependencies: ["PGRaftKit", "PGRaftBytes", "PGRaftClient", "PGRaftBridge", "CShims", "PGRaftTestSupport", "PGRaftTLS"]),
        .testTarget(
            name: "StorageTests",
            dependencies: ["PGRaftStorage", "PGRaftStorageProtocol", "PGRaftKit", "PGRaftBytes", "PGRaftTestSupport", "RaftCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "SupervisorTests", dependencies: ["PGRaftSupervisor", "PGRaftKit"]),
        .testTarget(
            name: "APITests",
            dependencies: [
                "PGRaftAPI", "PGRaftClient", "PGRaftCLI", "PGRaftKit", "PGRaftBridge", "PGRaftTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "CLITests", dependencies: ["PGRaftCLI", "PGRaftAPI", "PGRaftKit", "PGRaftBridge", "PGRaftTestSupport"]),
        .testTarget(name: "PostgresTests", dependencies: ["PGRaftPostgres", "PGRaftBridge", "PGRaftTestSupport"]),
        // What plugins/bridge adds to the libraries: the spec of the server from the configuration.
        .testTarget(name: "BridgePluginTests", dependencies: ["pgraft-bridge", "PGRaftKit", "PGRaftPostgres"]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["PGRaftKit", "PGRaftBytes", "PGRaftTestSupport", "PGRaftPostgres", "RaftSim", "PGRaftTLS", "PGRaftCLI"]),
    ],
    swiftLanguageModes: [.v6]
)
