import PGRaftKit

/// `pgraft-bridge`: the node's link to its local PostgreSQL. This stage keeps a libpq connection,
/// logs the server's version and role (primary or in recovery), and reconnects with backoff when
/// PostgreSQL goes away; promotion and fencing come with the failover stage.
@main
enum BridgeMain {
    static func main() async {
        await ComponentRuntime.main(name: "bridge") { context in
            guard let settings = context.config.postgres else {
                context.logger.info("no postgres section in the configuration: nothing to manage")
                context.markReady()
                await context.waitForShutdown()
                return
            }
            context.markReady()
            let monitor = PostgresMonitor(
                settings: settings, checkPeriodMs: context.config.healthPeriodMs, logger: context.logger)
            await monitor.run()
        }
    }
}
