/// Where the api component serves HTTP (the YAML's `api:` section).
public struct APISettings: Sendable, Equatable {
    /// Address to bind (`listen_address`, default `127.0.0.1`).
    public var listenAddress: String
    /// TCP port to bind (`listen_port`, 1–65535, default 8008).
    public var listenPort: Int
    /// Largest value a key-value put or a log append may carry, in bytes (`max_value_bytes`,
    /// default 1 MiB, at most 8 MiB); larger ones are refused with 413.
    public var maxValueBytes: Int

    /// The defaults: `127.0.0.1:8008`, 1 MiB values.
    public static let defaults = APISettings(listenAddress: "127.0.0.1", listenPort: 8008)

    /// Settings with explicit values.
    public init(listenAddress: String, listenPort: Int, maxValueBytes: Int = 1 << 20) {
        self.listenAddress = listenAddress
        self.listenPort = listenPort
        self.maxValueBytes = maxValueBytes
    }
}
