extension SharedSegment {
    /// The component slot at `index`.
    ///
    /// - Precondition: `0 <= index < componentCapacity`.
    public func componentSlot(at index: Int) -> ComponentSlot {
        precondition(
            index >= 0 && index < layout.componentCapacity,
            "component slot \(index) is outside 0..<\(layout.componentCapacity) of segment \(name)")
        return ComponentSlot(segment: self, index: index, base: pointer(.components) + index * ComponentSlot.stride)
    }

    /// The index of the slot whose name is `name`, or nil (empty names never match).
    public func componentIndex(named name: String) -> Int? {
        guard !name.isEmpty else { return nil }
        return (0..<layout.componentCapacity).first { componentSlot(at: $0).name == name }
    }

    /// The counters of component slot `index`.
    ///
    /// - Precondition: `0 <= index < componentCapacity`.
    public func counters(at index: Int) -> ComponentCounters {
        precondition(
            index >= 0 && index < layout.componentCapacity,
            "counter slot \(index) is outside 0..<\(layout.componentCapacity) of segment \(name)")
        return ComponentCounters(segment: self, index: index, base: pointer(.counters) + index * CounterKind.capacity * 8)
    }
}
