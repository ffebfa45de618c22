"""Qt-free state and rules of the operations views: overview, faults, limits, ILCs, diagnostics."""
