import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A test network of real hosts on this machine: one network namespace per node, each with its own
/// address on one subnet, joined by veth pairs to a bridge in a hub namespace; faults are nftables
/// rules inside a node's namespace (a drop of what it sends to some addresses, a random share of
/// everything it sends) and its link going down. Made and removed by the test itself; needs root,
/// iproute2 and nftables.
///
/// This kernel has no `netem` queueing discipline, so delay and reordering are not emulated here.
public final class NetworkLab: @unchecked Sendable {
    /// The hub namespace holding the bridge.
    public let hub: String
    /// The nodes' namespaces; node `i` (1-based) is in `namespaces[i - 1]`.
    public let namespaces: [String]
    /// The first three octets of the subnet (`10.231.N`).
    public let subnet: String
    private var removed = false

    /// Why namespaces cannot be made here, or nil when they can: checked once by making and
    /// removing one, and one nftables table in it.
    public static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "the partition suite needs root to make network namespaces (ip netns)" }
        guard let ip = tool("ip") else { return "iproute2's ip is not installed" }
        guard let nft = tool("nft") else { return "nftables' nft is not installed (apt-get install nftables)" }
        let probe = "pgrprobe\(getpid() % 100_000)"
        defer { _ = try? CommandResult.run(ip, ["netns", "del", probe]) }
        guard let made = try? CommandResult.run(ip, ["netns", "add", probe]), made.status == 0 else {
            return "ip netns add fails here: network namespaces cannot be made"
        }
        guard let table = try? CommandResult.run(ip, ["netns", "exec", probe, nft, "add", "table", "inet", "probe"]), table.status == 0 else {
            return "nft cannot add a table in a network namespace here"
        }
        return nil
    }()

    /// Makes `nodes` hosts. Names and the subnet come from this process's id, so concurrent test
    /// processes do not collide; leftovers of an earlier process with the same names are removed first.
    public init(nodes: Int) throws {
        let tag = "pgr\(getpid() % 100_000)"
        hub = tag + "h"
        namespaces = (1...nodes).map { "\(tag)n\($0)" }
        subnet = "10.231.\(getpid() % 250 + 1)"
        for name in [hub] + namespaces { _ = try? CommandResult.run(Self.ip, ["netns", "del", name]) }
        try run(Self.ip, ["netns", "add", hub])
        try run(Self.ip, ["-n", hub, "link", "add", "br0", "type", "bridge"])
        try run(Self.ip, ["-n", hub, "link", "set", "br0", "up"])
        for (index, namespace) in namespaces.enumerated() {
            let port = "\(tag)p\(index + 1)"
            try run(Self.ip, ["netns", "add", namespace])
            try run(Self.ip, ["link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace])
            try run(Self.ip, ["link", "set", port, "netns", hub])
            try run(Self.ip, ["-n", hub, "link", "set", port, "master", "br0", "up"])
            try run(Self.ip, ["-n", namespace, "addr", "add", address(index + 1) + "/24", "dev", "eth0"])
            try run(Self.ip, ["-n", namespace, "link", "set", "eth0", "up"])
            try run(Self.ip, ["-n", namespace, "link", "set", "lo", "up"])
            try nft(index + 1, ["add", "table", "inet", "pgraft"])
            try nft(index + 1, ["add", "chain", "inet", "pgraft", "out", "{ type filter hook output priority 0; }"])
        }
    }

    deinit { remove() }

    /// Node `node`'s address.
    public func address(_ node: Int) -> String { "\(subnet).\(node)" }

    /// The command that runs `arguments` inside node `node`'s namespace; with `privateSharedMemory`,
    /// over a `/dev/shm` of its own, as on another machine (a second pgraftd with the same cluster
    /// name and node id would otherwise meet the first one's segment).
    public func inside(_ node: Int, _ arguments: [String], privateSharedMemory: Bool = false) -> (path: String, arguments: [String]) {
        guard privateSharedMemory else { return (Self.ip, ["netns", "exec", namespaces[node - 1]] + arguments) }
        // `ip netns exec` gives the command a mount namespace of its own, so this tmpfs is its alone.
        let script = "mount -t tmpfs -o mode=1777 pgraft-shm /dev/shm && exec \"$@\""
        return (Self.ip, ["netns", "exec", namespaces[node - 1], "/bin/sh", "-c", script, "sh"] + arguments)
    }

    /// What node `from` sends to each of `to` is dropped from now on (a one-way cut).
    public func cut(from: Int, to: [Int]) throws {
        for target in to where target != from {
            try nft(from, ["add", "rule", "inet", "pgraft", "out", "ip", "daddr", address(target), "drop"])
        }
    }

    /// Node `node` and every other node no longer reach each other.
    public func isolate(_ node: Int) throws {
        let others = (1...namespaces.count).filter { $0 != node }
        try cut(from: node, to: others)
        for other in others { try cut(from: other, to: [node]) }
    }

    /// Each group reaches only its own members.
    public func split(_ groups: [[Int]]) throws {
        for group in groups {
            for node in group { try cut(from: node, to: (1...namespaces.count).filter { !group.contains($0) }) }
        }
    }

    /// Every node drops `percent` % of the TCP segments it sends, at random.
    public func lose(percent: Int) throws {
        for node in 1...namespaces.count {
            try nft(node, ["add", "rule", "inet", "pgraft", "out", "meta", "l4proto", "tcp", "numgen", "random", "mod", "100", "<", "\(percent)", "drop"])
        }
    }

    /// Takes node `node`'s link down or brings it up.
    public func link(_ node: Int, up: Bool) throws {
        try run(Self.ip, ["-n", namespaces[node - 1], "link", "set", "eth0", up ? "up" : "down"])
    }

    /// Removes every fault: the rules go, the links come up.
    public func heal() throws {
        for node in 1...namespaces.count {
            try nft(node, ["flush", "chain", "inet", "pgraft", "out"])
            try link(node, up: true)
        }
    }

    /// Deletes the namespaces (their veths and rules go with them).
    public func remove() {
        guard !removed else { return }
        removed = true
        for name in namespaces + [hub] { _ = try? CommandResult.run(Self.ip, ["netns", "del", name]) }
    }

    private func nft(_ node: Int, _ arguments: [String]) throws {
        let command = inside(node, [Self.tool("nft") ?? "nft"] + arguments)
        try run(command.path, command.arguments)
    }

    private func run(_ path: String, _ arguments: [String]) throws {
        let result = try CommandResult.run(path, arguments)
        guard result.status == 0 else {
            throw NetworkLabError(description: "\(path) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
    }

    private static let ip = tool("ip") ?? "/usr/sbin/ip"

    private static func tool(_ name: String) -> String? {
        ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + name }.first { access($0, X_OK) == 0 }
    }
}

/// A network-lab command that failed.
public struct NetworkLabError: Error, CustomStringConvertible {
    /// The command and what it printed.
    public let description: String
}
