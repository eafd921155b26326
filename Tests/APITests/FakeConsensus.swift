import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PGRaftKit
import PGRaftClient

/// A stand-in for the consensus component: serves `consensus.sock` and answers each
/// `ClientRequest` as the test's `answer` says.
final class FakeConsensus: Sendable {
    /// What the fake does with one request.
    enum Answer: Sendable {
        /// Reply with this status, leader and result.
        case reply(ClientStatus, leader: UInt64, ClientResult)
        /// Never reply.
        case silence
        /// Close the connection.
        case hangUp
    }

    let channel: Channel
    /// Completed when the first client has greeted with `hello`.
    let greeted: EventLoopPromise<Void>
    private let received: NIOLockedValueBox<[ClientOperation]>

    /// The operations received so far, in order.
    var operations: [ClientOperation] { received.withLockedValue { $0 } }

    private init(channel: Channel, greeted: EventLoopPromise<Void>, received: NIOLockedValueBox<[ClientOperation]>) {
        self.channel = channel
        self.greeted = greeted
        self.received = received
    }

    /// Serves `path`, answering with `answer`.
    static func start(path: String, answer: @escaping @Sendable (ClientOperation) -> Answer) async throws -> FakeConsensus {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let greeted = loop.makePromise(of: Void.self)
        let log = NIOLockedValueBox<[ClientOperation]>([])
        let channel = try await ServerBootstrap(group: loop)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FrameChannelHandler(what: "fake consensus", logger: Logger(label: "fake")) { frame, context in
                            switch frame.type {
                            case ClientFrameType.hello:
                                greeted.succeed()
                            case ClientFrameType.request:
                                guard let request = try? ClientRequest.decode(frame.payload) else { return context.close(promise: nil) }
                                log.withLockedValue { $0.append(request.operation) }
                                switch answer(request.operation) {
                                case .reply(let status, let leader, let result):
                                    FrameChannelHandler.send(
                                        Frame(
                                            type: ClientFrameType.reply,
                                            payload: ClientReply(id: request.id, status: status, leader: leader, result: result).encoded()),
                                        on: context)
                                case .silence:
                                    break
                                case .hangUp:
                                    context.close(promise: nil)
                                }
                            default:
                                context.close(promise: nil)
                            }
                        })
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        return FakeConsensus(channel: channel, greeted: greeted, received: log)
    }

    /// Stops serving.
    func stop() async throws {
        try await channel.close()
    }
}
