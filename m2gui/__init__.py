"""m2gui: engineering GUI for the LSST M2 cell controller."""

__version__ = "0.1.0"
