import PGRaftKit
import PGRaftPostgres

/// `pgraft-bridge`: the node's link to its local PostgreSQL. This stage keeps a libpq connection over
/// the server's socket (`postgres.socket_dir`, `postgres.port`, as `postgres.superuser`), logs the
/// server's version and role (primary or in recovery), and reconnects with backoff when PostgreSQL
/// goes away; managing the server, promotion and fencing come with the failover stage.
@main
enum BridgeMain {
    static func main() async {
        await ComponentRuntime.main(name: "bridge") { context in
            guard context.config.postgres != nil else {
                context.logger.info("no postgres section in the configuration: nothing to manage")
                context.markReady()
                await context.waitForShutdown()
                return
            }
            // Reads the password files now: an unreadable one stops the bridge with the setting and file.
            let spec = try PostgresServerSpec(config: context.config)
            context.markReady()
            let monitor = PostgresMonitor(spec: spec, checkPeriodMs: context.config.healthPeriodMs, logger: context.logger)
            await monitor.run()
        }
    }
}
