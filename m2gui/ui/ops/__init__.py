"""The operations views: overview, sequencer, alarms, limit switches, ILCs, diagnostics."""
