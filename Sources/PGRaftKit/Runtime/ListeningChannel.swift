import NIOCore
import NIOPosix

/// Why a component could not listen where its configuration says.
public struct ListenError: Error, CustomStringConvertible {
    /// "cannot listen on 127.0.0.1:7001 (listen_port): address already in use".
    public let description: String
}

extension ComponentContext {
    /// Binds a TCP server at `host:port` with `initializer` for each accepted connection.
    ///
    /// - Parameters:
    ///   - setting: the YAML key the address comes from, named in the error.
    ///   - group: the loops that serve the connections; one loop keeps a component's state on one
    ///     thread and saves a thread hand-off per message.
    public func listenTCP(
        host: String, port: Int, setting: String, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        initializer: @escaping @Sendable (Channel) -> EventLoopFuture<Void>
    ) async throws -> Channel {
        do {
            return try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 256)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer(initializer)
                .bind(host: host, port: port).get()
        } catch let error as IOError {
            throw ListenError(description: "cannot listen on \(host):\(port) (\(setting)): \(Self.reason(error))")
        } catch {
            throw ListenError(description: "cannot listen on \(host):\(port) (\(setting)): \(error)")
        }
    }

    /// Binds a Unix domain socket server at `path`, replacing a stale socket file, and makes it
    /// owner-only (0600): only the node's own user may connect, whatever the umask. Connections are
    /// spread over `group`'s loops; pass one loop to keep a component's state on one thread.
    public func listenUnix(
        path: String, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        initializer: @escaping @Sendable (Channel) -> EventLoopFuture<Void>
    ) async throws -> Channel {
        do {
            let channel = try await ServerBootstrap(group: group)
                .childChannelInitializer(initializer)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            guard chmod(path, 0o600) == 0 else {
                let reason = String(cString: strerror(errno))
                try? await channel.close()
                throw ListenError(description: "cannot make \(path) owner-only: \(reason)")
            }
            return channel
        } catch let error as ListenError {
            throw error
        } catch {
            throw ListenError(description: "cannot listen on \(path): \(error)")
        }
    }

    /// Serves `channel` until the component is told to stop, then closes it.
    public func serve(_ channel: Channel) async {
        await waitForShutdown()
        try? await channel.close()
    }

    private static func reason(_ error: IOError) -> String {
        switch error.errnoCode {
        case 98: return "address already in use"
        case 99: return "address not available on this host"
        case 13: return "permission denied"
        default: return "\(error)"
        }
    }
}
