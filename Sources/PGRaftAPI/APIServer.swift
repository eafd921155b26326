import NIOCore
import NIOHTTP1
import PGRaftKit

/// The HTTP side of the api: what each accepted connection's pipeline holds.
public enum APIServer {
    /// Sets up `channel` as an HTTP/1.1 server connection answered by `router`; requests and errors
    /// are counted in `counters` (the api's slot) when given.
    public static func configure(_ channel: Channel, router: APIRouter, counters: ComponentCounters?) -> EventLoopFuture<Void> {
        channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
            try channel.pipeline.syncOperations.addHandler(HTTPRequestHandler(router: router, counters: counters))
        }
    }
}
