"""Live telemetry plots: panels, the area holding them, the signal browser, export."""
