import Foundation

extension PostgresServer {
    /// The file in the data directory that holds pgraft's branch mark (see
    /// `ServerObservation.branch`): one decimal number. A base backup or a rewind copies it with
    /// the rest of the directory.
    static let branchFileName = "pgraft.branch"

    /// The branch the data directory is marked with; 0 when it has no mark (or an unreadable one).
    public func branchMark() -> UInt64 {
        guard let text = try? String(contentsOfFile: dataFile(Self.branchFileName), encoding: .utf8) else { return 0 }
        return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Marks the data directory as on `branch` (written whole, fsync'd, then renamed into place).
    public func markBranch(_ branch: UInt64) throws {
        try AtomicFile.write("\(branch)\n", to: dataFile(Self.branchFileName), owner: user)
    }
}
