"""Data files (protocol catalogue, icons, layouts) shipped with m2gui."""
