"""Command panels: generated forms, history, raw console."""
