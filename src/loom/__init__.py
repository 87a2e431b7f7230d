"""Loom: an async application kernel for Python services on SQLAlchemy 2."""

__version__ = "0.1.0"
