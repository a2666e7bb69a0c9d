"""cbec: customs supervision of cross-border e-commerce retail trade."""

__version__ = "0.1.0"
